"""``GET /api/stats/*``: the dashboard's aggregates over a window (default: last 24 h)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from .. import errors, stats
from ..queries import QueryError
from ..schemas import StatsSeries, StatsSummary, StatsTop, StatsZeroCost
from .deps import Caller, ReadConn, single_query_values

router = APIRouter(
    prefix="/api/stats",
    tags=["stats"],
    dependencies=[Depends(single_query_values)],
    responses=errors.responses(*errors.AUTHENTICATED, 422),
)

_TIME = {"format": "date-time"}
From = Annotated[
    str | None,
    Query(
        alias="from",
        min_length=1,
        description="window start, ISO-8601 (default: to - 24 h)",
        json_schema_extra=_TIME,
    ),
]
To = Annotated[
    str | None,
    Query(min_length=1, description="window end, ISO-8601 (default: now)", json_schema_extra=_TIME),
]


def _window(raw_from: str | None, raw_to: str | None) -> tuple[int, int]:
    try:
        return stats.window(raw_from, raw_to)
    except QueryError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/summary", response_model=StatsSummary)
def summary(who: Caller, conn: ReadConn, from_: From = None, to: To = None) -> dict[str, Any]:
    """Totals of runs that started in the window: runs of all types, errors, cost (USD)."""
    low, high = _window(from_, to)
    return stats.summary(conn, who.project_id, low, high)


@router.get("/timeseries", response_model=StatsSeries)
def timeseries(who: Caller, conn: ReadConn, from_: From = None, to: To = None) -> dict[str, Any]:
    """Per time bucket (``times`` are bucket starts, Unix seconds): runs, errors,
    latency p50/p95, and llm cost by model (top models, the rest as ``other``)."""
    low, high = _window(from_, to)
    return stats.timeseries(conn, who.project_id, low, high)


@router.get("/top", response_model=StatsTop)
def top(
    who: Caller,
    conn: ReadConn,
    by: Literal["agent", "model"] = "model",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    from_: From = None,
    to: To = None,
) -> dict[str, Any]:
    """Agents or models with the highest cost in the window."""
    low, high = _window(from_, to)
    return stats.top(conn, who.project_id, low, high, by, limit)


@router.get("/zero-cost", response_model=StatsZeroCost)
def zero_cost(who: Caller, conn: ReadConn, from_: From = None, to: To = None) -> dict[str, Any]:
    """llm runs of the window that cost 0, grouped by ``cost_status``, with their models."""
    low, high = _window(from_, to)
    return stats.zero_cost(conn, who.project_id, low, high)
