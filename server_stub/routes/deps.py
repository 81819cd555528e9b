"""What every handler needs: the receiver's parts and the caller's project."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Connection

from ..auth import AuthError, Principal, authenticate
from ..costs import CostTable
from ..db import Database
from ..metrics import Metrics
from ..settings import Settings
from ..writer import Writer


@dataclass
class Receiver:
    """One running receiver: settings, store, prices, writer, counters."""

    settings: Settings
    db: Database
    costs: CostTable
    writer: Writer
    metrics: Metrics
    store_problem: str | None = None
    """Why the store cannot be written right now (set by a failed write or the
    startup probe, cleared by the next stored batch); shown by ``/health``."""


def receiver(request: Request) -> Receiver:
    """The receiver serving this request."""
    rx: Receiver = request.app.state.receiver
    return rx


def check_auth(rx: Receiver, request: Request) -> Principal:
    """The caller's project, or :class:`AuthError` (blocking: call from a thread)."""
    with rx.db.read.connect() as conn:
        return authenticate(
            conn,
            request.headers.get("authorization"),
            request.client.host if request.client else None,
        )


def principal(request: Request) -> Principal:
    """FastAPI dependency (runs in the threadpool): 401/403 unless allowed."""
    try:
        return check_auth(receiver(request), request)
    except AuthError as exc:
        raise HTTPException(exc.status, exc.message) from exc


Caller = Annotated[Principal, Depends(principal)]
"""Handler parameter type: the authenticated caller's project."""


def read_conn(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: a read connection for the handler, closed when it returns.

    For one short read per request; a streaming answer (export) opens its own
    short reads per page instead of holding one across the transfer."""
    with receiver(request).db.read.connect() as conn:
        yield conn


def write_conn(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one write transaction, committed when the handler returns
    (before the answer is sent), rolled back when it raises."""
    with receiver(request).db.write.begin() as conn:
        yield conn


# scope="function": closed (committed) after the handler, before the response goes out
ReadConn = Annotated[Connection, Depends(read_conn, scope="function")]
"""Handler parameter type: a connection for reads."""
WriteConn = Annotated[Connection, Depends(write_conn, scope="function")]
"""Handler parameter type: a connection inside a write transaction."""


def single_query_values(request: Request) -> None:
    """FastAPI dependency: 422 when a scalar query parameter is given twice
    (FastAPI would silently keep the last value)."""
    params = request.query_params
    repeated = sorted({key for key in params.keys() if len(params.getlist(key)) > 1})
    if repeated:
        raise HTTPException(422, f"{', '.join(repeated)} may be given once")
