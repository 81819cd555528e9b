"""Every page and /docs render from the receiver's own files: no request leaves loopback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from ..conftest import Server


@pytest.fixture
def offline(page: Any) -> list[str]:
    """Abort and record every request to a host other than 127.0.0.1."""
    outside: list[str] = []

    def guard(route: Any) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return outside


def test_docs_render_offline(shared_server: Server, page: Any, offline: list[str]) -> None:
    page.goto(shared_server.url + "/docs")
    page.locator(".swagger-ui .info .title", has_text="Observatory receiver").wait_for()
    page.get_by_text("/api/stats/summary").first.wait_for()
    assert offline == []


@pytest.mark.parametrize("path", ["/runs", "/threads", "/dashboard"])
def test_pages_render_offline_and_hold_in_a_narrow_window(
    shared_server: Server, page: Any, offline: list[str], path: str
) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(shared_server.url + path)
    page.locator("main h1").wait_for()
    page.wait_for_load_state("networkidle")
    assert offline == []
    # the page itself never scrolls sideways (wide tables scroll inside their box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
