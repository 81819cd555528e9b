"""The cost rule, its reasons, name resolution, the editable table and recalc."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from observatory.server import costs

from .conftest import Server, uid


def _llm(server: Server, **fields: object) -> dict[str, object]:
    rid = uid()
    server.report([{"name": "llm_end", "run_id": rid, **fields}])
    return server.run(rid)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"prompt_tokens": 10, "completion_tokens": 5}, "missing_model"),
        ({"model": "gpt-4o"}, "missing_tokens"),
        ({"model": "gpt-4o", "prompt_tokens": 10}, "missing_tokens"),
        (
            {"model": "no-such-model-xyz", "prompt_tokens": 10, "completion_tokens": 5},
            "unknown_model",
        ),
        ({"model": "gpt-4o", "total_tokens": 100}, "no_total_price"),
    ],
)
def test_each_failed_condition_says_why_and_costs_zero(
    shared_server: Server, fields: dict[str, object], status: str
) -> None:
    run = _llm(shared_server, **fields)
    assert run["cost"] == 0 and run["cost_status"] == status


def test_agent_typed_event_with_tokens_is_not_priced(server: Server) -> None:
    rid = uid()
    server.report(
        [
            {
                "name": "agent_end",
                "run_id": rid,
                "model": "gpt-4o",
                "prompt_tokens": 1000,
                "completion_tokens": 1000,
            }
        ]
    )
    run = server.run(rid)
    assert run["cost"] == 0 and run["cost_status"] == "not_llm"


def test_priced_like_genai_prices_and_client_cost_ignored(server: Server) -> None:
    run = _llm(server, model="gpt-4o", prompt_tokens=1234, completion_tokens=567, cost=999.0)
    expected = calc_price(Usage(input_tokens=1234, output_tokens=567), "gpt-4o").total_price
    assert run["cost_status"] == "ok"
    assert run["cost"] == pytest.approx(float(expected))


@pytest.mark.parametrize(
    "name",
    [
        "gpt-4o-2024-08-06",
        "openai/gpt-4o",
        "GPT-4o",
        "openai/gpt-4o-2024-08-06",
        "my-proxy/gpt-4o-2024-08-06",
    ],
)
def test_date_suffixed_and_provider_prefixed_names_resolve(
    shared_server: Server, name: str
) -> None:
    server = shared_server
    run = _llm(server, model=name, prompt_tokens=1_000_000, completion_tokens=0)
    assert run["cost_status"] == "ok"
    assert run["cost"] == pytest.approx(2.5)
    row = server.client.get(f"/api/costs/{name}").json()
    # genai-prices also lists OpenRouter's exact name "openai/gpt-4o"; either row is right
    assert row["model"] in ("gpt-4o", "openai/gpt-4o") and row["input"] == 2.5


def test_custom_row_resolves_with_date_suffix_and_prefix(server: Server) -> None:
    assert (
        server.client.put("/api/costs/acme-llm", json={"input": 1, "output": 2}).status_code == 200
    )
    for name in ("acme-llm", "acme-llm-2025-01-31", "vendor/acme-llm-20250131"):
        run = _llm(server, model=name, prompt_tokens=1_000_000, completion_tokens=1_000_000)
        assert (run["cost_status"], run["cost"]) == ("ok", pytest.approx(3.0)), name


def test_total_only_usage_uses_the_total_price(server: Server) -> None:
    server.client.put("/api/costs/flat-model", json={"input": 1, "output": 3, "total": 2})
    run = _llm(server, model="flat-model", total_tokens=500_000)
    assert (run["cost_status"], run["cost"]) == ("ok", pytest.approx(1.0))


def test_cached_tokens_use_the_cached_input_price(server: Server) -> None:
    server.client.put("/api/costs/cachey", json={"input": 10, "output": 0, "cached_input": 1})
    run = _llm(
        server, model="cachey", prompt_tokens=1_000_000, completion_tokens=0, cached_tokens=500_000
    )
    assert run["cost"] == pytest.approx(5.5)


def test_edit_then_recalc_updates_stored_costs_and_subtrees(server: Server) -> None:
    parent, child = uid(), uid()
    server.report(
        [
            {"name": "agent_start", "run_id": parent},
            {
                "name": "llm_end",
                "run_id": child,
                "parent_run_id": parent,
                "model": "brand-new-model",
                "prompt_tokens": 1_000_000,
                "completion_tokens": 1_000_000,
            },
        ]
    )
    assert server.run(child)["cost_status"] == "unknown_model"
    resp = server.client.put("/api/costs/brand-new-model", json={"input": 2, "output": 4})
    assert resp.status_code == 200 and resp.json()["source"] == "user"
    assert server.run(child)["cost"] == 0  # stored costs change only on recalc
    assert server.client.post("/api/costs/recalc").json()["updated"] == 2
    assert (server.run(child)["cost"], server.run(child)["cost_status"]) == (6.0, "ok")
    assert server.run(parent)["subtree_cost"] == 6.0
    assert server.client.post("/api/costs/recalc").json()["updated"] == 0
    # new events are priced with the edited table immediately
    assert (
        _llm(server, model="brand-new-model", prompt_tokens=1_000_000, completion_tokens=0)["cost"]
        == 2.0
    )
    # delete → unknown again after recalc
    assert server.client.delete("/api/costs/brand-new-model").status_code == 204
    assert server.client.delete("/api/costs/brand-new-model").status_code == 404
    server.client.post("/api/costs/recalc")
    assert server.run(child)["cost_status"] == "unknown_model"
    assert server.run(parent)["subtree_cost"] == 0


def test_cost_table_validation(server: Server) -> None:
    for body in (
        {"input": -1, "output": 1},
        {"input": 1},
        {"input": "x", "output": 1},
        {"input": 1, "output": 1, "bogus": 1},
    ):
        resp = server.client.put("/api/costs/m", json=body)
        assert resp.status_code == 422, body
    assert server.client.get("/api/costs/definitely-unknown-zz").status_code == 404


def test_table_is_seeded_from_genai_prices(server: Server) -> None:
    rows = {r["model"]: r for r in server.client.get("/api/costs").json()["costs"]}
    assert len(rows) > 500
    assert rows["gpt-4o"]["input"] == 2.5 and rows["gpt-4o"]["output"] == 10
    assert rows["gpt-4o"]["cached_input"] == 1.25
    assert rows["gpt-4o"]["source"].startswith("genai-prices")
    assert rows["gpt-4o"]["total"] is None


def test_subtree_cost_rolls_up_in_any_order(server: Server) -> None:
    root, mid, leaf1, leaf2 = uid(), uid(), uid(), uid()
    server.client.put("/api/costs/unit", json={"input": 1, "output": 0})

    def llm(rid: str, parent: str, tokens: int) -> dict[str, object]:
        return {
            "name": "llm_end",
            "run_id": rid,
            "parent_run_id": parent,
            "model": "unit",
            "prompt_tokens": tokens,
            "completion_tokens": 0,
        }

    server.report([llm(leaf1, mid, 1_000_000)])  # leaf before its parents
    server.report([{"name": "agent_start", "run_id": root}])
    server.report(
        [{"name": "tool_start", "run_id": mid, "parent_run_id": root}, llm(leaf2, mid, 2_000_000)]
    )
    assert server.run(mid)["subtree_cost"] == 3.0
    assert server.run(root)["subtree_cost"] == 3.0
    assert server.run(root)["cost"] == 0
    assert [r["run_id"] for r in server.runs(min_cost=2.5)] != []
    assert {r["run_id"] for r in server.runs(min_cost=2.5)} == {root, mid}


def test_compute_cost_unit() -> None:
    price = costs.Price("m", input=1.0, output=2.0, cached_input=None, total=None)
    assert costs.compute_cost(price, "llm", "m", 1_000_000, 1_000_000, None) == (3.0, "ok")
    assert costs.compute_cost(price, "llm", "m", None, None, 10) == (0.0, "no_total_price")
    assert costs.compute_cost(None, "llm", "m", 1, 1, None) == (0.0, "unknown_model")
    assert costs.compute_cost(price, "tool", "m", 1, 1, None) == (0.0, "not_llm")
    assert costs.compute_cost(price, "llm", None, 1, 1, None) == (0.0, "missing_model")
    assert costs.compute_cost(price, "llm", "m", 1, None, None) == (0.0, "missing_tokens")
