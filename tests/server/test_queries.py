"""GET /api/run/: every filter, combinations, paging, invalid values."""

from __future__ import annotations

from typing import Any

import pytest

from observatory.server import queries

from .conftest import Server, ts, uid


@pytest.fixture(scope="module")
def seeded(shared_server: Server) -> dict[str, str]:
    """Six runs with known fields (second = start second, minute 0 on 2026-05-29),
    in a receiver of their own (module scope: the filter tests only read)."""
    server = shared_server
    server.client.put("/api/costs/unit", json={"input": 1, "output": 0})
    ids = {k: uid(k) for k in ("a", "b", "c", "d", "e", "f")}

    def run(
        key: str, run_type: str, start: float, end: float | None, **fields: Any
    ) -> list[dict[str, Any]]:
        meta = fields.pop("metadata", {})
        events = [
            {
                "name": f"{run_type}_start",
                "run_id": ids[key],
                "timestamp": ts(start),
                "metadata": meta,
                **{k: v for k, v in fields.items() if k in ("parent_run_id", "app_id")},
            }
        ]
        if end is not None:
            events.append(
                {"name": f"{run_type}_end", "run_id": ids[key], "timestamp": ts(end), **fields}
            )
        return events

    server.report(
        run(
            "a",
            "agent",
            1,
            11,
            status="success",
            app_id="app1",
            metadata={"agent": "planner", "user_email": "ann@x.io", "tags": ["prod", "vip"]},
        )
        + run(
            "b",
            "llm",
            2,
            4,
            parent_run_id=ids["a"],
            model="unit",
            prompt_tokens=2_000_000,
            completion_tokens=0,
            app_id="app1",
            metadata={"agent": "planner", "user_email": "ann@x.io", "tags": ["prod"]},
        )
        + run(
            "c",
            "tool",
            3,
            12,
            status="error",
            error="boom",
            parent_run_id=ids["a"],
            app_id="app1",
            metadata={"agent": "planner", "user_email": "ann@x.io"},
        )
        + run(
            "d",
            "llm",
            5,
            5.5,
            model="gpt-4o",
            prompt_tokens=1_000_000,
            completion_tokens=0,
            app_id="app2",
            metadata={"agent": "writer", "user_email": "bob@x.io", "tags": ["dev"]},
        )
        + run(
            "e",
            "agent",
            6,
            None,
            app_id="app2",
            metadata={"agent": "writer", "user_email": "bob@x.io"},
        )
        + run(
            "f",
            "llm",
            7,
            9,
            model="unit",
            prompt_tokens=500_000,
            completion_tokens=0,
            app_id="app2",
            metadata={"agent": "writer", "tags": ["vip"]},
        )
    )
    return ids


def _ids(server: Server, ids: dict[str, str], **params: Any) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back[r["run_id"]] for r in server.runs(**params) if r["run_id"] in back]


