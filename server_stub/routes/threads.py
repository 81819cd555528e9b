"""``GET /api/threads`` and ``GET /api/threads/{thread_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from .. import queries, thread_summary
from .deps import Caller, receiver

router = APIRouter()


def _gap_us(request: Request) -> int:
    return thread_summary.gap_us(receiver(request).settings.thread_gap_minutes)


@router.get("/api/threads")
def list_threads(
    request: Request,
    who: Caller,
    agent: str | None = None,
    user_email: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Threads, most recently active first: id, message count, first/last time, agent,
    user; ``next_cursor`` fetches the next ``limit``."""
    try:
        with receiver(request).db.read.connect() as conn:
            return queries.list_threads(
                conn, who.project_id, _gap_us(request), agent, user_email, limit, cursor
            )
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/api/threads/{thread_id:path}")
def get_thread(thread_id: str, request: Request, who: Caller) -> dict[str, Any]:
    """A thread's messages in time order, each with its feedback."""
    with receiver(request).db.read.connect() as conn:
        found = queries.thread_detail(conn, who.project_id, thread_id, _gap_us(request))
    if found is None:
        raise HTTPException(404, f"no thread {thread_id!r}")
    return found
