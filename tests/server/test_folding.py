"""Events → runs in any order and batch split; threads, feedback, saved."""

from __future__ import annotations

import itertools

import pytest

from .conftest import Server, ts, uid


def _llm_events(rid: str, parent: str | None = None) -> list[dict[str, object]]:
    return [
        {
            "name": "llm_start",
            "run_id": rid,
            "parent_run_id": parent,
            "event_id": rid + "-s",
            "timestamp": ts(1.25),
            "app_id": "bot",
            "input": {"prompt": "hi"},
            "metadata": {
                "agent": "support",
                "user_email": "a@x.io",
                "tags": ["beta"],
                "run_name": "ask",
            },
        },
        {
            "name": "llm_end",
            "run_id": rid,
            "parent_run_id": parent,
            "event_id": rid + "-e",
            "timestamp": ts(3.75),
            "app_id": None,
            "output": {"text": "hello"},
            "status": "success",
            "model": "gpt-4o-mini",
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "input": None,
            "metadata": {"agent": "support", "tags": ["prod"], "user_email": None},
        },
    ]


def _view(run: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in run.items() if k not in ("events", "children", "feedback")}


def test_start_and_end_fold_into_one_run(server: Server) -> None:
    rid = uid()
    server.report(_llm_events(rid))
    run = server.run(rid)
    assert run["type"] == "llm" and run["name"] == "ask" and run["agent"] == "support"
    assert run["status"] == "success"
    assert run["start_time"] == ts(1.25) and run["end_time"] == ts(3.75)
    assert run["latency_s"] == 2.5
    assert run["input"] == {"prompt": "hi"} and run["output"] == {"text": "hello"}
    assert run["user_email"] == "a@x.io" and run["app_id"] == "bot"
    assert run["tags"] == ["beta", "prod"]
    assert (run["prompt_tokens"], run["completion_tokens"], run["total_tokens"]) == (100, 20, 120)
    assert run["cost_status"] == "ok" and run["cost"] > 0
    assert [e["name"] for e in run["events"]] == ["llm_start", "llm_end"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(2))))
def test_any_order_and_split_batches_give_the_same_run(
    server: Server, order: tuple[int, ...]
) -> None:
    reference = uid()
    server.report(_llm_events(reference))
    expected = _view(server.run(reference))
    rid = uid()
    events = _llm_events(rid)
    for index in order:  # one batch each, end possibly first
        server.report([events[index]])
    got = _view(server.run(rid))
    assert {**got, "run_id": reference} == expected
    rid2 = uid()
    server.report(list(reversed(_llm_events(rid2))))  # one batch, end first
    assert {**_view(server.run(rid2)), "run_id": reference} == expected


def test_end_before_start_shows_the_run_meanwhile(server: Server) -> None:
    rid = uid()
    server.report([_llm_events(rid)[1]])
    early = server.run(rid)
    assert (
        early["status"] == "success" and early["start_time"] is None and early["latency_s"] is None
    )
    assert server.runs(type="llm")[0]["run_id"] == rid
    server.report([_llm_events(rid)[0]])
    assert server.run(rid)["latency_s"] == 2.5


def test_nulls_never_overwrite(server: Server) -> None:
    rid = uid()
    server.report(
        [
            {
                "name": "tool_start",
                "run_id": rid,
                "parent_run_id": "p",
                "input": {"a": 1},
                "metadata": {"agent": "x", "user_email": "u@x.io", "k": "v"},
            }
        ]
    )
    server.report(
        [
            {
                "name": "tool_end",
                "run_id": rid,
                "parent_run_id": None,
                "input": None,
                "metadata": {"agent": None, "k": None, "k2": 2},
                "output": 5,
            }
        ]
    )
    run = server.run(rid)
    assert run["parent_run_id"] == "p" and run["input"] == {"a": 1} and run["agent"] == "x"
    assert run["user_email"] == "u@x.io" and run["output"] == 5
    assert run["metadata"] == {"agent": "x", "user_email": "u@x.io", "k": "v", "k2": 2}