FILTER_CASES = [
    ({}, ["f", "e", "d", "c", "b", "a"]),
    ({"status": "success"}, ["f", "d", "b", "a"]),
    ({"status": "error"}, ["c"]),
    ({"status": "started"}, ["e"]),
    ({"model": "unit"}, ["f", "b"]),
    ({"model": "gpt"}, []),
    ({"agent": "writer"}, ["f", "e", "d"]),
    ({"user_email": "bob@x.io"}, ["e", "d"]),
    ({"app_id": "app1"}, ["c", "b", "a"]),
    ({"type": "llm"}, ["f", "d", "b"]),
    ({"min_latency_s": 9}, ["c", "a"]),
    ({"max_latency_s": 2}, ["f", "d", "b"]),
    ({"min_latency_s": 2, "max_latency_s": 2}, ["f", "b"]),
    ({"min_cost": 2}, ["d", "b", "a"]),  # a: subtree cost 2.0 from b
    ({"max_cost": 0.5}, ["f", "e", "c"]),
    ({"min_cost": 0.5, "max_cost": 2.5}, ["f", "d", "b", "a"]),
    ({"tags": "vip"}, ["f", "a"]),
    ({"tags": ["dev", "vip"]}, ["f", "d", "a"]),
    ({"tags": "dev,prod"}, ["d", "b", "a"]),
    ({"from": ts(3), "to": ts(6)}, ["e", "d", "c"]),
    ({"from": ts(3)}, ["f", "e", "d", "c"]),
    ({"to": "2026-05-29T08:00:02.000+00:00"}, ["b", "a"]),
    ({"parent_run_id": "A"}, []),
    ({"agent": "planner", "status": "success", "tags": "prod", "min_cost": 1}, ["b", "a"]),
    ({"type": "llm", "agent": "writer", "max_latency_s": 1}, ["d"]),
    ({"app_id": "app2", "user_email": "bob@x.io", "status": "started"}, ["e"]),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_filters(
    shared_server: Server, seeded: dict[str, str], params: dict[str, Any], expected: list[str]
) -> None:
    assert _ids(shared_server, seeded, **params) == expected


@pytest.mark.parametrize("selective_rows", [0, 1, 2, 10**9])
def test_filters_match_the_same_runs_whichever_index_drives(
    shared_server: Server,
    seeded: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    selective_rows: int,
) -> None:
    # 0: every range/tag filter counts as broad (checked on the newest-first walk);
    # 10**9: the narrowest one drives the query from its own index; 1 and 2 mix both
    monkeypatch.setattr(queries, "SELECTIVE_ROWS", selective_rows)
    for params, expected in FILTER_CASES:
        assert _ids(shared_server, seeded, **params) == expected, params
    page = shared_server.client.get("/api/run/", params={"limit": 1, "tags": "vip"}).json()
    rest = shared_server.runs(tags="vip", cursor=page["next_cursor"])
    assert [r["run_id"] for r in page["runs"] + rest] == [seeded["f"], seeded["a"]]


def test_parent_filter_lists_children(shared_server: Server, seeded: dict[str, str]) -> None:
    assert _ids(shared_server, seeded, parent_run_id=seeded["a"]) == ["c", "b"]


def test_cursor_pages_through_everything_newest_first(
    shared_server: Server, seeded: dict[str, str]
) -> None:
    server = shared_server
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = server.client.get("/api/run/", params=params).json()
        seen += [r["run_id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [seeded[k] for k in "fedcba"]
    page = server.client.get("/api/run/", params={"limit": 2, "status": "success"}).json()
    nxt = server.client.get(
        "/api/run/", params={"limit": 2, "status": "success", "cursor": page["next_cursor"]}
    )
    assert [r["run_id"] for r in page["runs"] + nxt.json()["runs"]] == [seeded[k] for k in "fdba"]
    assert nxt.json()["next_cursor"] is None


def test_same_start_time_pages_without_loss(server: Server) -> None:
    ids = [uid() for _ in range(7)]
    server.report([{"name": "tool", "run_id": rid, "timestamp": ts(1)} for rid in ids])
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/api/run/", params=params).json()
        seen += [r["run_id"] for r in page["runs"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"type": "chain"}, "type must be one of"),
        ({"min_latency_s": "fast"}, "min_latency_s must be a number"),
        ({"max_cost": "nan"}, "finite"),
        ({"from": "yesterday"}, "from must be an ISO-8601"),
        ({"to": "2026-13-01"}, "to must be an ISO-8601"),
        ({"limit": "0"}, "limit must be"),
        ({"limit": "abc"}, "limit must be"),
        ({"limit": "5000"}, "limit must be"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"stauts": "error"}, "unknown parameter"),
        ({"status": ["error", "success"]}, "once"),
        ({"model": ""}, "must not be empty"),
        ({"tags": ","}, "at least one tag"),
        ({"min_cost": "2", "max_cost": "1"}, "nothing can match"),
        ({"from": ts(5), "to": ts(1)}, "nothing can match"),
    ],
)
def test_invalid_filters_get_422_with_a_message(
    shared_server: Server, params: dict[str, Any], needle: str
) -> None:
    resp = shared_server.client.get("/api/run/", params=params)
    assert resp.status_code == 422
    assert needle in resp.json()["detail"]


def test_run_without_slash_and_unknown_run(shared_server: Server, seeded: dict[str, str]) -> None:
    server = shared_server
    assert len(server.client.get("/api/run").json()["runs"]) == 6
    resp = server.client.get("/api/run/does-not-exist")
    assert resp.status_code == 404 and "does-not-exist" in resp.json()["detail"]


def test_run_detail_has_children_and_subtree_cost(
    shared_server: Server, seeded: dict[str, str]
) -> None:
    server = shared_server
    detail = server.run(seeded["a"])
    assert [c["run_id"] for c in detail["children"]] == [seeded["b"], seeded["c"]]
    assert detail["subtree_cost"] == 2.0 and detail["cost"] == 0
    assert detail["latency_s"] == 10.0
    assert server.run(seeded["c"])["error"] == {"type": None, "message": "boom"}
