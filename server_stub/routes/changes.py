"""``POST /api/changes`` and ``GET /api/changes``: deploys and edits, as time markers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from .. import changes, queries
from ..db import now_us
from ..schemas import ChangeIn, ChangeList, ChangeOut
from .deps import Caller, receiver

router = APIRouter()


@router.post("/api/changes", response_model=ChangeOut, status_code=201)
def add_change(body: ChangeIn, request: Request, who: Caller) -> dict[str, Any]:
    """Record a change (``at`` defaults to now)."""
    now = now_us()
    at = queries.parse_time(body.at.isoformat(), "at") if body.at is not None else now
    with receiver(request).db.write.begin() as conn:
        return changes.add_change(conn, who.project_id, body.kind, body.ref, body.summary, at, now)


@router.get("/api/changes", response_model=ChangeList)
def list_changes(
    request: Request,
    who: Caller,
    kind: str | None = None,
    ref: str | None = None,
    limit: int = changes.DEFAULT_LIMIT,
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
    with receiver(request).db.read.connect() as conn:
        found = changes.list_changes(conn, who.project_id, start, end, kind, ref, limit)
    return {"changes": found}
