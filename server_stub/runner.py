"""Run a real receiver on a free loopback port in a background thread (tests, demo).

base_url, stop = run_server("sqlite:///" + str(tmp_path / "obs.db"))
...
stop()
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import httpx
import uvicorn

from .app import create_app
from .settings import Settings


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_server(
    db_url: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout: float = 20.0,
    **settings: object,
) -> tuple[str, Callable[[], None]]:
    """Start uvicorn with ``create_app(Settings(db_url=..., **settings))`` on a thread;
    return ``(base_url, stop)`` once ``GET /health`` answers (200, or 503 for a store
    that cannot be written). ``stop()`` shuts the server down (idempotent) and waits
    for its thread."""
    port = port or free_port(host)
    config = uvicorn.Config(
        create_app(Settings(db_url=db_url, host=host, port=port, **settings)),  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"observatory-server-{port}", daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if not thread.is_alive():
            raise RuntimeError(f"receiver on {base_url} exited during startup")
        try:
            if httpx.get(base_url + "/health", timeout=1.0).status_code in (200, 503):
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"receiver on {base_url} did not answer /health within {timeout}s")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout)

    return base_url, stop
