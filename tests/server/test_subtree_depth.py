"""Subtree costs climb the same way at ingest (in memory and through stored runs)
and in recalc: one walk, one depth cap (costs.MAX_DEPTH), a parent cycle ends it."""

from __future__ import annotations

from typing import Any

import pytest

from observatory.server.costs import MAX_DEPTH

from .conftest import Server, uid

LEVELS = 150  # deeper than the 100 levels ingest used to stop at


def _llm(run_id: str, parent: str) -> dict[str, Any]:
    return {
        "name": "llm",
        "run_id": run_id,
        "parent_run_id": parent,
        "model": "gpt-4o",
        "prompt_tokens": 1000,
        "completion_tokens": 100,
    }


def test_a_deep_chain_adds_up_at_ingest_and_in_recalc(server: Server) -> None:
    assert MAX_DEPTH > LEVELS
    chain = [uid("lvl") for _ in range(LEVELS)]
    events = [{"name": "agent", "run_id": chain[0]}]
    events += [
        {"name": "agent", "run_id": rid, "parent_run_id": parent}
        for parent, rid in zip(chain, chain[1:], strict=False)
    ]
    server.report([*events, _llm(uid("leaf"), chain[-1])])  # climbs in memory
    one = server.run(chain[-1])["subtree_cost"]
    assert one > 0
    assert server.run(chain[0])["subtree_cost"] == pytest.approx(one)
    server.report([_llm(uid("leaf"), chain[-1])])  # climbs through the stored runs
    assert server.run(chain[0])["subtree_cost"] == pytest.approx(2 * one)
    resp = server.client.post("/api/costs/recalc")
    assert resp.status_code == 200, resp.text
    assert server.run(chain[0])["subtree_cost"] == pytest.approx(2 * one)


def test_a_parent_cycle_takes_a_cost_once_per_run(server: Server) -> None:
    a, b = uid("cyc-a"), uid("cyc-b")
    server.report(
        [
            {"name": "agent", "run_id": a, "parent_run_id": b},
            {"name": "agent", "run_id": b, "parent_run_id": a},
        ]
    )
    server.report([_llm(uid("leaf"), a)])
    leaf_cost = server.run(a)["subtree_cost"]
    assert leaf_cost > 0
    assert server.run(b)["subtree_cost"] == pytest.approx(leaf_cost)
