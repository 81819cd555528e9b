"""The dashboard's aggregates over a time window (by run start, ``sort_time``).

Whole hours inside the window are read from the hourly summaries that
:mod:`rollup` keeps at ingest, the partial hours at its edges from ``runs``, so
totals are exact and 30 days cost ~720 summary hours, not every run. Series with
buckets of an hour or more read whole hours from the summaries alone (latency
percentiles then come from their histogram); finer ones read ``runs``."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from . import models, rollup
from .queries import QueryError, iso, parse_time

r = models.runs
h, a, lat = models.stats_hourly, models.stats_hourly_agents, models.stats_hourly_latency
HOUR_US = rollup.HOUR_US
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


def _parts(from_us: int, to_us: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """The window as whole hours ``[first, end)`` for the summaries, and the inclusive
    ``sort_time`` ranges left at its edges for ``runs``."""
    first = -(-from_us // HOUR_US)
    end = (to_us + 1) // HOUR_US
    if first >= end:
        return None, [(from_us, to_us)]
    edges = [(from_us, first * HOUR_US - 1), (end * HOUR_US, to_us)]
    return (first, end), [(lo, hi) for lo, hi in edges if lo <= hi]


def _raw(lo: int, hi: int, project: int) -> list[Any]:
    return [r.c.project_id == project, r.c.sort_time >= lo, r.c.sort_time <= hi]


def _hours(table: Any, project: int, hours: tuple[int, int]) -> list[Any]:
    return [table.c.project_id == project, table.c.hour >= hours[0], table.c.hour < hours[1]]


_ERRORS = case((r.c.status == "error", 1), else_=0)
_LLM = case((r.c.type == "llm", 1), else_=0)


def summary(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """Totals of the window: runs of all types, errors, cost, llm runs, tokens."""
    hours, edges = _parts(from_us, to_us)
    parts = [
        select(
            func.count(),
            func.sum(_ERRORS),
            func.sum(r.c.cost),
            func.sum(_LLM),
            func.sum(r.c.total_tokens),
        ).where(*_raw(lo, hi, project))
        for lo, hi in edges
    ]
    if hours is not None:
        parts.append(
            select(
                func.sum(h.c.runs),
                func.sum(case((h.c.status == "error", h.c.runs), else_=0)),
                func.sum(h.c.cost),
                func.sum(case((h.c.type == "llm", h.c.runs), else_=0)),
                func.sum(h.c.tokens),
            ).where(*_hours(h, project, hours))
        )
    totals = [0, 0, 0.0, 0, 0]
    for part in parts:
        for i, value in enumerate(conn.execute(part).one()):
            totals[i] += value or 0
    return {
        "from": iso(from_us),
        "to": iso(to_us),
        "runs": int(totals[0]),
        "errors": int(totals[1]),
        "cost_usd": float(totals[2]),
        "llm_runs": int(totals[3]),
        "total_tokens": int(totals[4]),
    }


def bucket_seconds(from_us: int, to_us: int) -> int:
    """The bucket width for a window: at most ~:data:`MAX_POINTS` points."""
    span_s = max((to_us - from_us) / 1_000_000, 1)
    return next((b for b in BUCKETS_S if span_s / b <= MAX_POINTS), BUCKETS_S[-1])


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(math.ceil(q * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def _hist_percentile(bins: dict[int, int], q: float) -> float:
    """Nearest-rank percentile from latency histogram counts."""
    total = sum(bins.values())
    rank, seen = max(math.ceil(q * total), 1), 0
    for b in sorted(bins):
        seen += bins[b]
        if seen >= rank:
            return rollup.bin_value(b)
    return rollup.bin_value(max(bins))


def timeseries(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """Per bucket: runs, errors, latency p50/p95 (seconds) and llm cost by model."""
    width_s = bucket_seconds(from_us, to_us)
    width_us = width_s * 1_000_000
    first = from_us // width_us
    count = int(to_us // width_us - first + 1)
    out: dict[str, Any] = {
        "runs": [0] * count,
        "errors": [0] * count,
        "latency_p50_s": [None] * count,
        "latency_p95_s": [None] * count,
    }
    costs: list[tuple[int, str, float]] = []
    if width_us >= HOUR_US:
        _series_from_hours(conn, project, from_us, to_us, width_us, first, out, costs)
    else:
        _series_from_runs(conn, project, from_us, to_us, width_us, first, out, costs)
    totals: dict[str, float] = defaultdict(float)
    for _, model, cost in costs:
        totals[model] += cost
    top = sorted(totals, key=lambda m: -totals[m])[:TOP_MODELS]
    series: dict[str, list[float]] = {m: [0.0] * count for m in top}
    for i, model, cost in costs:
        series.setdefault(model if model in series else "other", [0.0] * count)[i] += cost
    return {
        "from": iso(from_us),
        "to": iso(to_us),
        "bucket_s": width_s,
        "times": [(first + i) * width_s for i in range(count)],
        **out,
        "cost_by_model": [{"model": m, "cost_usd": v} for m, v in series.items()],
    }


def _series_from_runs(
    conn: Connection,
    project: int,
    from_us: int,
    to_us: int,
    width_us: int,
    first: int,
    out: dict[str, Any],
    costs: list[tuple[int, str, float]],
) -> None:
    where = _raw(from_us, to_us, project)
    key = r.c.sort_time // width_us
    for b, n, e in conn.execute(
        select(key, func.count(), func.sum(_ERRORS)).where(*where).group_by(key)
    ):
        out["runs"][b - first], out["errors"][b - first] = n, int(e or 0)
    latencies: dict[int, list[float]] = defaultdict(list)
    for b, lat in conn.execute(
        select(key, r.c.latency_s).where(*where, r.c.latency_s.is_not(None))
    ):
        latencies[b - first].append(lat)
    for i, values in latencies.items():
        values.sort()
        out["latency_p50_s"][i] = _percentile(values, 0.5)
        out["latency_p95_s"][i] = _percentile(values, 0.95)
    for b, model, cost in conn.execute(
        select(key, r.c.model, func.sum(r.c.cost))
        .where(*where, r.c.type == "llm", r.c.cost > 0)
        .group_by(key, r.c.model)
    ):
        costs.append((b - first, model or "(no model)", cost))


def _series_from_hours(
    conn: Connection,
    project: int,
    from_us: int,
    to_us: int,
    width_us: int,
    first: int,
    out: dict[str, Any],
    costs: list[tuple[int, str, float]],
) -> None:
    hours = (from_us // HOUR_US, to_us // HOUR_US + 1)  # whole hours, edges included
    per = width_us // HOUR_US
    size = len(out["runs"])
    # grouped by bucket in SQL: a few thousand rows reach Python, not every summary row
    key = h.c.hour // per
    for b, n, e in conn.execute(
        select(key, func.sum(h.c.runs), func.sum(case((h.c.status == "error", h.c.runs), else_=0)))
        .where(*_hours(h, project, hours))
        .group_by(key)
    ):
        if 0 <= b - first < size:
            out["runs"][b - first] += int(n or 0)
            out["errors"][b - first] += int(e or 0)
    hist: dict[int, dict[int, int]] = defaultdict(dict)
    lat_key = lat.c.hour // per
    for b, bin_, n in conn.execute(
        select(lat_key, lat.c.bin, func.sum(lat.c.runs))
        .where(*_hours(lat, project, hours))
        .group_by(lat_key, lat.c.bin)
    ):
        if n and 0 <= b - first < size:
            hist[b - first][bin_] = int(n)
    for i, bins in hist.items():
        out["latency_p50_s"][i] = _hist_percentile(bins, 0.5)
        out["latency_p95_s"][i] = _hist_percentile(bins, 0.95)
    for b, model, cost in conn.execute(
        select(key, h.c.model, func.sum(h.c.cost))
        .where(*_hours(h, project, hours), h.c.type == "llm", h.c.cost > 0)
        .group_by(key, h.c.model)
    ):
        if 0 <= b - first < size:
            costs.append((b - first, model or "(no model)", cost))


def top(
    conn: Connection, project: int, from_us: int, to_us: int, by: str, limit: int
) -> dict[str, Any]:
    """The agents or models with the highest cost in the window: a model's llm runs,
    an agent's runs of every type that name it (the SDK puts the agent on each run
    of its context, so its llm calls count toward it)."""
    hours, edges = _parts(from_us, to_us)
    found: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    column = r.c.agent if by == "agent" else r.c.model
    for lo, hi in edges:
        where = _raw(lo, hi, project) + ([] if by == "agent" else [r.c.type == "llm"])
        for k, c, n in conn.execute(
            select(column, func.sum(r.c.cost), func.count())
            .where(*where, column.is_not(None))
            .group_by(column)
        ):
            found[k][0] += c or 0.0
            found[k][1] += n
    if hours is not None:
        if by == "agent":
            query = (
                select(a.c.agent, func.sum(a.c.cost), func.sum(a.c.runs))
                .where(*_hours(a, project, hours))
                .group_by(a.c.agent)
            )
        else:
            query = (
                select(h.c.model, func.sum(h.c.cost), func.sum(h.c.runs))
                .where(*_hours(h, project, hours), h.c.type == "llm", h.c.model != "")
                .group_by(h.c.model)
            )
        for k, c, n in conn.execute(query):
            found[k][0] += c or 0.0
            found[k][1] += n or 0
    ranked = sorted(
        ((k, v) for k, v in found.items() if v[1] > 0), key=lambda kv: (-kv[1][0], kv[0])
    )
    return {
        "by": by,
        "items": [
            {"key": k, "cost_usd": float(v[0]), "runs": int(v[1])} for k, v in ranked[:limit]
        ],
    }


def zero_cost(conn: Connection, project: int, from_us: int, to_us: int) -> dict[str, Any]:
    """llm runs that cost 0 for a reason (``cost_status`` other than ``ok``), by reason,
    with their models: a missing price row shows up here, not on the invoice."""
    hours, edges = _parts(from_us, to_us)
    counts: dict[str, int] = defaultdict(int)
    models_of: dict[str, set[str]] = defaultdict(set)
    queries = [
        select(r.c.cost_status, r.c.model, func.count())
        .where(*_raw(lo, hi, project), r.c.type == "llm", r.c.cost_status != "ok")
        .group_by(r.c.cost_status, r.c.model)
        for lo, hi in edges
    ]
    if hours is not None:
        queries.append(
            select(h.c.cost_status, h.c.model, func.sum(h.c.runs))
            .where(*_hours(h, project, hours), h.c.type == "llm", h.c.cost_status != "ok")
            .group_by(h.c.cost_status, h.c.model)
        )
    for query in queries:
        for status, model, n in conn.execute(query):
            if n:
                counts[status] += int(n)
                if model:
                    models_of[status].add(model)
    items = [
        {"cost_status": s, "runs": n, "models": sorted(models_of[s])[:20]}
        for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n > 0
    ]
    return {"items": items}
