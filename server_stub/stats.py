"""The dashboard's aggregates over a time window (by run start, ``sort_time``).

Plain SQL over ``runs``: totals, per-bucket series, top agents/models by cost,
and the llm runs that cost 0 grouped by ``cost_status``."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from . import models
from .queries import QueryError, iso, parse_time

r = models.runs
DAY_US = 86_400 * 1_000_000
MAX_WINDOW_US = 400 * DAY_US
BUCKETS_S = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400)
"""Bucket widths the series choose from: the smallest giving at most ~200 points."""
MAX_POINTS = 200
TOP_MODELS = 8  # the cost chart stacks these and sums the rest as "other"


def window(raw_from: str | None, raw_to: str | None) -> tuple[int, int]:
    """``(from_us, to_us)``: defaults to the last 24 hours; QueryError when invalid."""
    to_us = parse_time(raw_to, "to") if raw_to else int(time.time() * 1_000_000)
    from_us = parse_time(raw_from, "from") if raw_from else to_us - DAY_US
    if from_us > to_us:
        raise QueryError("from is after to: nothing can match")
    if to_us - from_us > MAX_WINDOW_US:
        raise QueryError("the window may span at most 400 days")
    return from_us, to_us


def _in_window(project: int, from_us: int, to_us: int) -> list[Any]:
    return [r.c.project_id == project, r.c.sort_time >= from_us, r.c.sort_time <= to_us]


def summary(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """Totals of the window: runs of all types, errors, cost, llm runs, tokens."""
    row = conn.execute(
        select(
            func.count(),
            func.sum(case((r.c.status == "error", 1), else_=0)),
            func.sum(r.c.cost),
            func.sum(case((r.c.type == "llm", 1), else_=0)),
            func.sum(r.c.total_tokens),
        ).where(*_in_window(project, from_us, to_us))
    ).one()
    return {
        "from": iso(from_us),
        "to": iso(to_us),
        "runs": row[0] or 0,
        "errors": int(row[1] or 0),
        "cost_usd": float(row[2] or 0.0),
        "llm_runs": int(row[3] or 0),
        "total_tokens": int(row[4] or 0),
    }


def bucket_seconds(from_us: int, to_us: int) -> int:
    """The bucket width for a window: at most ~:data:`MAX_POINTS` points."""
    span_s = max((to_us - from_us) / 1_000_000, 1)
    return next((b for b in BUCKETS_S if span_s / b <= MAX_POINTS), BUCKETS_S[-1])


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(int(-(-q * len(ordered) // 1)), 1)  # ceil(q * n), at least 1
    return ordered[min(rank, len(ordered)) - 1]


def timeseries(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """Per bucket: runs, errors, latency p50/p95 (seconds) and llm cost by model."""
    width_s = bucket_seconds(from_us, to_us)
    width_us = width_s * 1_000_000
    first = from_us // width_us
    count = int(to_us // width_us - first + 1)
    times = [(first + i) * width_s for i in range(count)]
    runs, errors = [0] * count, [0] * count
    where = _in_window(project, from_us, to_us)
    key = r.c.sort_time // width_us
    for b, n, e in conn.execute(
        select(key, func.count(), func.sum(case((r.c.status == "error", 1), else_=0)))
        .where(*where)
        .group_by(key)
    ):
        runs[b - first], errors[b - first] = n, int(e or 0)
    latencies: dict[int, list[float]] = defaultdict(list)
    for b, lat in conn.execute(
        select(key, r.c.latency_s).where(*where, r.c.latency_s.is_not(None))
    ):
        latencies[b - first].append(lat)
    p50: list[float | None] = [None] * count
    p95: list[float | None] = [None] * count
    for i, values in latencies.items():
        values.sort()
        p50[i], p95[i] = _percentile(values, 0.5), _percentile(values, 0.95)
    cost_rows = conn.execute(
        select(key, r.c.model, func.sum(r.c.cost))
        .where(*where, r.c.type == "llm", r.c.cost > 0)
        .group_by(key, r.c.model)
    ).all()
    totals: dict[str, float] = defaultdict(float)
    for _, model, cost in cost_rows:
        totals[model or "(no model)"] += cost
    top = sorted(totals, key=lambda m: -totals[m])[:TOP_MODELS]
    series: dict[str, list[float]] = {m: [0.0] * count for m in top}
    for b, model, cost in cost_rows:
        name = model or "(no model)"
        name = name if name in series else "other"
        series.setdefault(name, [0.0] * count)[b - first] += cost
    return {
        "from": iso(from_us),
        "to": iso(to_us),
        "bucket_s": width_s,
        "times": times,
        "runs": runs,
        "errors": errors,
        "latency_p50_s": p50,
        "latency_p95_s": p95,
        "cost_by_model": [{"model": m, "cost_usd": v} for m, v in series.items()],
    }


def top(
    conn: Connection, project: int, from_us: int, to_us: int, by: str, limit: int
) -> dict[str, Any]:
    """The agents or models with the highest cost in the window.

    A model's cost is that of its llm runs; an agent's is the whole-tree cost of the
    top-level runs it names (the agent is usually known on the root alone, and
    counting roots only never counts a nested call twice)."""
    where = _in_window(project, from_us, to_us)
    if by == "agent":
        column, cost = r.c.agent, func.sum(r.c.subtree_cost)
        where.append(r.c.parent_run_id.is_(None))
    else:
        column, cost = r.c.model, func.sum(r.c.cost)
        where.append(r.c.type == "llm")
    rows = conn.execute(
        select(column, cost, func.count())
        .where(*where, column.is_not(None))
        .group_by(column)
        .order_by(cost.desc(), column)
        .limit(limit)
    )
    return {
        "by": by,
        "items": [{"key": k, "cost_usd": float(c or 0.0), "runs": n} for k, c, n in rows],
    }


def zero_cost(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """llm runs that cost 0, by ``cost_status`` (a missing price row shows up here)."""
    rows = conn.execute(
        select(r.c.cost_status, r.c.model, func.count())
        .where(*_in_window(project, from_us, to_us), r.c.type == "llm", r.c.cost == 0)
        .group_by(r.c.cost_status, r.c.model)
    ).all()
    groups: dict[str, dict[str, Any]] = {}
    for status, model, n in rows:
        g = groups.setdefault(status, {"cost_status": status, "runs": 0, "models": []})
        g["runs"] += n
        if model is not None:
            g["models"].append(model)
    items = sorted(groups.values(), key=lambda g: (-g["runs"], g["cost_status"]))
    for g in items:
        g["models"] = sorted(g["models"])[:20]
    return {"items": items}
