"""Hourly summaries of runs for the dashboard, kept in the writer's transaction.

Each stored run contributes to three rows of its hour (``sort_time // 1 h``):
totals by (type, status, cost_status, model), cost by agent, and a latency
histogram bin. When a run changes (its end arrives, it is repriced) the writer
passes the stored row and the new one, and the difference is added, so the
summaries always equal an aggregate over ``runs``. Cost recalculation and
retention rebuild them from ``runs`` (:func:`rebuild`).

Latency percentiles come from log-spaced bins (each 15% wider than the last, from
1 ms): a reported p50/p95 is the middle of its bin, within ~7% of the exact value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from . import db, models
from .stores import upsert_insert

HOUR_US = 3_600_000_000
BIN_BASE_S = 0.001
BIN_GROWTH = 1.15
MAX_BIN = 120  # 1 ms x 1.15^120: about 20 days
VERSION_KEY = "stats_rollup_version"
VERSION = "1"

_h, _a, _l, _r = (
    models.stats_hourly,
    models.stats_hourly_agents,
    models.stats_hourly_latency,
    models.runs,
)


def latency_bin(latency_s: float) -> int:
    """The histogram bin of a latency: 0 up to 1 ms, then one per 15% step."""
    if latency_s <= BIN_BASE_S:
        return 0
    return min(int(math.log(latency_s / BIN_BASE_S) / math.log(BIN_GROWTH)) + 1, MAX_BIN)


def bin_value(b: int) -> float:
    """The latency a bin stands for (its geometric middle; 1 ms for bin 0)."""
    return BIN_BASE_S if b == 0 else BIN_BASE_S * BIN_GROWTH ** (b - 0.5)


class _Delta:
    """Changes to the three summaries, accumulated before one upsert each."""

    def __init__(self) -> None:
        self.totals: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0, 0])
        self.agents: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0])
        self.latency: dict[tuple[Any, ...], int] = defaultdict(int)

    def add(self, project: int, run: Any, sign: int) -> None:  # a mapping or row
        hour = run["sort_time"] // HOUR_US
        cost = (run["cost"] or 0.0) * sign
        key = (project, hour, run["type"], run["status"], run["cost_status"], run["model"] or "")
        t = self.totals[key]
        t[0] += sign
        t[1] += cost
        t[2] += (run["total_tokens"] or 0) * sign
        if run["agent"] is not None:
            a = self.agents[(project, hour, run["agent"])]
            a[0] += sign
            a[1] += cost
        if run["latency_s"] is not None:
            self.latency[(project, hour, latency_bin(run["latency_s"]))] += sign

    def write(self, conn: Connection) -> None:
        # rows in key order: receivers sharing a PostgreSQL store lock them in one order
        totals = [
            dict(zip(_TOTAL_KEYS, k, strict=True)) | {"runs": v[0], "cost": v[1], "tokens": v[2]}
            for k, v in sorted(self.totals.items())
            if v[0] or v[1] or v[2]
        ]
        agents = [
            {"project_id": k[0], "hour": k[1], "agent": k[2], "runs": v[0], "cost": v[1]}
            for k, v in sorted(self.agents.items())
            if v[0] or v[1]
        ]
        latency = [
            {"project_id": k[0], "hour": k[1], "bin": k[2], "runs": v}
            for k, v in sorted(self.latency.items())
            if v
        ]
        _upsert(conn, _h, totals, ("runs", "cost", "tokens"))
        _upsert(conn, _a, agents, ("runs", "cost"))
        _upsert(conn, _l, latency, ("runs",))


_TOTAL_KEYS = ("project_id", "hour", "type", "status", "cost_status", "model")


def _upsert(
    conn: Connection, table: Any, rows: list[dict[str, Any]], sums: tuple[str, ...]
) -> None:
    if not rows:
        return
    stmt = upsert_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + stmt.excluded[name] for name in sums},
    )
    conn.execute(stmt, rows)


def apply(
    conn: Connection,
    project: int,
    changes: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
) -> None:
    """Add ``(new, stored-or-None)`` run changes to the summaries (writer's transaction)."""
    delta = _Delta()
    collect(delta, project, changes)
    delta.write(conn)


Delta = _Delta
"""Summary changes gathered over several batches (the writer writes them once per
group, last, so the hot rows of the hour are locked only while it commits)."""


def collect(
    delta: _Delta,
    project: int,
    changes: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
) -> None:
    """Add ``(new, stored-or-None)`` run changes to ``delta`` (written later)."""
    for new, old in changes:
        if old is not None:
            delta.add(project, old, -1)
        delta.add(project, new, +1)


_COLUMNS = (
    _r.c.project_id,
    _r.c.sort_time,
    _r.c.type,
    _r.c.status,
    _r.c.cost_status,
    _r.c.model,
    _r.c.agent,
    _r.c.cost,
    _r.c.total_tokens,
    _r.c.latency_s,
)


def rebuild(conn: Connection, before_us: int | None = None) -> None:
    """Recompute the summaries from ``runs`` (all hours, or those before ``before_us``)."""
    # every hour that starts before the cut (the one it falls in is redone whole)
    hour_cut = None if before_us is None else -(-before_us // HOUR_US)
    for table in (_h, _a, _l):
        query = delete(table)
        if hour_cut is not None:
            query = query.where(table.c.hour < hour_cut)
        conn.execute(query)
    select_runs = select(*_COLUMNS)
    if hour_cut is not None:
        select_runs = select_runs.where(_r.c.sort_time < hour_cut * HOUR_US)
    delta = _Delta()
    # options on this statement only: Connection.execution_options() would change the
    # connection, and on PostgreSQL every later statement would become a server cursor
    rows = conn.execute(select_runs, execution_options={"yield_per": 50_000}).mappings()
    for row in rows:
        delta.add(row["project_id"], row, +1)
    delta.write(conn)
    db.set_meta(conn, VERSION_KEY, VERSION)


def ensure(conn: Connection) -> bool:
    """Build the summaries once for a store that predates them; True if it did."""
    if db.get_meta(conn, VERSION_KEY) == VERSION:
        return False
    rebuild(conn)
    return True
