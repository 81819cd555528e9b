"""What the API answers reads well: articles in messages, one time precision, a chat's agent."""

from __future__ import annotations

import re

from .conftest import Server, uid

MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_run_type_conflicts_use_the_right_article(shared_server: Server) -> None:
    agent_run, tool_run = uid(), uid()
    shared_server.report([{"name": "agent_start", "run_id": agent_run}])
    shared_server.report([{"name": "tool_start", "run_id": tool_run}])
    answer = shared_server.report(
        [{"name": "llm_end", "run_id": agent_run}, {"name": "agent_end", "run_id": tool_run}]
    )
    errors = [r["error"] for r in answer["rejected"]]
    assert errors == [
        f"run {agent_run!r} is an agent run; an llm event cannot change that",
        f"run {tool_run!r} is a tool run; an agent event cannot change that",
    ]


def test_every_time_in_answers_has_milliseconds(shared_server: Server) -> None:
    rid, thread = uid(), uid("t")
    shared_server.report(
        [
            {"name": "agent_start", "run_id": rid, "timestamp": "2026-05-29T08:00:00.123456Z"},
            {"name": "agent_end", "run_id": rid, "timestamp": "2026-05-29T08:00:01.000001Z"},
            {
                "name": "feedback",
                "run_id": rid,
                "rating": "positive",
                "timestamp": "2026-05-29T08:00:02.999999Z",
            },
            {
                "name": "chat",
                "role": "user",
                "content": "hi",
                "thread_id": thread,
                "timestamp": "2026-05-29T08:00:03.000500Z",
            },
        ]
    )
    run = shared_server.run(rid)
    assert (run["start_time"], run["end_time"]) == (
        "2026-05-29T08:00:00.123Z",
        "2026-05-29T08:00:01.000Z",
    )
    assert MS.match(run["feedback"][0]["timestamp"])
    message = shared_server.client.get(f"/api/threads/{thread}").json()["messages"][0]
    assert message["timestamp"] == "2026-05-29T08:00:03.000Z"
    listed = shared_server.client.get("/api/threads", params={"limit": 1000}).json()["threads"]
    mine = next(t for t in listed if t["thread_id"] == thread)
    assert MS.match(mine["first_time"]) and MS.match(mine["last_time"])


def test_a_chat_inside_a_run_shows_the_runs_agent(shared_server: Server) -> None:
    same_batch, later_batch, thread = uid(), uid(), uid("t")
    shared_server.report(
        [
            {"name": "agent_start", "run_id": same_batch, "metadata": {"agent": "billing"}},
            {
                "name": "chat",
                "role": "user",
                "content": "a",
                "thread_id": thread,
                "parent_run_id": same_batch,
            },
        ]
    )
    shared_server.report(
        [{"name": "agent_start", "run_id": later_batch, "metadata": {"agent": "refunds"}}]
    )
    shared_server.report(
        [
            {
                "name": "chat",
                "role": "assistant",
                "content": "b",
                "thread_id": thread,
                "parent_run_id": later_batch,
            },
            {
                "name": "chat",
                "role": "user",
                "content": "c",
                "thread_id": thread,
                "parent_run_id": later_batch,
                "metadata": {"agent": "says-so"},
            },
        ]
    )
    messages = shared_server.client.get(f"/api/threads/{thread}").json()["messages"]
    assert [m["agent"] for m in messages] == ["billing", "refunds", "says-so"]


def test_a_total_the_provider_did_not_say_is_derived_by_the_receiver(server: Server) -> None:
    from types import SimpleNamespace

    import observatory
    from observatory import _state

    observatory.init(api_url=server.url, app_id="usage", flush_interval=0.05)
    try:

        @observatory.llm
        def anthropic_style() -> SimpleNamespace:
            usage = SimpleNamespace(input_tokens=7, output_tokens=3)
            return SimpleNamespace(model="claude-sonnet-4", usage=usage)

        anthropic_style()
        observatory.flush(10)
    finally:
        observatory.shutdown(timeout=5)
        _state._clear()
    [run] = server.runs()
    assert (run["prompt_tokens"], run["completion_tokens"], run["total_tokens"]) == (7, 3, 10)
