"""/dashboard in Chromium: the window's totals equal the sums of the seeded runs."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import Server, uid
from .seed import run_events

WINDOW = "from=2026-05-15T00:00:00Z&to=2026-05-15T23:59:59Z"


@pytest.fixture(scope="module")
def seeded(shared_server: Server) -> dict[str, Any]:
    """Two priced traces, an unknown model, an error, all on 2026-05-15."""
    events: list[dict[str, Any]] = []
    for i, agent in enumerate(["billing", "support"]):
        root, llm = uid("root"), uid("llm")
        events += run_events(
            root, "agent", 0, 9, minute=i, day=15, start_fields={"metadata": {"agent": agent}}
        )
        events += run_events(
            llm,
            "llm",
            1,
            3,
            parent=root,
            minute=i,
            day=15,
            start_fields={"model": "gpt-4o", "metadata": {"agent": agent}},  # as the SDK does
            prompt_tokens=1000 * (i + 1),
            completion_tokens=100,
        )
    events += run_events(
        uid("llm"),
        "llm",
        0,
        1,
        minute=5,
        day=15,
        start_fields={"model": "house-model-7"},
        prompt_tokens=5,
        completion_tokens=5,
    )
    events += run_events(
        uid("tool"),
        "tool",
        0,
        2,
        minute=6,
        day=15,
        status="error",
        error={"type": "ValueError", "message": "bad"},
    )
    events += run_events(uid("llm"), "llm", 0, 1, minute=7, day=16)  # outside the window
    shared_server.report(events)
    runs = shared_server.runs(**{"from": "2026-05-15T00:00:00Z", "to": "2026-05-15T23:59:59Z"})
    return {"runs": runs}


def _total(page: Any, cls: str) -> str:
    return page.locator(f".totals .total.{cls} .value").inner_text()


def test_totals_equal_the_sums_of_the_seeded_runs(
    shared_server: Server, seeded: dict[str, Any], page: Any
) -> None:
    runs = seeded["runs"]
    assert len(runs) == 6
    cost = sum(r["cost"] for r in runs)
    assert cost > 0
    page.goto(f"{shared_server.url}/dashboard?{WINDOW}")
    page.locator(".totals").wait_for()
    assert _total(page, "runs") == "6"
    assert _total(page, "errors") == "1"
    assert _total(page, "llm-runs") == "3"
    shown = page.evaluate(
        "cost => import('/ui/static/format.js').then(m => m.formatCost(cost))", cost
    )
    assert _total(page, "cost") == shown
    api = shared_server.client.get(f"/api/stats/summary?{WINDOW}").json()
    assert api["cost_usd"] == pytest.approx(cost)


def test_zero_cost_runs_are_listed_by_reason_and_charts_draw(
    shared_server: Server, seeded: dict[str, Any], page: Any
) -> None:
    page.goto(f"{shared_server.url}/dashboard?{WINDOW}")
    row = page.locator('tr[data-cost-status="unknown_model"]')
    row.wait_for()
    assert "house-model-7" in row.inner_text()
    assert row.locator("td.num").inner_text() == "1"
    assert page.locator(".chart canvas").count() == 3
    models = page.get_by_role("table", name="Top models by cost")
    assert models.locator("tbody tr").first.locator("td").first.inner_text() == "gpt-4o"
    agents = page.get_by_role("table", name="Top agents by cost")
    assert agents.locator("tbody tr td:first-child").all_inner_texts() == ["support", "billing"]


def test_named_windows_are_links(shared_server: Server, page: Any) -> None:
    page.goto(f"{shared_server.url}/dashboard")
    page.get_by_role("button", name="7 days").click()
    page.wait_for_url("**/dashboard?window=7d")
    page.locator(".totals").wait_for()
    assert page.locator('.windows a[aria-current="true"]').inner_text() == "7 days"


def test_stats_endpoints_are_documented(shared_server: Server) -> None:
    paths = shared_server.client.get("/openapi.json").json()["paths"]
    for name in ("summary", "timeseries", "top", "zero-cost"):
        assert f"/api/stats/{name}" in paths
    bad = shared_server.client.get("/api/stats/summary?from=yesterday")
    assert bad.status_code == 422 and "from" in bad.json()["detail"]
