"""/compare in Chromium: a seeded regression shows its verdicts, the URL is the
compare and reloads to it; and the dashboard marks a seeded change."""

from __future__ import annotations

from typing import Any

import pytest

from observatory.server import compare

from ..conftest import Server, uid
from .seed import release_runs

DAY = "from=2026-05-20T00:00:00Z&to=2026-05-20T23:59:59Z"


@pytest.fixture(scope="module")
def seeded(shared_server: Server) -> dict[str, str]:
    """v1: 40 runs of ~1 s with 1,000 prompt tokens; v2: 40 runs of ~2 s with 3,000
    (slower and dearer, errors alike); a code change between them at 10:00."""
    agent, base, cand, ref = uid("agent"), uid("v1"), uid("v2"), uid("git")
    events = release_runs(base, 40, 1.0, 1000, agent=agent, hour=8, errors=1)
    events += release_runs(cand, 40, 2.0, 3000, agent=agent, hour=10, errors=1)
    assert shared_server.report(events)["rejected"] == []
    change = {"kind": "code", "ref": ref, "summary": "v2 rollout", "at": "2026-05-20T10:00:00Z"}
    assert shared_server.client.post("/api/changes", json=change).status_code == 201
    return {"agent": agent, "base": base, "cand": cand, "ref": ref}


def _verdicts(page: Any) -> dict[str, str]:
    rows = page.locator("table.metrics tbody tr")
    rows.first.wait_for()
    return {
        row.get_attribute("data-metric"): row.locator(".verdict").inner_text()
        for row in rows.all()
    }


EXPECTED = {
    "latency_p50": "regressed",
    # the tail test counts runs above the pooled p95: 4 of 80, too few to be sure
    "latency_p95": "no significant change",
    "cost": "regressed",
    "tokens": "regressed",
    "error_rate": "no significant change",
}


def test_the_page_shows_the_verdicts_and_reloads_to_the_same_view(
    shared_server: Server, seeded: dict[str, str], page: Any
) -> None:
    query = f"baseline={seeded['base']}&candidate={seeded['cand']}&agent={seeded['agent']}"
    page.goto(f"{shared_server.url}/compare?{query}")
    assert _verdicts(page) == EXPECTED
    policy = page.get_by_role("region", name="Policy")
    assert "Policy failed" in policy.inner_text() and "latency_p50 regressed" in policy.inner_text()
    assert page.locator(".charts canvas").count() == 2  # latency and cost, both releases each
    assert page.get_by_label("baseline", exact=True).input_value() == seeded["base"]
    page.reload()
    assert _verdicts(page) == EXPECTED
    assert page.get_by_label("agent", exact=True).input_value() == seeded["agent"]
    api = shared_server.client.get(f"/api/compare?{query}").json()
    cost = page.locator('tr[data-metric="cost"] td.num').nth(1).inner_text()
    shown = page.evaluate(
        "v => import('/ui/static/format.js').then(m => m.formatCost(v))",
        api["metrics"]["cost"]["candidate"],
    )
    assert cost == shown


def test_the_form_makes_the_url_and_offers_the_releases(
    shared_server: Server, seeded: dict[str, str], page: Any
) -> None:
    page.goto(f"{shared_server.url}/runs")
    page.get_by_role("link", name="Compare").click()
    page.wait_for_url("**/compare")
    options = page.locator("#c-releases option")
    options.first.wait_for(state="attached")
    offered = {o.get_attribute("value") for o in options.all()}
    assert {seeded["base"], seeded["cand"]} <= offered
    page.get_by_label("baseline", exact=True).fill(seeded["base"])
    page.get_by_label("candidate", exact=True).fill(seeded["cand"])
    page.get_by_label("agent", exact=True).fill(seeded["agent"])
    page.get_by_label("max_cost_increase_pct").fill("500")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(
        f"**/compare?baseline={seeded['base']}&candidate={seeded['cand']}"
        f"&agent={seeded['agent']}&max_cost_increase_pct=500"
    )
    assert _verdicts(page) == EXPECTED
    policy = page.get_by_role("region", name="Policy")
    assert "Policy passed" in policy.inner_text()  # thresholds decide once given


def test_around_a_change_compares_the_windows(
    shared_server: Server, seeded: dict[str, str], page: Any
) -> None:
    page.goto(f"{shared_server.url}/compare?around={seeded['ref']}&window=3h&agent={seeded['agent']}")
    assert _verdicts(page)["latency_p50"] == "regressed"
    assert seeded["ref"] in page.locator(".sides").inner_text()


def test_a_bad_parameter_says_what_is_wrong(shared_server: Server, page: Any) -> None:
    page.goto(f"{shared_server.url}/compare?baseline=a&candidate=b&window=forever")
    assert "window" in page.get_by_role("alert").inner_text()


def test_the_dashboard_marks_the_change(
    shared_server: Server, seeded: dict[str, str], page: Any
) -> None:
    page.goto(f"{shared_server.url}/dashboard?{DAY}")
    markers = page.locator(f'.chart .change-marker[data-ref="{seeded["ref"]}"]')
    markers.first.wait_for(state="attached")
    assert markers.count() == 3  # one per time series
    assert markers.first.get_attribute("title").startswith(f"code {seeded['ref']} — v2 rollout")
    legend = page.get_by_role("region", name="Changes")
    assert seeded["ref"] in legend.inner_text()
    legend.get_by_role("link", name="compare around").click()
    page.wait_for_url(f"**/compare?around={seeded['ref']}")
    page.locator("table.metrics").wait_for()


def test_the_form_has_every_parameter_of_the_api(shared_server: Server, page: Any) -> None:
    page.goto(f"{shared_server.url}/compare")
    names = page.evaluate(
        "import('/ui/static/compare-query.js').then(m => m.COMPARE_PARAMS.map(p => p.name))"
    )
    assert names == list(compare.PARAMS)
    for name in names:
        assert page.get_by_label(name, exact=True).count() == 1, name
