"""The public names of `observatory` stay what the docs promise."""

from __future__ import annotations

import inspect

import observatory

PROMISED = {
    "init", "flush_after", "agent", "llm", "tool", "track_event", "flush", "shutdown", "stats",
    "current_run", "context", "wrap_context", "ThreadPoolExecutor", "start_run",
    "Run", "NoopRun", "Config",
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
