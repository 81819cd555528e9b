"""`Client.compare`, `releases`, `changes` and `add_change` (and the async twins)
against a real receiver: typed answers, equal over both clients."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

import observatory
from observatory import api_models as m
from observatory._read_client import COMPARE_OPTIONS, _wire_name
from observatory.server import compare, schemas

from .conftest import Server, uid
from .ui.seed import release_runs


@pytest.fixture(scope="module")
def releases(shared_server: Server) -> dict[str, str]:
    """40 runs of a baseline and 40 of a candidate that is twice as slow and
    three times as expensive, for one agent."""
    agent, base, cand = uid("agent"), uid("v1"), uid("v2")
    events = release_runs(base, 40, 1.0, 1000, agent=agent, hour=8)
    events += release_runs(cand, 40, 2.0, 3000, agent=agent, hour=10)
    assert shared_server.report(events)["rejected"] == []
    return {"agent": agent, "base": base, "cand": cand}


def _both(url: str, call: Any) -> tuple[Any, Any]:
    """``call(client)`` with the sync client and awaited with the async one."""
    with observatory.Client(url) as client:
        sync = call(client)

    async def run() -> Any:
        async with observatory.AsyncClient(url) as client:
            return await call(client)

    return sync, asyncio.run(run())


def test_compare_returns_the_typed_answer_sync_and_async_equal(
    shared_server: Server, releases: dict[str, str]
) -> None:
    sync, async_ = _both(
        shared_server.url,
        lambda c: c.compare(releases["base"], releases["cand"], agent=releases["agent"],
                            max_cost_increase_pct=10),
    )
    assert isinstance(sync, m.CompareResult) and sync == async_
    raw = shared_server.client.get(
        "/api/compare",
        params={"baseline": releases["base"], "candidate": releases["cand"],
                "agent": releases["agent"], "max_cost_increase_pct": 10},
    ).json()
    assert sync.model_dump(mode="json", by_alias=True) == raw
    assert sync.baseline.runs == sync.candidate.runs == 40
    assert sync.metrics["latency_p50"].verdict == "regressed"
    assert sync.metrics["cost"].verdict == "regressed"
    assert sync.metrics["error_rate"].verdict == "no_significant_change"
    assert sync.policy.passed is False and sync.policy.thresholds == {"max_cost_increase_pct": 10}
    assert len(sync.distributions["latency"]["candidate"]) == 101


def test_compare_window_and_type_reach_the_receiver(
    shared_server: Server, releases: dict[str, str]
) -> None:
    with observatory.Client(shared_server.url) as client:
        old = client.compare(releases["base"], releases["cand"], window="1h")
        assert old.baseline.runs == 0 and old.metrics["cost"].verdict == "insufficient_data"
        llm = client.compare(
            releases["base"], releases["cand"], type="llm",
            from_=datetime(2026, 5, 20, tzinfo=UTC), to="2026-05-20T23:59:59Z",
        )
        assert llm.unit == "llm run" and llm.candidate.runs == 40
        assert llm.baseline.from_ == datetime(2026, 5, 20, tzinfo=UTC)
        with pytest.raises(observatory.InvalidRequest, match="window"):
            client.compare("a", "b", window="forever")
        with pytest.raises(ValueError, match="baseline and candidate"):
            client.compare("a")
        with pytest.raises(TypeError, match="unknown compare option"):
            client.compare("a", "b", colour="red")  # type: ignore[call-arg]


def test_every_compare_parameter_is_an_argument() -> None:
    wire = {_wire_name(name) for name in COMPARE_OPTIONS} | {"baseline", "candidate", "around"}
    assert wire == set(compare.PARAMS)


def test_releases_lists_both_with_counts(shared_server: Server, releases: dict[str, str]) -> None:
    sync, async_ = _both(shared_server.url, lambda c: c.releases(agent=releases["agent"]))
    assert sync == async_
    assert [r.release for r in sync] == [releases["cand"], releases["base"]]
    assert all(isinstance(r, m.Release) and r.runs == 80 and r.root_runs == 40 for r in sync)
    assert sync[1].first_seen == datetime(2026, 5, 20, 8, tzinfo=UTC)


def test_changes_are_added_listed_and_compared_around(
    shared_server: Server, releases: dict[str, str]
) -> None:
    ref = uid("git")
    with observatory.Client(shared_server.url) as client:
        added = client.add_change("code", ref, "the slow release", at=datetime(2026, 5, 20, 10))
        assert isinstance(added, m.Change) and added.at == datetime(2026, 5, 20, 10, tzinfo=UTC)
        around = client.compare(around=ref, agent=releases["agent"], window="2h")
        assert around.change == added
        assert (around.baseline.runs, around.candidate.runs) == (40, 40)
        assert around.metrics["latency_p50"].verdict == "regressed"
        with pytest.raises(observatory.NotFound):
            client.compare(around=uid("nope"))
        with pytest.raises(observatory.InvalidRequest):
            client.add_change("weather", ref)  # type: ignore[arg-type]

    async def listed() -> list[m.Change]:
        async with observatory.AsyncClient(shared_server.url) as client:
            return await client.changes(ref=ref, kind="code", from_="2026-05-20T00:00:00Z")

    sync = observatory.Client(shared_server.url).changes(ref=ref, to=datetime(2026, 5, 21))
    assert sync == asyncio.run(listed()) == [added]


def test_the_receiver_uses_the_shared_models() -> None:
    for name in ("CompareResult", "MetricResult", "CompareSide", "PolicyResult", "ReleaseList",
                 "ChangeList"):
        assert getattr(schemas, name) is getattr(m, name)
    assert schemas.ReleaseOut is m.Release and schemas.ChangeOut is m.Change
