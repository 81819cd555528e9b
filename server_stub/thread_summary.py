"""The threads listing's summary, kept in the writer's transaction.

One row per listed thread (table ``thread_summaries``): an explicit
``thread_id`` with its message count, first and last time, and its greatest
agent and user (as the full listing reports them); or a fallback thread, the
messages without ``thread_id`` of one agent + user between silences longer
than the gap. A page of the listing is then an index range, not a grouping of
every message on each request.

Fallback threads move as messages arrive in any order: a late message can
extend a session, start one, or bridge two into one (a session's id names its
first message's time, so it can change). :func:`apply` reloads the sessions a
batch can touch, merges the new times in, and replaces them. The summary is
built for one gap (stored in ``meta``); reads use it only for that gap, and
:func:`ensure` rebuilds it when the gap or the store changes under it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, delete, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from . import db, folding, models
from .stores import upsert_insert

if TYPE_CHECKING:
    from .stores import Store

GAP_KEY = "thread_summary_gap_us"
"""``meta`` key: the gap (µs) the summary was built with; absent while never built."""

_s, _m = models.thread_summaries, models.messages
Span = tuple[int, int, int]  # first_ts, last_ts, message count


def gap_us(minutes: float) -> int:
    """The session gap in microseconds for ``thread_gap_minutes``."""
    return int(minutes * 60 * 1_000_000)


def built_gap(conn: Connection) -> int | None:
    """The gap the summary holds sessions for, or None if it was never built."""
    value = db.get_meta(conn, GAP_KEY)
    return int(value) if value is not None else None


def ensure(conn: Connection, gap: int) -> bool:
    """Build the summary for ``gap`` unless it already is; True if it rebuilt."""
    if built_gap(conn) == gap:
        return False
    rebuild(conn, gap)
    return True


# -- at ingest -----------------------------------------------------------------------


def apply(
    conn: Connection,
    project: int,
    chats: Iterable[Mapping[str, Any]],
    store: Store | None = None,
) -> None:
    """Add stored chat messages (``thread_id``, ``agent``, ``user_email``, ``ts``) to
    the summary, inside the writer's transaction (nothing while it is not built).
    Fallback sessions are read, merged and rewritten, so with several writers at once
    each agent + user is locked first (``store``)."""
    gap = built_gap(conn)
    if gap is None:
        return
    explicit: dict[str, list[Any]] = {}
    loose: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    for msg in chats:
        ts, agent, user = msg["ts"], msg["agent"], msg["user_email"]
        if msg["thread_id"] is None:
            loose[(agent, user)].append(ts)
            continue
        t = explicit.get(msg["thread_id"])
        if t is None:
            explicit[msg["thread_id"]] = [ts, ts, 1, agent, user]
        else:
            t[0], t[1], t[2] = min(t[0], ts), max(t[1], ts), t[2] + 1
            t[3], t[4] = _greatest(t[3], agent), _greatest(t[4], user)
    if explicit:
        _add_explicit(conn, project, explicit)
    pairs = sorted(loose, key=_pair_order)  # one lock order across writers
    if pairs and store is not None and store.concurrent_writers:
        store.lock_runs(conn, [(project, _session_lock_name(a, u)) for a, u in pairs])
    for agent, user in pairs:
        _add_loose(conn, project, agent, user, loose[(agent, user)], gap)


def _pair_order(pair: tuple[str | None, str | None]) -> tuple[str, str]:
    return (pair[0] or "", pair[1] or "")


def _session_lock_name(agent: str | None, user: str | None) -> str:
    """A lock name no run id can have (ingest replaces U+0000 in ids)."""
    return f"\x00session\x00{agent or ''}\x00{user or ''}"


def _greatest(a: str | None, b: str | None) -> str | None:
    """SQL ``max`` of two values: NULLs ignored."""
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def _add_explicit(conn: Connection, project: int, threads: dict[str, list[Any]]) -> None:
    rows = [
        {
            "project_id": project,
            "auto": False,
            "thread_key": tid,
            "first_ts": t[0],
            "last_ts": t[1],
            "message_count": t[2],
            "agent": t[3],
            "user_email": t[4],
        }
        for tid, t in sorted(threads.items())  # rows in key order: one lock order
    ]
    stmt = upsert_insert(conn, _s)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in _s.primary_key.columns],
        set_={
            "message_count": _s.c.message_count + new.message_count,
            "first_ts": case((new.first_ts < _s.c.first_ts, new.first_ts), else_=_s.c.first_ts),
            "last_ts": case((new.last_ts > _s.c.last_ts, new.last_ts), else_=_s.c.last_ts),
            "agent": case(
                (or_(_s.c.agent.is_(None), new.agent > _s.c.agent), new.agent), else_=_s.c.agent
            ),
            "user_email": case(
                (or_(_s.c.user_email.is_(None), new.user_email > _s.c.user_email), new.user_email),
                else_=_s.c.user_email,
            ),
        },
    )
    conn.execute(stmt, rows)


def _same(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value


def _add_loose(
    conn: Connection,
    project: int,
    agent: str | None,
    user: str | None,
    times: list[int],
    gap: int,
) -> None:
    """Merge new message times into the stored sessions of one agent + user.

    Only sessions within ``gap`` of the new times can change: any other is kept
    apart from them by a silence longer than the gap on both sides."""
    lo, hi = min(times), max(times)
    where = and_(
        _s.c.project_id == project,
        _s.c.auto.is_(True),
        _same(_s.c.agent, agent),
        _same(_s.c.user_email, user),
        _s.c.first_ts <= hi + gap,
        _s.c.last_ts >= lo - gap,
    )
    stored = conn.execute(
        select(_s.c.thread_key, _s.c.first_ts, _s.c.last_ts, _s.c.message_count).where(where)
    ).all()
    spans = [(first, last, count) for _, first, last, count in stored]
    merged = list(merge_spans(spans + [(ts, ts, 1) for ts in times], gap))
    if stored:
        conn.execute(
            delete(_s).where(
                _s.c.project_id == project,
                _s.c.auto.is_(True),
                _s.c.thread_key.in_([key for key, *_ in stored]),
            )
        )
    db.insert_rows(conn, _s, [_loose_row(project, agent, user, span) for span in merged])


def _loose_row(project: int, agent: str | None, user: str | None, span: Span) -> dict[str, Any]:
    first, last, count = span
    return {
        "project_id": project,
        "auto": True,
        "thread_key": folding.auto_thread_id(agent, user, first),
        "agent": agent,
        "user_email": user,
        "first_ts": first,
        "last_ts": last,
        "message_count": count,
    }


def merge_spans(spans: Iterable[Span], gap: int) -> Iterator[Span]:
    """Sessions of the union of message-time spans: sorted by first time, a span
    joins the one before when it starts at most ``gap`` after that one's end (each
    span is a session or a single message, so its inner silences are within the gap)."""
    current: list[int] | None = None
    for first, last, count in sorted(spans):
        if current is not None and first - current[1] <= gap:
            current[1] = max(current[1], last)
            current[2] += count
            continue
        if current is not None:
            yield current[0], current[1], current[2]
        current = [first, last, count]
    if current is not None:
        yield current[0], current[1], current[2]


# -- rebuild (startup with a new gap, retention) ---------------------------------------


def rebuild(conn: Connection, gap: int | None = None) -> None:
    """Recompute the summary from ``messages`` (for ``gap``, or the one it was built
    for; nothing if it never was)."""
    gap = built_gap(conn) if gap is None else gap
    if gap is None:
        return
    conn.execute(delete(_s))
    explicit = conn.execute(
        select(
            _m.c.project_id,
            _m.c.thread_id,
            func.min(_m.c.ts),
            func.max(_m.c.ts),
            func.count(),
            func.max(_m.c.agent),
            func.max(_m.c.user_email),
        )
        .where(_m.c.thread_id.is_not(None))
        .group_by(_m.c.project_id, _m.c.thread_id)
    )
    rows: list[dict[str, Any]] = []
    for project, tid, first, last, count, agent, user in explicit:
        rows.append(
            {
                "project_id": project,
                "auto": False,
                "thread_key": tid,
                "agent": agent,
                "user_email": user,
                "first_ts": first,
                "last_ts": last,
                "message_count": count,
            }
        )
        rows = _flush(conn, rows)
    projects = [p for (p,) in conn.execute(select(_m.c.project_id).distinct())]
    for project in projects:
        loose = db.execute_indexed(
            conn,
            select(_m.c.agent, _m.c.user_email, _m.c.ts)
            .where(_m.c.project_id == project, _m.c.thread_id.is_(None))
            .order_by(_m.c.agent, _m.c.user_email, _m.c.ts, _m.c.id),
            _m,
            "ix_messages_loose",
        )
        for agent, user, first, last, count in folding.session_spans(loose, gap):
            rows.append(_loose_row(project, agent, user, (first, last, count)))
            rows = _flush(conn, rows)
    _flush(conn, rows, force=True)
    db.set_meta(conn, GAP_KEY, str(gap))


def _flush(conn: Connection, rows: list[dict[str, Any]], force: bool = False) -> list[Any]:
    if rows and (force or len(rows) >= 20_000):
        db.insert_rows(conn, _s, rows)
        return []
    return rows


# -- reads -----------------------------------------------------------------------------


Listed = tuple[int, str, int, int, str | None, str | None, bool]
"""(last, thread id, count, first, agent, user, auto): the listing's row order."""


