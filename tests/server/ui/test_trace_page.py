"""/runs/{run_id} in Chromium: the waterfall of a trace, a run's details, feedback and save."""

from __future__ import annotations

from typing import Any

from ..conftest import Server, uid
from .seed import run_events


def _three_levels(server: Server) -> dict[str, str]:
    """root -> (llm_b at 1 s, tool_a at 3 s -> llm_deep) sent out of order."""
    ids = {k: uid(k) for k in ("root", "llm_b", "tool_a", "llm_deep")}
    events = [
        *run_events(
            ids["llm_deep"],
            "llm",
            4,
            5,
            parent=ids["tool_a"],
            start_fields={"model": "no-such-model-xyz", "input": {"q": "deep"}},
            prompt_tokens=10,
            completion_tokens=5,
            output={
                "_observatory_truncated": True,
                "original_bytes": 90000,
                "preview": '{"answer": "long',
            },
        ),
        *run_events(ids["tool_a"], "tool", 3, 6, parent=ids["root"]),
        *run_events(
            ids["llm_b"],
            "llm",
            1,
            2,
            parent=ids["root"],
            start_fields={"model": "gpt-4o", "input": {"prompt": "hello there"}},
            prompt_tokens=1000,
            completion_tokens=500,
            output={"text": "general kenobi"},
        ),
        *run_events(ids["root"], "agent", 0, 8, start_fields={"input": {"task": "t"}}),
    ]
    server.report(events)
    return ids


def test_waterfall_nests_and_orders_a_three_level_trace(shared_server: Server, page: Any) -> None:
    ids = _three_levels(shared_server)
    page.goto(f"{shared_server.url}/runs/{ids['llm_deep']}")
    rows = page.locator("ol.waterfall > li")
    rows.nth(3).wait_for()
    got = rows.evaluate_all("rs => rs.map(r => [r.dataset.runId, Number(r.dataset.depth)])")
    assert got == [
        [ids["root"], 0],
        [ids["llm_b"], 1],
        [ids["tool_a"], 1],
        [ids["llm_deep"], 2],
    ]
    # names are text, each child indented more than its parent
    assert rows.nth(3).locator("a.wf-name").inner_text() == "llm"
    pads = rows.locator(".wf-label").evaluate_all(
        "ls => ls.map(l => parseFloat(getComputedStyle(l).paddingLeft))"
    )
    assert pads[0] < pads[1] == pads[2] < pads[3]
    # bars placed by start and end: the child starts after its parent's start
    lefts = rows.locator(".wf-bar").evaluate_all("bs => bs.map(b => parseFloat(b.style.left))")
    assert lefts[0] == 0 and lefts[1] < lefts[2] < lefts[3]
    # the run in the URL is selected and its details show
    assert rows.nth(3).get_attribute("aria-current") == "true"
    details = page.get_by_role("complementary", name="Run details")
    details.get_by_text("unknown model (no price row)").wait_for()
    assert "$0" in details.locator("dd.cost").inner_text()
    assert "unknown_model" in details.locator("dd.cost").inner_text()
    assert '"q": "deep"' in details.locator(".run-input").inner_text()
    output = details.locator(".run-output").inner_text()
    assert "truncated" in output and '{"answer": "long' in output


def test_selecting_a_run_shows_its_input_output_and_cost(shared_server: Server, page: Any) -> None:
    ids = _three_levels(shared_server)
    page.goto(f"{shared_server.url}/runs/{ids['root']}")
    page.locator(f'li[data-run-id="{ids["llm_b"]}"] a').click()
    page.wait_for_url(f"**/runs/{ids['llm_b']}")
    details = page.get_by_role("complementary", name="Run details")
    details.locator(".run-output", has_text="general kenobi").wait_for()
    assert "hello there" in details.locator(".run-input").inner_text()
    cost = shared_server.run(ids["llm_b"])["cost"]
    assert cost > 0
    assert "ok" in details.locator("dd.cost").inner_text()
    page.reload()  # the selected run lives in the URL
    page.get_by_role("complementary", name="Run details").locator(
        ".run-output", has_text="general kenobi"
    ).wait_for()


def test_feedback_and_save_from_the_ui_reach_the_api(shared_server: Server, page: Any) -> None:
    ids = _three_levels(shared_server)
    page.goto(f"{shared_server.url}/runs/{ids['llm_b']}")
    page.get_by_label("Comment").fill("wrong tone")
    page.get_by_role("button", name="Thumbs down").click()
    page.locator(".feedback-list .comment", has_text="wrong tone").wait_for()
    page.get_by_role("button", name="Thumbs up").click()
    page.locator(".feedback-list li").nth(1).wait_for()
    page.get_by_role("button", name="Save").click()
    page.locator('button[aria-pressed="true"]', has_text="Saved").wait_for()

    run = shared_server.run(ids["llm_b"])
    assert run["saved"] is True
    assert [(f["rating"], f["comment"]) for f in run["feedback"]] == [
        ("negative", "wrong tone"),
        ("positive", None),
    ]
