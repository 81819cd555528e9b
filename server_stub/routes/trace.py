"""``GET /api/trace/{run_id}``: the whole trace a run belongs to (the waterfall's data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from .. import errors
from .. import trace as traces
from ..schemas import Trace
from .deps import Caller, ReadConn

router = APIRouter()


@router.get(
    "/api/trace/{run_id:path}",
    response_model=Trace,
    responses=errors.responses(*errors.AUTHENTICATED, 404),
)
def get_trace(run_id: str, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """Every run of the trace ``run_id`` belongs to, from its root (light fields only:
    no input, output or metadata; ``GET /api/run/{id}`` has those)."""
    found = traces.trace(conn, who.project_id, run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return found
