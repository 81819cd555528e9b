"""U+0000 in strings, which PostgreSQL's text type refuses (SQLite keeps it).

The receiver stores U+FFFD in its place on every store, so both hold the same
thing: ingest replaces it in each event (:func:`replace_nul`), and
:class:`NulInUrls` does the same to the URL of every request, so a read that names
a NUL (``GET /api/run/a%00b``) finds what ingest stored for it instead of failing.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

NUL, REPLACEMENT = "\x00", "\ufffd"
_URL_NUL, _URL_REPLACEMENT = b"%00", b"%EF%BF%BD"


def replace_nul(value: Any) -> Any:
    """``value`` (parsed JSON) with U+0000 in every string and key replaced by U+FFFD;
    a new value where something changed, ``value`` itself elsewhere."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, dict):
        return {replace_nul(k): replace_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_nul(v) for v in value]
    return value


class NulInUrls:
    """ASGI middleware: U+0000 in a request's path or query becomes U+FFFD."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            path: str = scope.get("path", "")
            if _URL_NUL in query or NUL in path:
                scope = dict(scope)
                scope["query_string"] = query.replace(_URL_NUL, _URL_REPLACEMENT)
                scope["path"] = path.replace(NUL, REPLACEMENT)
                raw = scope.get("raw_path")
                if raw is not None:
                    scope["raw_path"] = raw.replace(_URL_NUL, _URL_REPLACEMENT)
        await self.app(scope, receive, send)


__all__ = ["NulInUrls", "replace_nul"]
