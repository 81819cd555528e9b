from __future__ import annotations

from collections.abc import Iterator

import pytest

import observatory
from observatory import _state
from observatory._transport import InMemoryTransport

from .capture_server import CaptureServer


@pytest.fixture
def server() -> Iterator[CaptureServer]:
    srv = CaptureServer()
    yield srv
    srv.close()


@pytest.fixture
def memory() -> Iterator[InMemoryTransport]:
    """The default client, sending to memory."""
    transport = InMemoryTransport()
    observatory.init(transport=transport, app_id="test", flush_interval=0.05)
    yield transport
    observatory.shutdown(timeout=1)
    _state._clear()


@pytest.fixture
def http_client(server: CaptureServer) -> Iterator[CaptureServer]:
    """The default client, posting to the capture server over HTTP."""
    observatory.init(api_url=server.url, app_id="test", flush_interval=0.05, max_retries=2, retry_budget=5)
    yield server
    observatory.shutdown(timeout=1)
    _state._clear()


def by_name(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["name"] == name]


def runs(events: list[dict]) -> dict[str, dict]:
    """run_id -> {"start": event, "end": event} for run events."""
    out: dict[str, dict] = {}
    for event in events:
        if event["name"].endswith(("_start", "_end")):
            kind = "start" if event["name"].endswith("_start") else "end"
            out.setdefault(event["run_id"], {})[kind] = event
    return out
