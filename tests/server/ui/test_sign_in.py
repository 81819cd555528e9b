"""Sign-in in Chromium on a receiver with API keys: nothing before a key, a wrong key
refused, one project's runs only, the key in sessionStorage alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from observatory.server.runner import run_server

from ..conftest import Server, uid
from .seed import run_events


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A receiver with keys for projects alpha and beta, one run each."""
    path: Path = tmp_path_factory.mktemp("keyed") / "obs.db"
    db_url = f"sqlite:///{path}"
    url, stop = run_server(db_url)
    srv = Server(url, db_url, path, stop)
    try:
        keys = {"alpha": srv.create_key("alpha"), "beta": srv.create_key("beta")}
        runs = {name: uid(name) for name in keys}
        for name, key in keys.items():
            srv.report(run_events(runs[name], "tool", 0, 1, minute=40), key=key)
        yield srv, {"keys": keys, "runs": runs}
    finally:
        srv.client.close()
        stop()


def _sign_in(page: Any, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_nothing_shows_before_sign_in(keyed: tuple[Server, dict[str, Any]], page: Any) -> None:
    srv, data = keyed
    answered: list[tuple[str, int]] = []
    page.on("response", lambda r: answered.append((r.url, r.status)))
    for path in ("/runs", f"/runs/{data['runs']['alpha']}", "/threads", "/dashboard"):
        page.goto(srv.url + path)
        page.get_by_label("API key").wait_for()
        assert page.locator("table.runs, ol.waterfall, table.threads, .totals").count() == 0
    api = [(url, status) for url, status in answered if "/api/" in url]
    assert api and all(status == 401 for _, status in api), api


def test_a_wrong_key_is_refused(keyed: tuple[Server, dict[str, Any]], page: Any) -> None:
    srv, _ = keyed
    page.goto(srv.url + "/runs")
    _sign_in(page, "obs_not-a-real-key")
    page.get_by_role("alert").filter(has_text="invalid").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.get_by_label("API key").is_visible()


def test_a_key_shows_its_project_only_and_lives_in_the_session(
    keyed: tuple[Server, dict[str, Any]], page: Any
) -> None:
    srv, data = keyed
    page.goto(srv.url + "/runs")
    _sign_in(page, data["keys"]["alpha"])
    page.locator(f'tr[data-run-id="{data["runs"]["alpha"]}"]').wait_for()
    assert page.locator(f'tr[data-run-id="{data["runs"]["beta"]}"]').count() == 0
    assert page.locator(".project").inner_text() == "project: alpha"
    page.goto(f"{srv.url}/runs/{data['runs']['beta']}")  # another project's run: not found
    page.get_by_role("alert").first.wait_for()
    assert page.locator("ol.waterfall").count() == 0

    page.reload()  # the key survives reloads and page changes in the tab
    page.get_by_role("link", name="LLM Calls").click()
    page.locator(f'tr[data-run-id="{data["runs"]["alpha"]}"]').wait_for()
    assert page.evaluate("Object.keys(sessionStorage)") == ["observatory.apiKey"]
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator("table.runs").count() == 0
