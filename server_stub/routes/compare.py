"""``GET /api/releases`` and ``GET /api/compare``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from .. import compare, errors, queries, releases
from ..changes import find_change
from ..db import now_us
from ..schemas import CompareResult, ReleaseList
from .deps import Caller, ReadConn

router = APIRouter()


@router.get(
    "/api/releases",
    response_model=ReleaseList,
    responses=errors.responses(*errors.AUTHENTICATED, 422),
)
def list_releases(who: Caller, conn: ReadConn, agent: str | None = None) -> dict[str, Any]:
    """Releases seen, per agent, with first and last run start and run counts."""
    return {"releases": releases.list_releases(conn, who.project_id, agent)}


_TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "baseline": _TEXT,
    "candidate": _TEXT,
    "around": _TEXT,
    "agent": _TEXT,
    "window": {"type": "string", "pattern": r"^\s*0*[1-9][0-9]{0,2}(\.[0-9]{1,3})?\s*[smhdw]\s*$"},
    "type": {"type": "string", "enum": ["agent", "llm", "tool"]},
    "from": {"type": "string", "format": "date-time"},
    "to": {"type": "string", "format": "date-time"},
    "seed": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
    "min_runs": {"type": "integer", "minimum": 0},
}
_PARAMS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": _PARAM_SCHEMAS.get(name, {"type": "number", "minimum": 0}),
    }
    for name in compare.PARAMS
]


@router.get(
    "/api/compare",
    response_model=CompareResult,
    openapi_extra={"parameters": _PARAMS},
    responses=errors.responses(*errors.AUTHENTICATED, 404, 422),
)
def get_compare(request: Request, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """Baseline vs candidate release (or the windows around a change): five metrics
    with estimates, differences, 95% intervals, Holm-adjusted p-values, verdicts
    and the policy check."""
    params = {key: request.query_params.getlist(key) for key in request.query_params.keys()}
    try:
        req = compare.parse_request(
            params, now_us(), lambda ref: find_change(conn, who.project_id, ref)
        )
        return compare.compare(conn, who.project_id, req)
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
