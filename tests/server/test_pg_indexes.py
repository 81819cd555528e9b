"""Every run filter of ``GET /api/run/`` reads runs through an index on PostgreSQL,
checked with ``EXPLAIN`` on the very statements :func:`queries.list_runs` sends.

30,000 runs (the benchmark's seeder) with fresh statistics and ``enable_seqscan``
off: each filter must be served by its own index (``type`` by the newest-first
walk of ``ix_runs_time``, on purpose: see models.py) and no plan may scan
``runs`` sequentially. At this size the planner would still pick a cheap
sequential scan joined to the latency, cost or tag index for three filters;
at 1,000,000 runs they answer in 12-24 ms (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from benchmarks.workers.seed_runs import seed
from observatory.server import db, queries

from .pgcluster import Cluster

RUNS = 30_000
VALUES = {  # each selects a small share of the seeded runs (or none)
    "status": "error",
    "type": "llm",
    "model": "model-3",
    "agent": "agent-7",
    "user_email": "user42@example.com",
    "app_id": "another-app",
    "release": "v9",
    "parent_run_id": "run-00000300",
    "trace_id": "ab" * 16,
    "min_latency_s": "9.9",
    "max_latency_s": "0.05",
    "min_cost": "0.0099",
    "max_cost": "-1",
    "tags": "tag-3",
    "from": "2026-12-05T00:00:00Z",
    "to": "2026-11-06T00:00:00Z",
}
INDEX = {
    "status": "ix_runs_status",
    "type": "ix_runs_time",
    "model": "ix_runs_model",
    "agent": "ix_runs_agent",
    "user_email": "ix_runs_user",
    "app_id": "ix_runs_app",
    "release": "ix_runs_release",
    "parent_run_id": "ix_runs_parent",
    "trace_id": "ix_runs_trace",
    "min_latency_s": "ix_runs_latency",
    "max_latency_s": "ix_runs_latency",
    "min_cost": "ix_runs_cost",
    "max_cost": "ix_runs_cost",
    "tags": "ix_run_tags_tag",
    "from": "ix_runs_time",
    "to": "ix_runs_time",
}


@pytest.fixture(scope="module")
def seeded(pg_cluster: Cluster) -> Iterator[db.Database]:
    url = pg_cluster.create_database()
    try:
        seed(url, RUNS)  # ends with ANALYZE
        database = db.connect(url)
        try:
            yield database
        finally:
            database.dispose()
    finally:
        pg_cluster.drop_database(url)


def test_every_filter_is_covered() -> None:
    assert set(VALUES) == set(queries.FILTERS) == set(INDEX)


def _plan(conn: Any, params: dict[str, list[str]]) -> str:
    sent: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cur: Any, stmt: str, args: Any, _ctx: Any, _many: bool) -> None:
        sent.append((stmt, args))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        queries.list_runs(conn, 1, params)
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    stmt, args = sent[-1]
    return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + stmt, args))


@pytest.mark.parametrize("name", sorted(queries.FILTERS))
def test_filter_uses_its_index(seeded: db.Database, name: str) -> None:
    with seeded.read.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = _plan(conn, {name: [VALUES[name]], "limit": ["50"]})
    assert "Seq Scan on runs" not in plan, plan
    assert f" {INDEX[name]} " in plan + " ", plan
