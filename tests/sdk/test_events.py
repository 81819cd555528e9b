"""track_event: custom events at the top level; the three with meaning are checked."""

from __future__ import annotations

import logging

import observatory

from .conftest import by_name


def test_custom_event_fields_are_top_level(memory) -> None:
    observatory.track_event("deploy", version="1.2", metadata={"team": "a"})
    observatory.flush(5)
    (event,) = memory.events
    assert event["name"] == "deploy" and event["type"] == "custom"
    assert event["version"] == "1.2" and event["metadata"] == {"team": "a"}
    assert event["app_id"] == "test" and event["event_id"]


def test_meaningful_events_inside_a_run(memory) -> None:
    seen = {}

    @observatory.agent
    def support_bot(question: str) -> str:
        run = observatory.current_run()
        seen["run"] = run.run_id
        observatory.track_event("chat", role="user", content=question, thread_id="cust-42")
        observatory.track_event("chat", role="assistant", content="hello", thread_id="cust-42")
        return "hello"

    support_bot("hi")
    observatory.track_event("saved", run_id=seen["run"])
    observatory.track_event("feedback", run_id=seen["run"], rating="positive", comment="great")
    assert observatory.flush(5)
    chats = by_name(memory.events, "chat")
    assert [c["role"] for c in chats] == ["user", "assistant"]
    assert all(c["parent_run_id"] == seen["run"] and c["metadata"]["agent"] == "support_bot" for c in chats)
    assert chats[0]["thread_id"] == "cust-42" and chats[0]["content"] == "hi"
    assert by_name(memory.events, "saved")[0]["run_id"] == seen["run"]
    feedback = by_name(memory.events, "feedback")[0]
    assert (feedback["rating"], feedback["comment"], feedback["type"]) == ("positive", "great", "feedback")


def test_malformed_meaningful_events_are_logged_and_dropped(memory, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="observatory")
    observatory.track_event("feedback", run_id="r1", rating="meh")
    observatory.track_event("feedback", rating="positive")
    observatory.track_event("saved")
    observatory.track_event("chat", role="robot", content="x")
    observatory.track_event("chat", role="user")
    observatory.track_event("", x=1)
    observatory.flush(5)
    assert memory.events == []
    assert observatory.stats()["dropped"] == {"invalid": 6}
    text = caplog.text
    assert "rating='positive' or 'negative'" in text and "saved needs run_id" in text
    assert "chat needs role" in text and "chat needs content" in text


def test_run_handle_is_accepted_as_run_id(memory) -> None:
    run = observatory.start_run("agent", "a")
    run.end()
    observatory.track_event("saved", run_id=run)
    observatory.flush(5)
    assert by_name(memory.events, "saved")[0]["run_id"] == run.run_id


def test_explicit_timestamp_and_parent(memory) -> None:
    import datetime

    observatory.track_event("signal", timestamp=1780000000.25, parent_run_id="wf-1")
    observatory.track_event("signal", timestamp=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    observatory.flush(5)
    first, second = memory.events
    assert first["timestamp"] == "2026-05-28T20:26:40.250Z" and first["parent_run_id"] == "wf-1"
    assert second["timestamp"] == "2026-01-02T03:04:05.000Z"
