"""The threads listing's summary kept at ingest equals a full recomputation from the
messages, whatever order and batches the messages arrive in (late messages that
extend, start, bridge or split sessions), and the listing reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatory.server import db, folding, models, queries, retention, thread_summary

from .conftest import Server, ts

GAP = 10_000  # µs; message times below are whole milliseconds, as the listing shows them
PROJECT = 1


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[db.Database]:
    path = Path(tmp_path_factory.mktemp("threadsum")) / "t.db"
    database = db.open_database(f"sqlite:///{path}")
    yield database
    database.dispose()


def _store(conn: Any, chats: list[dict[str, Any]]) -> None:
    """What the writer does with a batch's chat messages."""
    db.insert_rows(conn, models.messages, chats)
    thread_summary.apply(conn, PROJECT, chats)


def _chat(n: int, thread: str | None, agent: str | None, user: str | None, t: int) -> dict:
    return {
        "project_id": PROJECT,
        "message_id": f"m{n}",
        "thread_id": thread,
        "role": "user",
        "content": '"hi"',
        "run_id": None,
        "app_id": "default",
        "agent": agent,
        "user_email": user,
        "ts": t,
    }


def recomputed(messages: list[dict[str, Any]], agent: Any = None, user: Any = None) -> set:
    """The listing, computed from scratch in Python: (last, id, count, first, agent, user)."""
    keep = [
        m
        for m in messages
        if (agent is None or m["agent"] == agent) and (user is None or m["user_email"] == user)
    ]
    out = set()
    by_thread: dict[str, list[dict[str, Any]]] = {}
    for m in keep:
        if m["thread_id"] is not None:
            by_thread.setdefault(m["thread_id"], []).append(m)
    for tid, ms in by_thread.items():
        agents = [m["agent"] for m in ms if m["agent"] is not None]
        users = [m["user_email"] for m in ms if m["user_email"] is not None]
        times = [m["ts"] for m in ms]
        out.add(
            (
                max(times),
                tid,
                len(ms),
                min(times),
                max(agents) if agents else None,
                max(users) if users else None,
            )
        )
    loose = sorted(
        (m["agent"] or "", m["agent"], m["user_email"] or "", m["user_email"], m["ts"])
        for m in keep
        if m["thread_id"] is None
    )
    rows = [(a, u, t) for _, a, _, u, t in loose]
    for a, u, first, last, count in folding.session_spans(rows, GAP):
        out.add((last, folding.auto_thread_id(a, u, first), count, first, a, u))
    return {(_shown(t[0]), t[1], t[2], _shown(t[3]), t[4], t[5]) for t in out}


def _shown(us: int) -> int:
    """A time as the listing shows it (ISO, to the millisecond), read back."""
    return folding_time(queries.iso(us) or "")


def listed(conn: Any, agent: Any = None, user: Any = None, limit: int = 3) -> list[tuple]:
    """Every page of the listing, followed by cursor."""
    seen: list[tuple] = []
    cursor = None
    for _ in range(1000):
        page = queries.list_threads(conn, PROJECT, GAP, agent, user, limit, cursor)
        for t in page["threads"]:
            seen.append(
                (
                    folding_time(t["last_time"]),
                    t["thread_id"],
                    t["message_count"],
                    folding_time(t["first_time"]),
                    t["agent"],
                    t["user_email"],
                )
            )
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def folding_time(iso: str) -> int:
    return queries.parse_time(iso, "time")


AGENTS = st.sampled_from([None, "a", "b"])
USERS = st.sampled_from([None, "u@x", "v@x"])
THREADS = st.sampled_from([None, None, None, "t1", "t2"])
MESSAGE = st.tuples(THREADS, AGENTS, USERS, st.integers(0, 60).map(lambda ms: ms * 1000))
BATCHES = st.lists(st.lists(MESSAGE, min_size=1, max_size=6), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=BATCHES)
def test_summary_equals_recomputation_in_any_order(database: db.Database, batches: Any) -> None:
    conn = database.write.connect()
    trans = conn.begin()
    try:
        thread_summary.rebuild(conn, GAP)
        stored: list[dict[str, Any]] = []
        for batch in batches:
            chats = [_chat(len(stored) + i, *m) for i, m in enumerate(batch)]
            _store(conn, chats)
            stored += chats
            # the summary path (no filter) against a recomputation, after every batch
            assert sorted(listed(conn), reverse=True) == listed(conn)
            assert set(listed(conn)) == recomputed(stored)
        for agent, user in (("a", None), (None, "u@x"), ("b", "v@x")):
            assert set(listed(conn, agent, user)) == recomputed(stored, agent, user)
        # a rebuild from the messages gives the same rows as the ones kept at ingest
        kept = set(conn.execute(models.thread_summaries.select()).all())
        thread_summary.rebuild(conn)
        assert set(conn.execute(models.thread_summaries.select()).all()) == kept
    finally:
        trans.rollback()
        conn.close()


