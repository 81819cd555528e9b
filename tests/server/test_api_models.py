"""`observatory.api_models` describes exactly what the real receiver answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from observatory import api_models as m
from observatory.server import queries, schemas

from .conftest import Server, ts, uid


def _exact(model: type[BaseModel], raw: dict[str, Any]) -> BaseModel:
    """Parse ``raw``: every field declared, none left over, and the same JSON back."""
    parsed = model.model_validate(raw)
    assert parsed.model_extra == {}, f"{model.__name__} lacks {sorted(parsed.model_extra or {})}"
    optional = {"rejected_total"}  # sent only when the rejected list is cut
    assert set(raw) <= set(model.model_fields), model.__name__
    assert set(model.model_fields) - set(raw) <= optional, (model.__name__, set(model.model_fields) - set(raw))
    assert parsed.model_dump(mode="json", exclude_unset=True) == raw
    return parsed


def _conversation(server: Server) -> tuple[str, str, str]:
    root, child, thread = uid("root"), uid("child"), uid("thread")
    server.report(
        [
            {"name": "agent_start", "run_id": root, "timestamp": ts(1), "tags": ["a"]},
            {
                "name": "llm",
                "run_id": child,
                "parent_run_id": root,
                "timestamp": ts(1.5),
                "model": "gpt-4o-mini",
                "prompt_tokens": 10,
                "completion_tokens": 5,
            },
            {"name": "agent_end", "run_id": root, "timestamp": "2026-05-29T08:00:02.000123Z"},
            {"name": "chat", "message_id": uid("m"), "thread_id": thread, "role": "user",
             "content": "hi", "run_id": root, "timestamp": ts(1)},
            {"name": "feedback", "run_id": root, "rating": "positive", "comment": "good"},
            {"name": "saved", "run_id": root},
        ]
    )
    return root, child, thread


def test_every_answer_parses_exactly(server: Server) -> None:
    root, child, thread = _conversation(server)
    page = server.client.get("/api/run/", params={"limit": 1}).json()
    parsed = _exact(m.RunPage, page)
    assert isinstance(parsed, m.RunPage) and parsed.next_cursor
    for run in page["runs"]:
        _exact(m.Run, run)

    detail = server.run(root)
    for child_raw in detail["children"]:
        _exact(m.Run, child_raw)
    for note in detail["feedback"]:
        _exact(m.Feedback, note)
    got = _exact(m.RunDetail, detail)
    assert isinstance(got, m.RunDetail)
    assert got.saved and got.children[0].run_id == child and got.feedback[0].rating == "positive"
    assert got.start_time is not None and got.start_time.tzinfo is not None
    # the shared model writes times exactly as the receiver's own formatter does
    assert detail["end_time"] == queries.iso(1_780_041_602_000_123)

    threads = server.client.get("/api/threads").json()
    _exact(m.ThreadPage, threads)
    for summary in threads["threads"]:
        _exact(m.Thread, summary)
    one = server.client.get(f"/api/threads/{thread}").json()
    _exact(m.ThreadDetail, one)
    for message in one["messages"]:
        _exact(m.Message, message)

    costs = server.client.get("/api/costs").json()
    _exact(m.CostList, costs)
    _exact(m.Price, costs["costs"][0])
    _exact(m.Health, server.client.get("/health").json())
    report = server.client.post("/api/report", json={"events": [{"name": "llm"}]}).json()
    _exact(m.ReportResult, report)
    _exact(m.Rejected, report["rejected"][0])


def test_fields_a_newer_receiver_adds_are_kept() -> None:
    run = m.Run.model_validate({"run_id": "r", "type": "llm", "status": "success", "future_field": "t"})
    assert run.model_extra == {"future_field": "t"}
    assert run.model_dump(mode="json")["future_field"] == "t"


def test_the_receiver_uses_the_shared_models() -> None:
    for name in ("RunPage", "RunDetail", "ThreadPage", "ThreadDetail", "CostList", "Health",
                 "ReportResult"):
        assert getattr(schemas, name) is getattr(m, name)
