"""``POST /api/changes`` and ``GET /api/changes``: deploys and edits, as time markers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from .. import changes, errors, queries
from ..db import now_us
from ..schemas import ChangeIn, ChangeList, ChangeOut
from .deps import Caller, ReadConn, WriteConn

router = APIRouter()


@router.post(
    "/api/changes",
    response_model=ChangeOut,
    status_code=201,
    responses=errors.responses(400, *errors.AUTHENTICATED, 422),
)
def add_change(body: ChangeIn, who: Caller, conn: WriteConn) -> dict[str, Any]:
    """Record a change (``at`` defaults to now)."""
    now = now_us()
    at = queries.parse_time(body.at.isoformat(), "at") if body.at is not None else now
    return changes.add_change(conn, who.project_id, body.kind, body.ref, body.summary, at, now)


_LIST_PARAMS: list[dict[str, Any]] = [
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
]


@router.get(
    "/api/changes",
    response_model=ChangeList,
    openapi_extra={"parameters": _LIST_PARAMS},
    responses=errors.responses(*errors.AUTHENTICATED, 422),
)
def list_changes(
    request: Request,
    who: Caller,
    conn: ReadConn,
    kind: Literal["code", "runtime", "prompt", "policy", "config"] | None = None,
    ref: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=changes.MAX_LIMIT)] = changes.DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Changes oldest first; ``from``/``to`` (inclusive, ISO-8601), ``kind``, ``ref``."""
    try:
        start, end = (
            queries.parse_time(request.query_params[name], name)
            if name in request.query_params
            else None
            for name in ("from", "to")
        )
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    if kind is not None and kind not in changes.KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(changes.KINDS)}; got {kind!r}")
    if not 1 <= limit <= changes.MAX_LIMIT:
        raise HTTPException(422, f"limit must be from 1 to {changes.MAX_LIMIT}, got {limit}")
    found = changes.list_changes(conn, who.project_id, start, end, kind, ref, limit)
    return {"changes": found}
