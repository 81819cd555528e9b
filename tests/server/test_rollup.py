"""The dashboard's hourly summaries stay equal to an aggregate over the stored runs."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from observatory.server import db, models, rollup

from .conftest import Server, uid
from .ui.seed import run_events


def _snapshot(server: Server) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    """Every summary row that counts something, keyed by its primary key."""
    database = db.open_database(server.db_url)
    out = {}
    try:
        with database.read.connect() as conn:
            for table in (
                models.stats_hourly,
                models.stats_hourly_agents,
                models.stats_hourly_latency,
            ):
                keys = [c.name for c in table.primary_key.columns]
                rows = {}
                for row in conn.execute(select(table)).mappings():
                    values = tuple(
                        round(v, 9) if isinstance(v, float) else v
                        for k, v in row.items()
                        if k not in keys
                    )
                    if any(values):
                        rows[tuple(row[k] for k in keys)] = values
                out[table.name] = rows
    finally:
        database.dispose()
    return out


def _rebuilt(server: Server) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    database = db.open_database(server.db_url)
    try:
        with database.write.begin() as conn:
            rollup.rebuild(conn)
    finally:
        database.dispose()
    return _snapshot(server)


def test_summaries_kept_at_ingest_equal_a_rebuild(server: Server) -> None:
    rnd = random.Random(3)
    starts: list[dict[str, Any]] = []
    ends: list[dict[str, Any]] = []
    for i in range(120):
        rid = uid("r")
        kind = ("agent", "llm", "tool")[i % 3]
        fields: dict[str, Any] = {"metadata": {"agent": f"a{i % 4}"}}
        if kind == "llm":
            fields["model"] = rnd.choice(["gpt-4o", "gpt-4o-mini", "house-model"])
        start, end = run_events(
            rid,
            kind,
            rnd.random() * 50,
            55 + rnd.random(),
            minute=rnd.randrange(3),
            hour=rnd.choice([8, 9]),
            start_fields=fields,
            **({"prompt_tokens": 100, "completion_tokens": 10} if kind == "llm" else {}),
            **({"status": "error"} if i % 7 == 0 else {}),
        )
        starts.append(start)
        ends.append(end)
    server.report(starts)  # runs stored as started ...
    server.report(ends[::2])  # ... then ended, in two later batches
    server.report(ends[1::2])
    kept = _snapshot(server)
    assert kept["stats_hourly"]
    assert kept == _rebuilt(server)

    # a repricing changes stored costs: the summaries follow
    resp = server.client.put("/api/costs/house-model", json={"input": 1.0, "output": 2.0})
    assert resp.status_code == 200, resp.text
    assert server.client.post("/api/costs/recalc").json()["updated"] > 0
    after = _snapshot(server)
    assert after != kept
    assert after == _rebuilt(server)


@pytest.mark.parametrize(
    "window",
    [
        ("2026-05-29T08:00:30Z", "2026-05-29T09:59:10Z"),  # partial hours at both edges
        ("2026-05-29T08:00:00Z", "2026-05-29T09:59:59.999999Z"),  # whole hours only
        ("2026-05-29T08:10:00Z", "2026-05-29T08:20:00Z"),  # inside one hour
    ],
)
def test_stats_totals_are_exact_at_any_window(server: Server, window: tuple[str, str]) -> None:
    events: list[dict[str, Any]] = []
    for minute in (0, 5, 15, 59):
        for hour in (8, 9):
            events += run_events(
                uid("l"),
                "llm",
                10,
                20,
                minute=minute,
                hour=hour,
                start_fields={"model": "gpt-4o"},
                prompt_tokens=1000,
                completion_tokens=100,
            )
    server.report(events)
    low, high = window
    runs = server.runs(**{"from": low, "to": high})
    got = server.client.get("/api/stats/summary", params={"from": low, "to": high}).json()
    assert got["runs"] == len(runs)
    assert got["cost_usd"] == pytest.approx(sum(r["cost"] for r in runs))
    assert got["total_tokens"] == sum(r["total_tokens"] for r in runs)


def test_latency_bins_are_within_seven_percent() -> None:
    for latency in (0.0015, 0.02, 0.3, 1.0, 7.5, 42.0, 3600.0):
        value = rollup.bin_value(rollup.latency_bin(latency))
        assert abs(value - latency) / latency < 0.075, latency
    assert rollup.latency_bin(0.0) == 0
