"""``GET /api/threads`` and ``GET /api/threads/{thread_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from .. import errors, queries, thread_summary
from ..schemas import ThreadDetail, ThreadPage
from .deps import Caller, ReadConn, receiver, single_query_values

router = APIRouter()


def _gap_us(request: Request) -> int:
    return thread_summary.gap_us(receiver(request).settings.thread_gap_minutes)


@router.get(
    "/api/threads",
    response_model=ThreadPage,
    responses=errors.responses(*errors.AUTHENTICATED, 422),
    dependencies=[Depends(single_query_values)],
)
def list_threads(
    request: Request,
    who: Caller,
    conn: ReadConn,
    agent: Annotated[str | None, Query(min_length=1)] = None,
    user_email: Annotated[str | None, Query(min_length=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="threads per page")] = 100,
    cursor: Annotated[
        str | None, Query(min_length=1, description="`next_cursor` of the previous page")
    ] = None,
) -> dict[str, Any]:
    """Threads, most recently active first: id, message count, first/last time, agent,
    user; ``next_cursor`` fetches the next ``limit``."""
    try:
        return queries.list_threads(
            conn, who.project_id, _gap_us(request), agent, user_email, limit, cursor
        )
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get(
    "/api/threads/{thread_id:path}",
    response_model=ThreadDetail,
    responses=errors.responses(*errors.AUTHENTICATED, 404, 422),
)
def get_thread(thread_id: str, request: Request, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """A thread's messages in time order, each with its feedback."""
    try:
        found = queries.thread_detail(conn, who.project_id, thread_id, _gap_us(request))
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    if found is None:
        raise HTTPException(404, f"no thread {thread_id!r}")
    return found
