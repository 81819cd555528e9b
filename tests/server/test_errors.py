"""Errors say what is wrong: a read-only store, forged query values, one answer shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatory.server import db
from observatory.server.runner import run_server

from .conftest import Server, uid


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[str]:
    """A receiver on a store it can read but not write.

    Tests run as root, where a 0444 file is still writable; SQLite's read-only URI
    mode refuses writes the same way a file the receiver's user cannot write does
    (``attempt to write a readonly database``)."""
    path = tmp_path / "ro.db"
    db.open_database(f"sqlite:///{path}").dispose()  # schema and default project
    url, stop = run_server(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        yield url
    finally:
        stop()


def test_read_only_store_is_a_503_that_says_so_and_health_tells(read_only: str) -> None:
    event = {"name": "tool_end", "run_id": uid(), "output": 1}
    resp = httpx.post(read_only + "/api/report", json={"events": [event]})
    assert resp.status_code == 503, resp.text
    assert "read-only" in resp.json()["detail"]
    health = httpx.get(read_only + "/health")
    assert health.status_code == 503
    assert health.json()["status"] == "read_only" and "read-only" in health.json()["detail"]
    assert httpx.get(read_only + "/api/run/").status_code == 200  # reads still work
    # a batch that stores no event says nothing good about the store
    httpx.post(read_only + "/api/report", json={"events": [{"name": "tool_end"}]})
    assert httpx.get(read_only + "/health").status_code == 503


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/api/run/", {"limit": "²"}, "limit must be an integer"),
        ("/api/run/", {"limit": "9" * 5000}, "limit must be an integer"),
        ("/api/run/", {"cursor": _b64([10**30, "x"])}, "cursor is not one"),
        ("/api/run/", {"cursor": _b64([1e30, "x"])}, "cursor is not one"),
        ("/api/run/", {"cursor": _b64([True, "x"])}, "cursor is not one"),
        ("/api/threads", {"cursor": _b64([10**30, "x"])}, "cursor is not one"),
        ("/api/threads/auto-" + _b64([["a"], None, 1]), {}, "automatic thread id"),
        ("/api/threads/auto-" + _b64(["a", {"x": 1}, 5]), {}, "automatic thread id"),
        ("/api/threads/auto-" + _b64([None, None, 10**30]), {}, "automatic thread id"),
        ("/api/threads", {"limit": "²"}, "limit: "),
    ],
)
def test_forged_query_values_are_a_422_with_a_message(
    shared_server: Server, path: str, params: dict[str, str], needle: str
) -> None:
    resp = shared_server.client.get(path, params=params)
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["detail"]


def test_an_unencoded_plus_in_a_time_filter_gets_a_hint(shared_server: Server) -> None:
    resp = shared_server.client.get("/api/run/?from=2026-01-01T00:00:00+00:00")
    assert resp.status_code == 422
    assert "%2B" in resp.json()["detail"]
    encoded = shared_server.client.get("/api/run/?from=2026-01-01T00:00:00%2B00:00")
    assert encoded.status_code == 200


def test_every_422_is_one_string_as_the_description_says(shared_server: Server) -> None:
    answers = [
        shared_server.client.get("/api/threads", params={"limit": "0"}),  # FastAPI's own check
        shared_server.client.get("/api/run/", params={"status": "nope"}),  # ours
        shared_server.client.put("/api/costs/m", json={"input": "x", "output": 1}),
    ]
    for resp in answers:
        assert resp.status_code == 422 and isinstance(resp.json()["detail"], str), resp.text
    schema = shared_server.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            declared = op["responses"].get("422")
            if declared:
                ref = declared["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path)
    assert schema["components"]["schemas"]["ErrorBody"]["properties"]["detail"]["type"] == (
        "string"
    )


def test_repeated_thread_filters_are_refused(shared_server: Server) -> None:
    resp = shared_server.client.get("/api/threads?agent=a&agent=b")
    assert resp.status_code == 422 and "agent may be given once" in resp.json()["detail"]


def test_cost_edits_refuse_booleans_and_strings(shared_server: Server) -> None:
    for bad in ({"input": 1, "output": 2, "total": False}, {"input": "1", "output": 2}):
        resp = shared_server.client.put("/api/costs/bool-model", json=bad)
        assert resp.status_code == 422, resp.text
    ok = shared_server.client.put("/api/costs/bool-model", json={"input": 1, "output": 2.5})
    assert ok.status_code == 200 and ok.json()["input"] == 1.0


def test_405_lists_every_method_of_the_path(shared_server: Server) -> None:
    resp = shared_server.client.request("OPTIONS", "/api/costs/some-model")
    assert resp.status_code == 405
    assert set(resp.headers["allow"].split(", ")) >= {"GET", "PUT", "DELETE"}
    assert resp.json() == {"detail": "Method Not Allowed"}
