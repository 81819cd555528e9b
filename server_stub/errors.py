"""One shape for every error answer, ``{"detail": "what is wrong"}``, and the
store failures a caller can do nothing about turned into a 503 that says why.

FastAPI answers a request it cannot parse with a list of pydantic errors, while
the handlers answer with a string; a client (and the OpenAPI description) would
need two shapes for one status. :func:`install` makes both a string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from . import models
from .schemas import ErrorBody

log = logging.getLogger("observatory.server")

DESCRIPTIONS = {
    400: "the body is not JSON, not an object with an `events` list, or bad gzip",
    401: "missing, unknown or revoked API key (`Authorization: Bearer <key>`)",
    403: "refused: no API key exists and the caller is not on loopback, or an edit of "
    "the shared cost table from another host",
    404: "nothing with this id or name in the caller's project",
    413: "the body is larger than the limit (counted after decompression), or holds too many events",
    415: "unsupported Content-Encoding (gzip, deflate or none)",
    422: "a parameter or body field is invalid; `detail` says which and why",
    503: "the store cannot be written (read-only, full, or unreachable); `detail` says why",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route for these error statuses."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


AUTHENTICATED = (401, 403)
"""What every route behind an API key can answer."""


def validation_message(exc: RequestValidationError) -> str:
    """``"limit: Input should be a valid integer (got '²')"``, one clause per error."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "body"
        got = f" (got {err['input']!r:.80})" if "input" in err and err["type"] != "missing" else ""
        parts.append(f"{where}: {err.get('msg', 'invalid')}{got}")
    return "; ".join(parts) or "invalid request"


def store_problem(exc: BaseException) -> str | None:
    """What is wrong with the store, in words an operator can act on, when ``exc``
    is the store refusing a write for a reason outside the request; else None."""
    if isinstance(exc, PermissionError):
        return f"the store's files cannot be written ({exc}); check their owner and mode"
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig).lower()
    if "readonly" in text or "read-only" in text:
        return (
            "the store is read-only (file mode, owner or a read-only URL): "
            "events cannot be stored until it is writable"
        )
    if "disk is full" in text or "no space" in text:
        return "the store's disk is full: events cannot be stored until space is freed"
    if "unable to open" in text or "disk i/o error" in text:
        return f"the store cannot be written: {exc.orig}"
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_message(exc)}, status_code=422)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    problem = store_problem(exc)
    if problem is None:
        raise exc
    receiver = getattr(request.app.state, "receiver", None)
    if receiver is not None:
        receiver.store_problem = problem
    log.error("%s (%s)", problem, exc.__class__.__name__)
    return JSONResponse({"detail": problem}, status_code=503)


def _http_error(routes: Sequence[BaseRoute]) -> Callable[[Request, Exception], Any]:
    """Starlette's answer, except that a 405's ``Allow`` lists the methods of every
    route of the path template that matched first (Starlette names only the first
    route's: ``GET`` for ``/api/costs/{model}``, which also takes PUT and DELETE)."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed: set[str] = set()
            first = None
            for route in routes:
                path = getattr(route, "path", None)
                if first in (None, path) and route.matches(request.scope)[0] != Match.NONE:
                    first = path
                    allowed.update(getattr(route, "methods", None) or ())
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    return handle


def install(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    """Register the handlers above on ``app``, whose endpoints are ``routes``."""
    app.add_exception_handler(StarletteHTTPException, _http_error(routes))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _store_error)
    app.add_exception_handler(PermissionError, _store_error)


def write_probe(engine: Engine, lock: AbstractContextManager[Any]) -> str | None:
    """None when the store takes a write (one row, rolled back) and the writer's lock
    file can be taken; else what is wrong. A read-only SQLite file opens, reads and
    even begins ``IMMEDIATE`` transactions: only a write tells."""
    try:
        with lock, engine.connect() as conn, conn.begin() as tx:
            conn.execute(insert(models.meta).values(key="observatory-write-probe", value=""))
            tx.rollback()
    except (DBAPIError, PermissionError) as exc:
        problem = store_problem(exc)
        if problem is None:
            raise
        return problem
    return None
