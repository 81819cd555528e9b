"""The process-wide default client, built from the environment on first use."""

from __future__ import annotations

import threading
from typing import Any

from ._client import Client
from ._config import from_env
from ._transport import Transport

_default: Client | None = None
_lock = threading.Lock()


def get_client() -> Client:
    """The default client; created from ``OBSERVATORY_*`` variables if ``init()`` was not called."""
    client = _default
    if client is not None:
        return client
    with _lock:
        if _default is None:
            _set(Client(from_env()))
        assert _default is not None
        return _default


def _set(client: Client) -> None:
    global _default
    _default = client


def configure(options: dict[str, Any], transport: Transport | None = None) -> Client:
    """Replace the default client (the old one is flushed and shut down first)."""
    global _default
    with _lock:
        old = _default
        _default = Client(from_env(options), transport=transport)
        new = _default
    if old is not None:
        old.shutdown()
    return new


def _clear() -> None:
    global _default
    _default = None