def _listed(row: Any) -> Listed:
    key, count, first, last, agent, user, auto = row
    return (last, key, count, first, agent, user, bool(auto))


_LISTED_COLUMNS = (
    _s.c.thread_key,
    _s.c.message_count,
    _s.c.first_ts,
    _s.c.last_ts,
    _s.c.agent,
    _s.c.user_email,
    _s.c.auto,
)


def recent(
    conn: Connection, project: int, after: tuple[int, str] | None, limit: int
) -> list[Listed]:
    """Up to ``limit`` threads after ``after`` by (last time, id), newest first."""
    query = select(*_LISTED_COLUMNS).where(_s.c.project_id == project)
    if after is not None:
        query = query.where(tuple_(_s.c.last_ts, _s.c.thread_key) < tuple_(*after))
    query = query.order_by(_s.c.last_ts.desc(), _s.c.thread_key.desc()).limit(limit)
    return [_listed(row) for row in conn.execute(query)]


def sessions(
    conn: Connection, project: int, agent: str | None, user_email: str | None
) -> list[Listed]:
    """The fallback threads of one agent and/or user (a filtered listing)."""
    query = select(*_LISTED_COLUMNS).where(_s.c.project_id == project, _s.c.auto.is_(True))
    if agent is not None:
        query = query.where(_s.c.agent == agent)
    if user_email is not None:
        query = query.where(_s.c.user_email == user_email)
    return [_listed(row) for row in conn.execute(query)]
