"""Sending one batch: the HTTP transport, an in-memory one for tests, and retry rules.

A transport's ``send`` returns a :class:`Response` or raises
:class:`TransportError` for failures where nothing was answered (connection
refused or reset, timeouts). :func:`classify` is the one place that decides
what is retried.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

RETRY_AFTER_MAX = 30.0
"""Longest wait a ``Retry-After`` gets, in seconds: a receiver must not park the SDK."""


class TransportError(Exception):
    """Nothing usable came back: connection refused/reset, timeout, protocol error."""


@dataclass
class Response:
    """What the receiver answered."""

    status: int
    body: bytes = b""
    retry_after: float | None = None
    """Seconds the receiver asked to wait (``Retry-After``), as asked: the consumer caps the wait."""

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


class Transport(Protocol):
    """Sends one request body to the receiver."""

    def send(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """POST ``body``; raise :class:`TransportError` when nothing came back."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def classify(response: Response | None) -> str:
    """``"ok"``, ``"retry"`` or ``"fail"`` for a response (None: nothing came back)."""
    if response is None:
        return "retry"
    status = response.status
    if 200 <= status < 300:
        return "ok"
    if status in (408, 429) or status >= 500:
        return "retry"
    return "fail"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); None when it is not a number."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds and seconds != float("inf") else None


class HttpTransport:
    """POSTs to ``{api_url}/api/report`` over one keep-alive httpx client."""

    def __init__(self, api_url: str, api_key: str | None, timeout: float) -> None:
        import httpx  # on the background thread, at first send: not at import

        self._httpx = httpx
        self.url = f"{api_url}/api/report"
        headers = {"Content-Type": "application/json", "User-Agent": "observatory-sdk/0.1"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
        )

    def send(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """POST one batch."""
        httpx = self._httpx
        try:
            answer = self._client.post(self.url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return Response(answer.status_code, answer.content, parse_retry_after(answer.headers.get("retry-after")))

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()


@dataclass
class InMemoryTransport:
    """Keeps every event it is sent, for tests: ``transport.events``."""

    events: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """Decode and keep the batch."""
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        batch = json.loads(body)["events"]
        with self._lock:
            self.requests += 1
            self.events.extend(batch)
        return Response(200, json.dumps({"accepted": len(batch), "duplicates": 0, "rejected": []}).encode())

    def close(self) -> None:
        """Nothing to release."""
