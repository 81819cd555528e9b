"""Run the reference receiver (``observatory serve``) as a subprocess on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager

from benchmarks.proc import bench_env
from benchmarks.receivers import closed_port_url


def available() -> str | None:
    """None when ``observatory serve`` can run here, else why not."""
    try:
        import observatory.server.cli  # noqa: F401
    except ImportError as exc:
        return f"observatory.server not importable ({exc.name})"
    return None


def _command() -> list[str]:
    exe = shutil.which("observatory")
    if exe:
        return [exe]
    return [
        sys.executable,
        "-c",
        "import sys; from observatory.server.cli import main; sys.exit(main())",
    ]


@contextmanager
def reference_receiver(db_url: str, startup_s: float = 60.0, workers: int = 1):
    """Yield the base URL of ``observatory serve --db db_url --workers N`` on a free
    loopback port."""
    url = closed_port_url()
    port = url.rsplit(":", 1)[1]
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [
                *_command(),
                "serve",
                "--db",
                db_url,
                "--port",
                port,
                "--log-level",
                "warning",
                "--workers",
                str(workers),
            ],
            stdout=log,
            stderr=log,
            env=bench_env(),
        )
        try:
            _wait_healthy(url, proc, startup_s, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _wait_healthy(url: str, proc: subprocess.Popen, limit: float, log) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError("observatory serve exited: " + log.read()[-500:])
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"observatory serve did not answer /health within {limit:.0f} s")