def test_errors_mark_the_run_and_plain_strings_are_normalised(server: Server) -> None:
    a, b, c = uid(), uid(), uid()
    server.report(
        [
            {"name": "tool_start", "run_id": a, "timestamp": ts(1)},
            {
                "name": "tool_end",
                "run_id": a,
                "timestamp": ts(2),
                "status": "error",
                "error": {"type": "ValueError", "message": "boom"},
            },
            {"name": "agent_error", "run_id": b, "error": "it broke"},
            {"name": "llm_end", "run_id": c, "error": "bad gateway"},
        ]
    )
    assert server.run(a)["status"] == "error"
    assert server.run(a)["error"] == {"type": "ValueError", "message": "boom"}
    assert server.run(b)["status"] == "error"
    assert server.run(b)["error"] == {"type": None, "message": "it broke"}
    assert server.run(c)["status"] == "error"
    # a later success cannot hide an error
    server.report([{"name": "tool_end", "run_id": a, "timestamp": ts(3), "status": "success"}])
    assert server.run(a)["status"] == "error"


def test_lone_event_is_a_complete_run(server: Server) -> None:
    rid = uid()
    server.report(
        [
            {
                "name": "tool",
                "run_id": rid,
                "timestamp": ts(10),
                "latency_s": 1.5,
                "run_name": "lookup",
                "tags": ["t"],
                "user_email": "top@x.io",
            }
        ]
    )
    run = server.run(rid)
    assert run["status"] == "success" and run["name"] == "lookup"
    assert run["end_time"] == ts(10) and run["start_time"] == ts(8.5) and run["latency_s"] == 1.5
    assert run["tags"] == ["t"] and run["user_email"] == "top@x.io"


def test_run_names(server: Server) -> None:
    a, t = uid(), uid()
    server.report(
        [
            {"name": "agent_start", "run_id": a, "metadata": {"agent": "planner"}},
            {"name": "tool_start", "run_id": t},
        ]
    )
    assert server.run(a)["name"] == "planner"
    assert server.run(t)["name"] == "tool"
    server.report([{"name": "agent_end", "run_id": a, "metadata": {"run_name": "plan_trip"}}])
    assert server.run(a)["name"] == "plan_trip"


def test_children_custom_events_feedback_and_saved_in_run_detail(server: Server) -> None:
    parent, child = uid(), uid()
    server.report(
        [
            {"name": "saved", "run_id": parent},  # before the run exists
            {
                "name": "agent_start",
                "run_id": parent,
                "timestamp": ts(1),
                "metadata": {"agent": "a"},
            },
            {"name": "tool_start", "run_id": child, "parent_run_id": parent, "timestamp": ts(2)},
            {"name": "cache_hit", "parent_run_id": parent, "key": "k1", "timestamp": ts(3)},
            {"name": "feedback", "run_id": parent, "rating": "positive", "comment": "great"},
        ]
    )
    detail = server.run(parent)
    assert detail["saved"] is True
    assert [c["run_id"] for c in detail["children"]] == [child]
    custom = [e for e in detail["events"] if e["name"] == "cache_hit"]
    assert custom and custom[0]["key"] == "k1"
    assert detail["feedback"][0]["rating"] == "positive"
    assert detail["feedback"][0]["comment"] == "great"
    server.report([{"name": "saved", "run_id": child}])  # after it exists
    assert server.run(child)["saved"] is True


def test_explicit_threads(server: Server) -> None:
    thread = uid("thread")
    server.report(
        [
            {
                "name": "chat",
                "role": "assistant",
                "content": "hello!",
                "thread_id": thread,
                "timestamp": ts(2),
                "event_id": thread + "-2",
                "metadata": {"agent": "bot", "user_email": "u@x.io"},
            },
            {
                "name": "chat",
                "role": "user",
                "content": "hi",
                "thread_id": thread,
                "message_id": "m1",
                "timestamp": ts(1),
                "metadata": {"agent": "bot", "user_email": "u@x.io"},
            },
            {
                "name": "feedback",
                "message_id": thread + "-2",
                "rating": "negative",
                "comment": "rude",
            },
            {"name": "feedback", "message_id": "m1", "rating": "positive"},
        ]
    )
    listing = server.client.get("/api/threads").json()["threads"]
    summary = next(t for t in listing if t["thread_id"] == thread)
    assert summary["message_count"] == 2
    assert summary["first_time"] == ts(1) and summary["last_time"] == ts(2)
    assert summary["agent"] == "bot" and summary["user_email"] == "u@x.io"
    detail = server.client.get(f"/api/threads/{thread}").json()
    assert [m["content"] for m in detail["messages"]] == ["hi", "hello!"]
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["messages"][0]["feedback"][0]["rating"] == "positive"
    assert detail["messages"][1]["feedback"][0]["comment"] == "rude"
    assert server.client.get("/api/threads/nope").status_code == 404


