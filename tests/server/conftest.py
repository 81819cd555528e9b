"""Shared fixtures: a real receiver on 127.0.0.1 (uvicorn in a thread) and helpers."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from observatory.server import auth, db
from observatory.server.runner import free_port, run_server

from .pgcluster import Cluster, available

STORES = ("sqlite", "postgresql")
"""Every test that takes ``server``, ``shared_server`` or ``store_url`` runs on each."""

_counter = itertools.count()


def ts(second: float, minute: int = 0, day: int = 29, hour: int = 8) -> str:
    """An ISO timestamp on 2026-05-<day> (ms precision, Z)."""
    whole = int(second)
    ms = round((second - whole) * 1000)
    return f"2026-05-{day:02d}T{hour:02d}:{minute:02d}:{whole:02d}.{ms:03d}Z"


def uid(prefix: str = "r") -> str:
    """A unique id for this test session."""
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


@dataclass
class Server:
    """A running receiver and an httpx client bound to it."""

    url: str
    db_url: str
    path: Path
    """The SQLite file (a PostgreSQL store has none: see ``store``)."""
    stop: Any
    key: str | None = None
    store: str = "sqlite"
    """``sqlite`` or ``postgresql``."""
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30.0)

    def headers(self, key: str | None = None) -> dict[str, str]:
        key = key or self.key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def report(self, events: list[Any], key: str | None = None) -> dict[str, Any]:
        """POST a batch; assert 200; return the JSON answer."""
        resp = self.client.post("/api/report", json={"events": events}, headers=self.headers(key))
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def runs(self, key: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """GET /api/run/ with filters; assert 200; the runs."""
        params.setdefault("limit", 1000)
        resp = self.client.get("/api/run/", params=params, headers=self.headers(key))
        assert resp.status_code == 200, resp.text
        return resp.json()["runs"]  # type: ignore[no-any-return]

    def run(self, run_id: str, key: str | None = None) -> dict[str, Any]:
        """GET /api/run/{id}; assert 200."""
        resp = self.client.get(f"/api/run/{run_id}", headers=self.headers(key))
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def create_key(self, project: str) -> str:
        """A new API key, written straight to the store (as the CLI does)."""
        database = db.open_database(self.db_url)
        try:
            with database.write.begin() as conn:
                return auth.create_key(conn, project)[1]
        finally:
            database.dispose()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for the session (a throwaway cluster, or
    ``OBSERVATORY_TEST_PG_URL``)."""
    why = available()
    if why is not None:
        pytest.skip(why)
    cluster = Cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextlib.contextmanager
def new_store(kind: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty store of ``kind`` (dropped afterwards on PostgreSQL)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'obs.db'}"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database()
    try:
        yield url
    finally:
        cluster.drop_database(url)


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store: a SQLite file, then a PostgreSQL database."""
    with new_store(request.param, tmp_path, request) as url:
        yield url


def _serve(db_url: str, folder: Path, kind: str) -> Iterator[Server]:
    url, stop = run_server(db_url)
    srv = Server(url, db_url, folder / "obs.db", stop, store=kind)
    try:
        yield srv
    finally:
        srv.client.close()
        stop()


@pytest.fixture(params=STORES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A fresh receiver with its own store (SQLite file, then PostgreSQL), loopback, no keys."""
    with new_store(request.param, tmp_path, request) as db_url:
        yield from _serve(db_url, tmp_path, request.param)


@pytest.fixture(scope="module", params=STORES)
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One receiver for a whole module: for tests that only add uniquely-named data."""
    folder = tmp_path_factory.mktemp("shared")
    with new_store(request.param, folder, request) as db_url:
        yield from _serve(db_url, folder, request.param)


def lan_address() -> str | None:
    """A non-loopback IPv4 address of this machine, if any."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.123", 9))
            addr = str(sock.getsockname()[0])
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


class Subprocess:
    """``observatory serve`` in a child process (for SIGKILL and CLI tests)."""

    def __init__(self, db_url: str, *extra: str, start_timeout: float = 30) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "observatory.server.cli",
                "serve",
                "--db",
                db_url,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *extra,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise RuntimeError(f"serve exited: {out}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.proc.kill()
        raise TimeoutError("serve did not start")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``observatory ARGS`` in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done
