"""/runs in Chromium against a real receiver: filters in the URL, deep links, paging, live."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from observatory.server import queries

from ..conftest import Server, uid
from .seed import run_events


def _rows(page: Any) -> list[str]:
    return page.locator("table.runs tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.runId)"
    )


def _seed_mixed(server: Server) -> tuple[str, dict[str, str]]:
    app = uid("app")
    ids = {k: uid(k) for k in ("slow_err", "fast_err", "slow_ok", "other_model")}
    events: list[dict[str, Any]] = []
    common = {"app_id": app}
    events += run_events(
        ids["slow_err"],
        "llm",
        0,
        9,
        minute=1,
        start_fields={**common, "model": "gpt-4", "metadata": {"tags": ["high-risk"]}},
        status="error",
        error={"type": "E", "message": "m"},
    )
    events += run_events(
        ids["fast_err"],
        "llm",
        0,
        1,
        minute=2,
        start_fields={**common, "model": "gpt-4", "metadata": {"tags": ["high-risk"]}},
        status="error",
        error={"type": "E", "message": "m"},
    )
    events += run_events(
        ids["slow_ok"],
        "llm",
        0,
        10,
        minute=3,
        start_fields={**common, "model": "gpt-4", "metadata": {"tags": ["high-risk"]}},
    )
    events += run_events(
        ids["other_model"],
        "llm",
        0,
        12,
        minute=4,
        start_fields={**common, "model": "claude-x"},
        status="error",
    )
    server.report(events)
    return app, ids


def test_root_redirects_to_runs(shared_server: Server, page: Any) -> None:
    page.goto(shared_server.url + "/")
    assert urlparse(page.url).path == "/runs"
    page.get_by_role("heading", name="LLM Calls").wait_for()


def test_filters_narrow_the_table_and_show_in_the_url(shared_server: Server, page: Any) -> None:
    app, ids = _seed_mixed(shared_server)
    page.goto(f"{shared_server.url}/runs?app_id={app}")
    page.locator(f'tr[data-run-id="{ids["other_model"]}"]').wait_for()
    assert set(_rows(page)) == set(ids.values())

    page.get_by_label("status", exact=True).select_option("error")
    page.get_by_label("model", exact=True).fill("gpt-4")
    page.get_by_label("min_latency_s", exact=True).fill("8")
    page.get_by_label("tags", exact=True).fill("high-risk")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("document.querySelectorAll('table.runs tbody tr').length === 1")
    assert _rows(page) == [ids["slow_err"]]
    query = parse_qs(urlparse(page.url).query)
    assert query == {
        "app_id": [app],
        "status": ["error"],
        "model": ["gpt-4"],
        "min_latency_s": ["8"],
        "tags": ["high-risk"],
    }

    page.reload()  # a filtered view is a link: it reloads to the same view
    page.locator(f'tr[data-run-id="{ids["slow_err"]}"]').wait_for()
    assert _rows(page) == [ids["slow_err"]]
    assert page.get_by_label("model", exact=True).input_value() == "gpt-4"


def test_a_deep_link_in_the_seeds_form_opens_filtered(shared_server: Server, page: Any) -> None:
    app, ids = _seed_mixed(shared_server)
    page.goto(
        f"{shared_server.url}/runs?app_id={app}&status=error&model=gpt-4"
        "&min_latency_s=8&tags=high-risk"
    )
    page.locator(f'tr[data-run-id="{ids["slow_err"]}"]').wait_for()
    page.get_by_text("1 run shown (all)").wait_for()
    assert _rows(page) == [ids["slow_err"]]
    assert page.get_by_label("status", exact=True).input_value() == "error"


def test_paging_follows_next_cursor_to_the_last_run(shared_server: Server, page: Any) -> None:
    app = uid("app")
    ids = [uid("p") for _ in range(57)]
    events = [
        ev
        for i, rid in enumerate(ids)
        for ev in run_events(
            rid, "tool", i % 60, i % 60 + 0.5, minute=10 + i // 60, start_fields={"app_id": app}
        )
    ]
    shared_server.report(events)
    page.goto(f"{shared_server.url}/runs?app_id={app}&limit=20")
    page.get_by_text("20 runs shown").wait_for()
    for shown in (40, 57):
        page.get_by_role("button", name="Load more").click()
        page.get_by_text(f"{shown} runs shown").wait_for()
    page.get_by_text("57 runs shown (all)").wait_for()
    assert page.get_by_role("button", name="Load more").count() == 0
    assert _rows(page) == list(reversed(ids))  # newest first, each once


def test_live_shows_new_runs_without_a_reload(shared_server: Server, page: Any) -> None:
    app = uid("app")
    first, later = uid("live"), uid("live")
    shared_server.report(run_events(first, "tool", 0, 1, minute=20, start_fields={"app_id": app}))
    page.goto(f"{shared_server.url}/runs?app_id={app}")
    page.locator(f'tr[data-run-id="{first}"]').wait_for()
    page.evaluate("window.__same_document = true")
    page.get_by_label("Live").check()
    shared_server.report(run_events(later, "tool", 0, 1, minute=21, start_fields={"app_id": app}))
    page.locator(f'tr[data-run-id="{later}"]').wait_for()
    assert _rows(page) == [later, first]
    assert page.evaluate("window.__same_document") is True  # no reload happened


def test_rows_are_links_and_arrow_keys_move_between_them(shared_server: Server, page: Any) -> None:
    app, ids = _seed_mixed(shared_server)
    page.goto(f"{shared_server.url}/runs?app_id={app}")
    links = page.locator("table.runs a.run-link")
    links.first.wait_for()
    assert links.first.get_attribute("href") == f"/runs/{ids['other_model']}"
    links.first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/runs/{ids['slow_ok']}"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/runs/{ids['slow_ok']}")


def test_every_api_filter_is_a_control(shared_server: Server, page: Any) -> None:
    page.goto(shared_server.url + "/runs")
    names = page.evaluate("import('/ui/static/query.js').then(m => m.RUN_FILTERS.map(f => f.name))")
    assert names == list(queries.FILTERS)
    page.get_by_role("button", name="Apply").wait_for()
    for name in names:
        assert page.get_by_label(name, exact=True).count() == 1, name