def test_messages_without_thread_id_group_by_agent_user_and_30_minutes(server: Server) -> None:
    agent = uid("agent")

    def chat(minute: int, user: str, content: str) -> dict[str, object]:
        return {
            "name": "chat",
            "role": "user",
            "content": content,
            "timestamp": ts(0, minute=minute),
            "metadata": {"agent": agent, "user_email": user},
        }

    server.report(
        [
            chat(0, "ann@x.io", "a1"),
            chat(20, "ann@x.io", "a2"),
            chat(49, "ann@x.io", "a3"),
            chat(10, "bob@x.io", "b1"),
            chat(59 - 59, "bob@x.io", "b0"),
        ]
    )
    # 31 minutes of silence starts a new thread
    server.report([{**chat(0, "ann@x.io", "a4"), "timestamp": ts(0, minute=20, hour=9)}])
    threads = server.client.get("/api/threads", params={"agent": agent}).json()["threads"]
    by_user: dict[str, list[dict[str, object]]] = {}
    for t in threads:
        by_user.setdefault(str(t["user_email"]), []).append(t)
    assert sorted(t["message_count"] for t in by_user["ann@x.io"]) == [1, 3]
    assert [t["message_count"] for t in by_user["bob@x.io"]] == [2]
    ann = next(t for t in by_user["ann@x.io"] if t["message_count"] == 3)
    assert ann["grouped_by"] == "agent_user_window"
    messages = server.client.get(f"/api/threads/{ann['thread_id']}").json()["messages"]
    assert [m["content"] for m in messages] == ["a1", "a2", "a3"]
    # order of arrival does not matter: a late message inside the window joins the thread
    server.report([chat(35, "ann@x.io", "late")])
    threads = server.client.get(
        "/api/threads", params={"agent": agent, "user_email": "ann@x.io"}
    ).json()
    assert sorted(t["message_count"] for t in threads["threads"]) == [1, 4]


def test_threads_page_with_a_cursor(server: Server) -> None:
    agent = uid("pager")
    server.report(
        [
            {
                "name": "chat",
                "role": "user",
                "content": f"m{i}",
                "thread_id": f"{agent}-t{i}",
                "timestamp": ts(i),
                "metadata": {"agent": agent},
            }
            for i in range(5)
        ]
    )
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"agent": agent, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/api/threads", params=params).json()
        assert len(page["threads"]) <= 2
        seen += [t["thread_id"] for t in page["threads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"{agent}-t{i}" for i in (4, 3, 2, 1, 0)]
    bad = server.client.get("/api/threads", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_session_spans_match_the_groups_split_sessions_makes() -> None:
    import random

    from observatory.server import folding

    rng = random.Random(7)
    gap = 30 * 60 * 1_000_000
    rows = sorted(  # as SQLite orders them: NULL first
        (
            (
                rng.choice([None, "a", "b"]),
                rng.choice([None, "u@x.io"]),
                rng.randrange(0, 1000 * gap),
            )
            for _ in range(2000)
        ),
        key=lambda r: (r[0] is not None, r[0] or "", r[1] is not None, r[1] or "", r[2]),
    )
    groups = folding.split_sessions(
        [{"agent": a, "user_email": u, "ts": t} for a, u, t in rows], gap
    )
    expected = [
        (g[0]["agent"], g[0]["user_email"], g[0]["ts"], g[-1]["ts"], len(g)) for g in groups
    ]
    assert list(folding.session_spans(rows, gap)) == expected
    assert len(expected) > 10
