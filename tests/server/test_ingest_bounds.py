"""Whatever the receiver acknowledges it can read back; one event's bad value is that
event's rejection, never its batch's (issue 11, item 3). Against the real receiver."""

from __future__ import annotations

import json
from typing import Any

import pytest

import observatory
from observatory import _state
from observatory.protocol import MAX_BATCH_EVENTS, MAX_NESTING, MAX_TOKENS, TRUNCATION_MARKER
from observatory.server import db

from .conftest import Server, ts, uid


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _has_marker(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(TRUNCATION_MARKER) is True or any(_has_marker(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_marker(v) for v in value)
    return False


def _post_raw(server: Server, body: bytes) -> Any:
    return server.client.post(
        "/api/report", content=body, headers={"Content-Type": "application/json"}
    )


def _assert_reads_work(server: Server, *run_ids: str) -> None:
    server.runs()
    for rid in run_ids:
        server.run(rid)


@pytest.mark.parametrize(
    "stamp",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+00:01", "1969-12-31T23:59:59Z"],
)
def test_timestamps_outside_the_range_are_that_events_rejection(
    shared_server: Server, stamp: str
) -> None:
    good, bad = uid(), uid()
    answer = shared_server.report(
        [
            {"name": "tool", "run_id": bad, "timestamp": stamp},
            {"name": "tool", "run_id": good, "timestamp": ts(1)},
        ]
    )
    assert answer["accepted"] == 1
    [rejection] = answer["rejected"]
    assert rejection["index"] == 0
    assert "timestamp" in rejection["error"] and "1970-01-01" in rejection["error"]
    _assert_reads_work(shared_server, good)


def test_timestamps_at_the_edges_of_the_range_are_stored_and_read_back(
    shared_server: Server,
) -> None:
    first, last = uid(), uid()
    answer = shared_server.report(
        [
            {"name": "tool", "run_id": first, "timestamp": "1970-01-01T00:00:00Z"},
            {"name": "tool", "run_id": last, "timestamp": "9999-12-31T23:59:59.999999Z"},
        ]
    )
    assert answer["accepted"] == 2, answer
    assert shared_server.run(first)["end_time"] == "1970-01-01T00:00:00.000Z"
    assert shared_server.run(last)["end_time"] == "9999-12-31T23:59:59.999Z"
    shared_server.runs()


BAD_VALUES = [
    ({"name": "tool", "latency_s": 7e10}, "latency_s"),
    ({"name": "tool", "latency_s": 1e300}, "latency_s"),
    ({"name": "tool", "latency_s": -1}, "latency_s"),
    ({"name": "tool", "latency_s": "3"}, "latency_s"),
    ({"name": "llm", "prompt_tokens": 2**63}, "prompt_tokens"),
    ({"name": "llm", "completion_tokens": 10**30}, "completion_tokens"),
    ({"name": "llm", "total_tokens": 2**64}, "total_tokens"),
    ({"name": "llm", "prompt_tokens": MAX_TOKENS, "completion_tokens": 1}, "prompt_tokens +"),
    ({"name": "llm", "cached_tokens": 10**25}, "cached_tokens"),
    ({"name": "llm", "cached_tokens": 1e25}, "cached_tokens"),
    ({"name": "llm", "prompt_tokens": "12"}, "prompt_tokens"),
    ({"name": "llm", "prompt_tokens": 12.0}, "prompt_tokens"),
    ({"name": "llm", "total_tokens": True}, "total_tokens"),
    ({"name": "tool", "tags": [1]}, "tags"),
    ({"name": "tool", "user_email": 5}, "user_email"),
    ({"name": "tool", "user_email": "u" * 321}, "user_email"),
    # what metadata says with meaning fits the columns it is stored in
    ({"name": "tool", "metadata": {"agent": "a" * 201}}, "metadata.agent"),
    ({"name": "tool", "metadata": {"user_email": "u" * 321}}, "metadata.user_email"),
    ({"name": "tool", "metadata": {"run_name": "r" * 201}}, "metadata.run_name"),
    ({"name": "tool", "metadata": {"app_id": "a" * 201}}, "metadata.app_id"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_VALUES, ids=[str(b[0]) for b in BAD_VALUES])
def test_a_bad_value_rejects_its_event_and_keeps_the_batch(
    shared_server: Server, fields: dict[str, Any], field: str
) -> None:
    before, after, bad = uid(), uid(), uid()
    answer = shared_server.report(
        [
            {"name": "tool", "run_id": before, "timestamp": ts(1)},
            {"run_id": bad, "timestamp": ts(2), **fields},
            {"name": "llm", "run_id": after, "timestamp": ts(3), "prompt_tokens": 5},
        ]
    )
    assert answer["accepted"] == 2
    [rejection] = answer["rejected"]
    assert rejection["index"] == 1 and field in rejection["error"], rejection
    _assert_reads_work(shared_server, before, after)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_latency_rejects_its_event_only(shared_server: Server, literal: bytes) -> None:
    good, bad = uid(), uid()
    body = (
        b'{"events": [{"name": "tool", "run_id": "%s", "latency_s": %s},'
        b' {"name": "tool", "run_id": "%s"}]}' % (bad.encode(), literal, good.encode())
    )
    resp = _post_raw(shared_server, body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["accepted"] == 1
    assert answer["rejected"] == [
        {"index": 0, "error": "latency_s: Input should be a finite number"}
    ]
    _assert_reads_work(shared_server, good)


def test_largest_accepted_values_are_stored_and_read_back(shared_server: Server) -> None:
    rid = uid()
    half = MAX_TOKENS // 2
    shared_server.report(
        [
            {
                "name": "llm",
                "run_id": rid,
                "timestamp": ts(5),
                "latency_s": 10 * 365 * 86_400,
                "prompt_tokens": half,
                "completion_tokens": MAX_TOKENS - half,
                "cached_tokens": MAX_TOKENS,
                "model": "gpt-4o",
            }
        ]
    )
    run = shared_server.run(rid)
    assert run["total_tokens"] == MAX_TOKENS and run["cached_tokens"] == MAX_TOKENS
    assert run["start_time"].startswith("2016-")
    shared_server.runs()


@pytest.mark.parametrize("depth", [253, 254, 300, 900])
@pytest.mark.parametrize("field", ["input", "output", "metadata", "error"])
def test_deeply_nested_values_are_cut_and_read_back(
    shared_server: Server, depth: int, field: str
) -> None:
    rid = uid()
    value = {"deep": _nested(depth)} if field == "metadata" else _nested(depth)
    answer = shared_server.report(
        [{"name": "tool", "run_id": rid, "timestamp": ts(1), field: value}]
    )
    assert answer == {"accepted": 1, "duplicates": 0, "rejected": []}
    run = shared_server.run(rid)
    shown = run[field]  # an error that is not an object is shown as its JSON text
    assert TRUNCATION_MARKER in json.dumps(shown) and _depth(shown) <= MAX_NESTING + 1
    assert _has_marker(run["events"][0][field])
    shared_server.runs()


def test_deeply_nested_chat_content_is_cut_and_read_back(shared_server: Server) -> None:
    thread = uid("t")
    shared_server.report(
        [{"name": "chat", "role": "user", "thread_id": thread, "content": _nested(600)}]
    )
    resp = shared_server.client.get(f"/api/threads/{thread}")
    assert resp.status_code == 200, resp.text
    assert _has_marker(resp.json()["messages"][0]["content"])
    assert shared_server.client.get("/api/threads").status_code == 200


def test_values_nested_within_the_bound_are_kept_whole(shared_server: Server) -> None:
    rid = uid()
    value = _nested(MAX_NESTING - 1)  # the event is level 1, its input level 2
    shared_server.report([{"name": "tool", "run_id": rid, "input": value}])
    assert shared_server.run(rid)["input"] == value


def test_body_nested_too_deep_to_parse_is_a_400(shared_server: Server) -> None:
    resp = _post_raw(shared_server, b'{"events": [' + b"[" * 3000 + b"]" * 3000 + b"]}")
    assert resp.status_code == 400
    assert "deep" in resp.json()["detail"]


@pytest.mark.parametrize("digits", [4301, 5001, 100_000])
def test_an_integer_too_long_to_read_rejects_its_event_only(
    shared_server: Server, digits: int
) -> None:
    """The SDK sends an argument of ``10**5000`` as its digits: that event is refused,
    not its batch (a 500 once, then a 400 for the whole batch)."""
    good, bad = uid(), uid()
    body = b'{"events": [{"name": "tool", "run_id": "%s", "input": %s},' % (
        bad.encode(),
        b"9" * digits,
    ) + b' {"name": "tool", "run_id": "%s", "input": %s}]}' % (good.encode(), b"9" * 4300)
    resp = _post_raw(shared_server, body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["rejected"] == [
        {"index": 0, "error": "holds an integer longer than 4300 digits"}
    ]
    assert shared_server.run(good)["input"] == int("9" * 4300)
    shared_server.runs()


def test_batch_larger_than_the_limit_is_a_413_with_a_message(shared_server: Server) -> None:
    body = b'{"events": [' + b",".join([b"0"] * 1_000_000) + b"]}"
    resp = _post_raw(shared_server, body)
    assert resp.status_code == 413
    assert resp.json() == {
        "detail": f"batch has 1000000 events; send at most {MAX_BATCH_EVENTS} per request"
    }
    assert len(resp.content) < 200


def test_rejection_list_is_capped_and_counted(shared_server: Server) -> None:
    good = uid()
    events: list[Any] = [0] * 2500 + [{"name": "tool", "run_id": good}]
    answer = shared_server.report(events)
    assert answer["accepted"] == 1
    assert answer["rejected_total"] == 2500
    assert len(answer["rejected"]) == 1000
    assert [r["index"] for r in answer["rejected"]] == list(range(1000))
    shared_server.run(good)


def test_rows_stored_before_the_bounds_still_read(server: Server) -> None:
    """Rows an older receiver accepted (times past year 9999, input nested 900 deep)
    answer 200, not 500 for the whole project."""
    rid = uid()
    server.report([{"name": "tool", "run_id": rid, "timestamp": ts(1)}])
    database = db.open_database(server.db_url)
    try:
        with database.write.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE runs SET start_time = ?, end_time = ?, input = ? WHERE run_id = ?",
                (-(2**62), 2**62, json.dumps(_nested(900)), rid),
            )
    finally:
        database.dispose()
    run = server.run(rid)
    assert run["start_time"] == "0001-01-01T00:00:00.000Z"
    assert run["end_time"] == "9999-12-31T23:59:59.999Z"
    assert _has_marker(run["input"])
    server.runs()


def test_sdk_batch_with_huge_numbers_loses_only_their_events(server: Server) -> None:
    """``set_usage(prompt_tokens=10**20)`` or an argument of ``10**5000`` made the
    receiver answer 500 and the SDK dropped the whole batch after retrying; now only
    those events are refused."""
    observatory.init(api_url=server.url, app_id="bounds", flush_interval=0.05, max_retries=1)
    try:

        @observatory.llm
        def call(n: int) -> str:
            if n == 3:
                observatory.current_run().set_usage(model="gpt-4o", prompt_tokens=10**20)
            return "ok"

        @observatory.tool
        def big(number: int) -> None:
            return None

        @observatory.agent
        def agent() -> None:
            for n in range(10):
                call(n)
            big(10**5000)

        agent()
        observatory.flush(10)
        stats = observatory.stats()
    finally:
        observatory.shutdown(timeout=5)
        _state._clear()
    # the SDK keeps within the receiver's bounds itself: the count is left out (and
    # logged), the huge integer is sent as text, so nothing is refused or lost
    assert stats["dropped"] == {}, stats
    runs = server.runs()
    assert len(runs) == 12
    assert all(r["status"] == "success" for r in runs)
    assert not any(r["prompt_tokens"] for r in runs)
    (tool,) = [r for r in runs if r["type"] == "tool"]
    assert isinstance(server.run(tool["run_id"])["input"]["number"], str)


def test_sdk_counts_every_rejection_beyond_the_listed_ones(server: Server) -> None:
    def overflow(event: dict[str, Any]) -> dict[str, Any]:
        # the SDK's own checks keep counts in bounds; a redact hook runs after them
        return {**event, "prompt_tokens": 10**20} if event["name"] == "llm_end" else event

    observatory.init(
        api_url=server.url,
        app_id="bounds",
        flush_interval=0.05,
        batch_size=3000,
        max_retries=1,
        redact=overflow,
    )
    try:

        @observatory.llm
        def call() -> None:
            return None

        for _ in range(1200):
            call()
        observatory.flush(30)
        stats = observatory.stats()
    finally:
        observatory.shutdown(timeout=5)
        _state._clear()
    assert stats["dropped"].get("rejected_by_receiver") == 1200, stats
    assert stats["sent"] == 1200  # the start events


@pytest.mark.parametrize("field", ["input", "output", "error", "metadata", "run_name"])
def test_lone_surrogates_are_replaced_not_a_500(shared_server: Server, field: str) -> None:
    """``"\\ud800"`` is valid JSON but not valid Unicode: SQLite (and PostgreSQL) refuse
    to store it, which failed the whole batch."""
    bad, good = uid(), uid()
    value: Any = {"agent": "\ud800x"} if field == "metadata" else "\ud800x"
    body = json.dumps(
        {
            "events": [
                {"name": "tool", "run_id": bad, field: value},
                {"name": "tool", "run_id": good},
            ]
        }
    ).encode()
    resp = _post_raw(shared_server, body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 2
    assert "\ufffd" in json.dumps(shared_server.run(bad), ensure_ascii=False)
    _assert_reads_work(shared_server, good)
