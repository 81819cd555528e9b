"""Errors of the read client (:class:`observatory.Client`, :class:`observatory.AsyncClient`).

::

    ObservatoryError          the receiver could not be reached, or answered 5xx
    ├── AuthError             401/403: missing, unknown or revoked API key
    ├── NotFound              404: no such run, thread or cost row
    └── InvalidRequest        400/413/422: a bad filter, cursor or event

Each carries the receiver's own explanation in ``message`` and the HTTP status
in ``status_code`` (None when no answer came back).
"""

from __future__ import annotations

import json
from typing import Any


class ObservatoryError(Exception):
    """Base of every read-client error."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class AuthError(ObservatoryError):
    """The receiver refused the API key (401), or wants one (403)."""


class NotFound(ObservatoryError):
    """The run, thread or cost row does not exist in the key's project."""


class InvalidRequest(ObservatoryError):
    """The receiver refused a value: its message says which and why."""


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI validation errors: [{"loc": [...], "msg": ...}]
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "body"))
                parts.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return json.dumps(detail)


def error_for(status: int, body: bytes) -> ObservatoryError:
    """The error for a receiver's non-2xx answer, with the receiver's message."""
    try:
        message = _detail_text(json.loads(body)["detail"])
    except (ValueError, KeyError, TypeError):
        message = body.decode("utf-8", "replace").strip()[:500] or f"HTTP {status}"
    if status in (401, 403):
        return AuthError(message, status)
    if status == 404:
        return NotFound(message, status)
    if 400 <= status < 500:
        return InvalidRequest(message, status)
    return ObservatoryError(f"receiver error {status}: {message}", status)


for _error in (ObservatoryError, AuthError, NotFound, InvalidRequest):
    _error.__module__ = "observatory"  # shown as observatory.NotFound, where users import it
