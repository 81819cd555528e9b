"""The public names of `observatory` stay what the docs promise."""

from __future__ import annotations

import inspect

import observatory

PROMISED = {
    "init", "flush_after", "agent", "llm", "tool", "track_event", "flush", "shutdown", "stats",
    "current_run", "context", "wrap_context", "ThreadPoolExecutor", "start_run",
    "Run", "NoopRun", "Config", "Transport", "RedactHook",
    "Client", "AsyncClient", "ObservatoryError", "AuthError", "NotFound", "InvalidRequest",
}


def test_all_is_exactly_the_promised_api() -> None:
    assert set(observatory.__all__) == PROMISED
    for name in observatory.__all__:
        assert getattr(observatory, name) is not None


def test_init_accepts_the_documented_options() -> None:
    params = set(inspect.signature(observatory.init).parameters)
    assert {"api_url", "api_key", "app_id", "enabled", "flush_interval", "batch_size", "max_queue_size",
            "timeout", "shutdown_timeout", "max_field_bytes", "redact"} <= params


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("observatory").joinpath("py.typed").is_file()


def test_read_client_loads_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys, observatory; heavy = [m for m in ('httpx', 'pydantic', "
        "'observatory._read_client') if m in sys.modules]; "
        "assert not heavy, heavy; "
        "assert issubclass(observatory.NotFound, observatory.ObservatoryError); "
        "assert 'observatory._read_client' not in sys.modules; "
        "observatory.Client; assert 'httpx' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
