"""``GET /api/run/`` (filtered list) and ``GET /api/run/{run_id}`` (detail)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from .. import errors, queries
from ..schemas import RunDetail, RunPage
from .deps import Caller, ReadConn

router = APIRouter()

_PARAMS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": f.doc,
        "schema": queries.param_schema(f),
    }
    for name, f in queries.FILTERS.items()
] + [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "runs per page",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": queries.MAX_LIMIT,
            "default": queries.DEFAULT_LIMIT,
        },
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "`next_cursor` of the previous page",
        "schema": {"type": "string", "minLength": 1},
    },
]


@router.get(
    "/api/run/",
    response_model=RunPage,
    openapi_extra={"parameters": _PARAMS},
    responses=errors.responses(*errors.AUTHENTICATED, 422),
)
@router.get("/api/run", response_model=RunPage, include_in_schema=False)
def list_runs(request: Request, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """Runs of the caller's project, newest first; every filter of the seeds' table."""
    params = {key: request.query_params.getlist(key) for key in request.query_params.keys()}
    try:
        return queries.list_runs(conn, who.project_id, params)
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get(
    "/api/run/{run_id:path}",
    response_model=RunDetail,
    responses=errors.responses(*errors.AUTHENTICATED, 404),
)
def get_run(run_id: str, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """One run with its events, child runs, feedback and subtree cost."""
    detail = queries.run_detail(conn, who.project_id, run_id)
    if detail is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return detail
