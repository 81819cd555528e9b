"""The UI's HTTP side without a browser: shell paths, static files, /docs, /api/trace."""

from __future__ import annotations

import re

import pytest

from .conftest import Server, uid
from .ui.seed import run_events


@pytest.mark.parametrize(
    "path", ["/runs", "/runs/some-run", "/threads", "/threads/t-1", "/dashboard", "/compare"]
)
def test_every_page_path_serves_the_shell(shared_server: Server, path: str) -> None:
    resp = shared_server.client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/static/app.js">' in resp.text


def test_root_redirects_to_runs(shared_server: Server) -> None:
    resp = shared_server.client.get("/", follow_redirects=False)
    assert resp.status_code in (302, 307)
    assert resp.headers["location"] == "/runs"


def test_docs_use_only_files_the_receiver_serves(shared_server: Server) -> None:
    html = shared_server.client.get("/docs").text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and all(u.startswith("/") for u in urls), urls
    for url in urls:
        assert shared_server.client.get(url).status_code == 200, url
    assert shared_server.client.get("/redoc").status_code == 404


def test_static_files_stay_inside_their_folder(shared_server: Server) -> None:
    assert shared_server.client.get("/ui/static/vendor/VERSIONS").status_code == 200
    assert shared_server.client.get("/ui/static/../app.py").status_code == 404


def test_trace_returns_the_whole_tree_from_any_run(shared_server: Server) -> None:
    root, mid, leaf = uid("root"), uid("mid"), uid("leaf")
    shared_server.report(
        run_events(leaf, "llm", 2, 3, parent=mid)
        + run_events(mid, "tool", 1, 4, parent=root)
        + run_events(root, "agent", 0, 5)
    )
    body = shared_server.client.get(f"/api/trace/{leaf}").json()
    assert body["root_run_id"] == root and body["run_id"] == leaf
    assert [r["run_id"] for r in body["runs"]] == [root, mid, leaf]
    assert "input" not in body["runs"][0]
    assert shared_server.client.get("/api/trace/nope").status_code == 404


def test_me_names_the_project(shared_server: Server) -> None:
    assert shared_server.client.get("/api/me").json() == {"project": "default"}


def test_the_shell_preloads_every_module(shared_server: Server) -> None:
    from observatory.server.ui import STATIC_DIR

    html = shared_server.client.get("/runs").text
    for path in STATIC_DIR.rglob("*.js"):
        rel = path.relative_to(STATIC_DIR).as_posix()
        if rel.startswith("vendor/") and not rel.endswith(".module.js") and "uPlot" not in rel:
            continue  # swagger-ui is for /docs only
        assert f'<link rel="modulepreload" href="/ui/static/{rel}">' in html, rel
