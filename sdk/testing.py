"""Test helpers for code instrumented with Observatory.

    from observatory.testing import capture_events

    with capture_events() as events:
        my_agent("hi")
    assert [e["name"] for e in events] == ["agent_start", "agent_end"]

Events are the exact wire dicts the SDK would post, captured in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import _state
from ._client import Client
from ._config import from_env
from ._transport import InMemoryTransport

__all__ = ["InMemoryTransport", "capture_events"]


@contextmanager
def capture_events(**options: Any) -> Iterator[list[dict[str, Any]]]:
    """Route the default client to memory inside the block; yield the captured events.

    The list is filled when the block ends (everything is flushed then). The
    previous default client is restored afterwards. ``options`` are ``init()``
    settings (``enabled`` is forced on).
    """
    transport = InMemoryTransport()
    previous = _state._default
    client = Client(from_env({**options, "enabled": True}), transport=transport)
    _state._set(client)
    try:
        yield transport.events
    finally:
        client.flush(timeout=10.0)
        client.shutdown(timeout=1.0)
        if previous is not None:
            _state._set(previous)
        else:
            _state._clear()