def test_late_messages_bridge_and_extend_sessions(database: db.Database) -> None:
    with database.write.connect() as conn, conn.begin() as trans:
        thread_summary.rebuild(conn, GAP)
        msgs = [_chat(1, None, "a", "u", 100_000), _chat(2, None, "a", "u", 130_000)]
        _store(conn, msgs)
        assert [t[2] for t in listed(conn)] == [1, 1]  # 30 apart: two sessions
        late = [_chat(3, None, "a", "u", 115_000)]  # 15 from both: a session of its own
        _store(conn, late)
        assert len(listed(conn)) == 3
        bridge = [_chat(4, None, "a", "u", 108_000), _chat(5, None, "a", "u", 122_000)]
        _store(conn, bridge)  # 100-108-115-122-130: one session of five
        assert [(t[2], t[3], t[0]) for t in listed(conn)] == [(5, 100_000, 130_000)]
        early = [_chat(6, None, "a", "u", 95_000)]  # moves the first time, so the id
        _store(conn, early)
        (only,) = listed(conn)
        assert only[1] == folding.auto_thread_id("a", "u", 95_000) and only[2] == 6
        trans.rollback()


def test_listing_recomputes_when_the_summary_is_for_another_gap(database: db.Database) -> None:
    with database.write.connect() as conn, conn.begin() as trans:
        thread_summary.rebuild(conn, GAP)
        _store(conn, [_chat(1, None, "a", "u", 0), _chat(2, None, "a", "u", 15_000)])
        assert len(listed(conn)) == 2
        wide = queries.list_threads(conn, PROJECT, 20_000, limit=10)["threads"]
        assert [t["message_count"] for t in wide] == [2]
        assert thread_summary.ensure(conn, 20_000) and not thread_summary.ensure(conn, 20_000)
        assert thread_summary.built_gap(conn) == 20_000
        trans.rollback()


def test_retention_rebuilds_the_summary(database: db.Database) -> None:
    with database.write.connect() as conn, conn.begin() as trans:
        thread_summary.rebuild(conn, GAP)
        day = retention.DAY_US
        _store(conn, [_chat(1, None, "a", "u", 1), _chat(2, "t9", "a", "u", 2)])
        _store(conn, [_chat(3, None, "a", "u", 3 * day), _chat(4, "t9", "a", "u", 3 * day)])
        retention.apply_retention(conn, days=1, now_us=3 * day + 5)
        assert {(t[1], t[2]) for t in listed(conn)} == {
            (folding.auto_thread_id("a", "u", 3 * day), 1),
            ("t9", 1),
        }
        trans.rollback()


def test_receiver_lists_late_messages_through_the_summary(server: Server) -> None:
    def chat(second: int, minute: int) -> dict[str, Any]:
        return {
            "name": "chat",
            "role": "user",
            "content": "hi",
            "timestamp": ts(second, minute=minute, hour=3, day=2),
            "metadata": {"agent": "late-agent", "user_email": "late@example.com"},
        }

    server.report([chat(0, 0)])
    server.report([chat(0, 50)])  # 50 minutes later: a second session
    found = server.client.get("/api/threads", params={"agent": "late-agent"}).json()
    assert sorted(t["message_count"] for t in found["threads"]) == [1, 1]
    server.report([chat(0, 25)])  # within 30 minutes of both: one session of three
    for params in ({"agent": "late-agent"}, {"limit": 1000}):
        found = server.client.get("/api/threads", params=params).json()
        mine = [t for t in found["threads"] if t["agent"] == "late-agent"]
        assert [t["message_count"] for t in mine] == [3]
        assert mine[0]["first_time"].startswith("2026-05-02T03:00:00")
        detail = server.client.get(f"/api/threads/{mine[0]['thread_id']}").json()
        assert len(detail["messages"]) == 3
