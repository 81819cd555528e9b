"""Reads: the run filter table → ``select()``, run detail, threads.

Filters are declared once in :data:`FILTERS` (query parameter → parser → SQL
clause with bound parameters), in the spirit of datasette's ``filters.py``.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.engine import Connection

from observatory.protocol import RUN_TYPES, TRACE_ID_PATTERN

from . import db, folding, models, nesting, thread_summary

r = models.runs
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MAX_DETAIL_ROWS = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_INT64 = -(2**63)
"""The smallest value a store column holds; a cursor outside int64 is forged."""


class QueryError(ValueError):
    """An invalid filter value (answered with 422)."""


# -- conversions ---------------------------------------------------------------------


_MIN_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _US
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _US


def iso(us: int | None) -> str | None:
    """Integer microseconds → ISO-8601 UTC with ``Z``, to the millisecond (as every
    time the API shows). A time beyond what a datetime holds (stored before the
    receiver bounded timestamps) shows as the nearest one it does, never an error."""
    if us is None:
        return None
    moment = _EPOCH + timedelta(microseconds=min(max(us, _MIN_US), _MAX_US))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str, name: str) -> int:
    """ISO-8601 (``Z`` or offset; naive means UTC) → integer microseconds."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        hint = ""
        if " " in value.strip():  # `+00:00` sent unencoded: a URL's `+` means a space
            hint = " (a '+' in a URL query means a space: write the offset as %2B00:00, or use Z)"
        raise QueryError(f"{name} must be an ISO-8601 timestamp, got {value!r}{hint}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _US


def parse_float(value: str, name: str) -> float:
    """A finite number."""
    try:
        number = float(value)
    except ValueError as exc:
        raise QueryError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(number):
        raise QueryError(f"{name} must be a finite number, got {value!r}")
    return number


def _loads(text: str | None) -> Any:
    """A stored JSON value, cut to the nesting every encoder on the way out handles
    (values stored before the receiver bounded nesting may be deeper)."""
    return nesting.loads(text) if text else None


def run_out(row: Any, loads: Callable[[str | None], Any] = _loads) -> dict[str, Any]:
    """A stored run as the API shows it (``loads`` reads the stored JSON columns)."""
    return {
        "run_id": row["run_id"],
        "parent_run_id": row["parent_run_id"],
        "app_id": row["app_id"],
        "type": row["type"],
        "name": row["name"],
        "agent": row["agent"],
        "status": row["status"],
        "start_time": iso(row["start_time"]),
        "end_time": iso(row["end_time"]),
        "latency_s": row["latency_s"],
        "model": row["model"],
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "total_tokens": row["total_tokens"],
        "cached_tokens": row["cached_tokens"],
        "cost": row["cost"],
        "cost_status": row["cost_status"],
        "subtree_cost": row["subtree_cost"],
        "tags": loads(row["tags"]) or [],
        "user_email": row["user_email"],
        "saved": bool(row["saved"]),
        "input": loads(row["input"]),
        "output": loads(row["output"]),
        "error": loads(row["error"]),
        "metadata": loads(row["metadata"]) or {},
        "trace_id": row["trace_id"],
        "release": row["release"],
    }


# -- the filter table ------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """One query parameter: how to parse it and the clause it adds."""

    parse: Callable[[list[str], str], Any]
    clause: Callable[[Any, int], ColumnElement[bool]]
    doc: str


def _one(values: list[str], name: str) -> str:
    if len(values) != 1:
        raise QueryError(f"{name} may be given once")
    if values[0] == "":
        raise QueryError(f"{name} must not be empty")
    return values[0]


def _text(values: list[str], name: str) -> str:
    return _one(values, name)


def _enum(*allowed: str) -> Callable[[list[str], str], str]:
    def parse(values: list[str], name: str) -> str:
        value = _one(values, name)
        if value not in allowed:
            raise QueryError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        return value

    parse.allowed = allowed  # type: ignore[attr-defined]  # for param_schema
    return parse


def _number(values: list[str], name: str) -> float:
    return parse_float(_one(values, name), name)


def _time(values: list[str], name: str) -> int:
    return parse_time(_one(values, name), name)


def _trace_id(values: list[str], name: str) -> str:
    value = _one(values, name).lower()
    if not re.fullmatch(TRACE_ID_PATTERN, value):
        raise QueryError(f"{name} must be 32 hex digits (as in traceparent), got {value!r}")
    return value


def _tag_list(values: list[str], name: str) -> list[str]:
    tags = [t.strip() for v in values for t in v.split(",") if t.strip()]
    if not tags:
        raise QueryError(f"{name} must name at least one tag")
    return tags


def _has_any_tag(tags: list[str], project: int) -> ColumnElement[bool]:
    t = models.run_tags
    return exists().where(
        t.c.project_id == r.c.project_id, t.c.run_id == r.c.run_id, t.c.tag.in_(tags)
    )


FILTERS: dict[str, Filter] = {
    "status": Filter(
        _enum("started", "success", "error"), lambda v, p: r.c.status == v, "run status"
    ),
    "type": Filter(_enum(*RUN_TYPES), lambda v, p: r.c.type == v, "run type"),
    "model": Filter(_text, lambda v, p: r.c.model == v, "exact model name"),
    "agent": Filter(_text, lambda v, p: r.c.agent == v, "exact agent name"),
    "user_email": Filter(_text, lambda v, p: r.c.user_email == v, "exact user email"),
    "app_id": Filter(_text, lambda v, p: r.c.app_id == v, "exact app id"),
    "release": Filter(_text, lambda v, p: r.c.release == v, "exact release (version or git sha)"),
    "parent_run_id": Filter(_text, lambda v, p: r.c.parent_run_id == v, "direct children of a run"),
    "trace_id": Filter(_trace_id, lambda v, p: r.c.trace_id == v, "every run of a trace (32 hex)"),
    "min_latency_s": Filter(_number, lambda v, p: r.c.latency_s >= v, "latency ≥ seconds"),
    "max_latency_s": Filter(_number, lambda v, p: r.c.latency_s <= v, "latency ≤ seconds"),
    "min_cost": Filter(_number, lambda v, p: r.c.subtree_cost >= v, "cost incl. subtree ≥ USD"),
    "max_cost": Filter(_number, lambda v, p: r.c.subtree_cost <= v, "cost incl. subtree ≤ USD"),
    "tags": Filter(_tag_list, _has_any_tag, "any of these tags (repeat or comma-separate)"),
    "from": Filter(_time, lambda v, p: r.c.sort_time >= v, "start time ≥ (inclusive)"),
    "to": Filter(_time, lambda v, p: r.c.sort_time <= v, "start time ≤ (inclusive)"),
}
PAGING = ("limit", "cursor")

_TEXT_SCHEMA = {"type": "string", "minLength": 1}
_PARSER_SCHEMAS: dict[Callable[[list[str], str], Any], dict[str, Any]] = {
    _text: _TEXT_SCHEMA,
    _number: {"type": "number"},
    _time: {"type": "string", "format": "date-time"},
    _tag_list: {"type": "array", "items": _TEXT_SCHEMA},
    _trace_id: {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
}


def param_schema(f: Filter) -> dict[str, Any]:
    """The JSON Schema of a filter's query parameter (for the OpenAPI description)."""
    allowed = getattr(f.parse, "allowed", None)
    if allowed is not None:
        return {"type": "string", "enum": list(allowed)}
    return _PARSER_SCHEMAS[f.parse]


def encode_cursor(sort_time: int, run_id: str) -> str:
    """Opaque position after a run (or a thread: last message time, thread id)."""
    return base64.urlsafe_b64encode(json.dumps([sort_time, run_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The position an opaque cursor names, or QueryError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_time, run_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise QueryError("cursor is not one this server issued") from exc
    if (
        type(sort_time) is not int
        or not isinstance(run_id, str)
        or not _INT64 <= sort_time < -_INT64
    ):
        raise QueryError("cursor is not one this server issued")
    return sort_time, run_id


def parse_run_query(
    params: Mapping[str, list[str]],
) -> tuple[list[tuple[str, Any]], int, str | None]:
    """Validate query parameters: ``([(filter, value)], limit, cursor)``."""
    unknown = sorted(set(params) - set(FILTERS) - set(PAGING))
    if unknown:
        raise QueryError(
            f"unknown parameter(s) {', '.join(unknown)}; filters are {', '.join(FILTERS)}"
        )
    chosen = [(name, FILTERS[name].parse(params[name], name)) for name in FILTERS if name in params]
    limit = DEFAULT_LIMIT
    if "limit" in params:
        raw = _one(params["limit"], "limit")
        # not str.isdigit(): it accepts "²", which int() then refuses
        if re.fullmatch(r"[0-9]{1,6}", raw) is None or not 1 <= int(raw) <= MAX_LIMIT:
            raise QueryError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
        limit = int(raw)
    cursor = _one(params["cursor"], "cursor") if "cursor" in params else None
    values = dict(chosen)
    for low, high in (("min_latency_s", "max_latency_s"), ("min_cost", "max_cost"), ("from", "to")):
        if low in values and high in values and values[low] > values[high]:
            raise QueryError(f"{low} is after {high}: nothing can match")
    return chosen, limit, cursor


SELECTIVE_ROWS = 5000
"""A range or tag filter that matches fewer runs than this drives the query from
its own index (at most this many rows fetched, then sorted); a broader one is only
checked on the newest-first walk of a time-ordered index, which meets ``limit``
matches after about ``limit × runs ÷ matches`` rows. At 1,000,000 runs both
paths stay under ~20 ms; the planner alone cannot tell the two cases apart
(bound parameters, no histograms), and its guess costs seconds when wrong."""

# filter groups that have their own index but give no newest-first order
_RANGES: dict[str, tuple[tuple[str, ...], Any]] = {
    "latency": (("min_latency_s", "max_latency_s"), r.c.latency_s),
    "cost": (("min_cost", "max_cost"), r.c.subtree_cost),
}


def _range_clause(column: Any, low: float | None, high: float | None) -> list[ColumnElement[bool]]:
    return [
        *([column >= low] if low is not None else []),
        *([column <= high] if high is not None else []),
    ]


def _capped_count(conn: Connection, query: Any) -> int:
    limited = query.limit(SELECTIVE_ROWS).subquery()
    return int(conn.execute(select(func.count()).select_from(limited)).scalar() or 0)


def _run_filter_clauses(
    conn: Connection, project: int, chosen: list[tuple[str, Any]]
) -> tuple[list[ColumnElement[bool]], bool]:
    """The WHERE terms of a run listing, and whether one of them drives the query
    (then the order is applied by a sort, not read from a time-ordered index)."""
    values = dict(chosen)
    mine = r.c.project_id == project
    # candidates to drive the query: (matching runs capped, the driving term, the
    # term that only checks); a broad range is written as ``column + 0`` so no
    # index on it is used and the newest-first walk is kept
    groups: list[tuple[int, ColumnElement[bool], list[ColumnElement[bool]]]] = []
    for names, column in _RANGES.values():
        low, high = values.get(names[0]), values.get(names[1])
        if low is None and high is None:
            continue
        terms = _range_clause(column, low, high)
        groups.append(
            (  # the count reads the range's index only (no row lookups)
                _capped_count(conn, select(column).where(mine, *terms)),
                r.c.run_id.in_(select(r.c.run_id).where(mine, *terms)),
                _range_clause(column + 0, low, high),
            )
        )
    if "tags" in values:
        t = models.run_tags
        tagged = select(t.c.run_id).where(t.c.project_id == project, t.c.tag.in_(values["tags"]))
        groups.append(
            (
                _capped_count(conn, tagged.distinct()),
                r.c.run_id.in_(tagged),
                [_has_any_tag(values["tags"], project)],
            )
        )
    others = [
        FILTERS[name].clause(value, project)
        for name, value in chosen
        if name != "tags" and not any(name in names for names, _ in _RANGES.values())
    ]
    driver = min(groups, key=lambda g: g[0], default=None)
    if driver is None or driver[0] >= SELECTIVE_ROWS:
        return [mine, *others, *(term for g in groups for term in g[2])], False
    rest = [term for g in groups if g is not driver for term in g[2]]
    return [mine, driver[1], *others, *rest], True


def list_runs(
    conn: Connection,
    project: int,
    params: Mapping[str, list[str]],
    out: Callable[[Any], Any] = run_out,
) -> dict[str, Any]:
    """``{"runs": [...], "next_cursor": ...}``, newest first (keyset cursor); ``out``
    shapes each row (the export passes stored JSON through undecoded)."""
    chosen, limit, cursor = parse_run_query(params)
    clauses, driven = _run_filter_clauses(conn, project, chosen)
    if cursor is not None:
        at, run_id = decode_cursor(cursor)
        clauses.append(or_(r.c.sort_time < at, and_(r.c.sort_time == at, r.c.run_id < run_id)))
    # ``sort_time + 0`` keeps a driving filter's index from being traded for the order
    order = (r.c.sort_time + 0) if driven else r.c.sort_time
    query = select(r).where(*clauses).order_by(order.desc(), r.c.run_id.desc()).limit(limit + 1)
    rows = [row._mapping for row in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["sort_time"], rows[-1]["run_id"]) if more else None
    return {"runs": [out(row) for row in rows], "next_cursor": next_cursor}


def _feedback_out(row: Any) -> dict[str, Any]:
    return {
        "run_id": row["run_id"],
        "message_id": row["message_id"],
        "rating": row["rating"],
        "comment": row["comment"],
        "user_email": row["user_email"],
        "timestamp": iso(row["ts"]),
    }


def run_detail(conn: Connection, project: int, run_id: str) -> dict[str, Any] | None:
    """The run with its events, child runs, feedback and subtree cost; None if unknown."""
    row = conn.execute(select(r).where(r.c.project_id == project, r.c.run_id == run_id)).first()
    if row is None:
        return None
    e, f = models.events, models.feedback
    events = conn.execute(
        select(e.c.body, e.c.ts)
        .where(e.c.project_id == project, e.c.run_id == run_id)
        .order_by(e.c.ts, e.c.id)
        .limit(MAX_DETAIL_ROWS)
    ).all()
    children = conn.execute(
        select(r)
        .where(r.c.project_id == project, r.c.parent_run_id == run_id)
        .order_by(r.c.sort_time, r.c.run_id)
        .limit(MAX_DETAIL_ROWS)
    ).all()
    notes = conn.execute(
        select(f).where(f.c.project_id == project, f.c.run_id == run_id).order_by(f.c.ts, f.c.id)
    ).all()
    detail = run_out(row._mapping)
    detail["events"] = [_loads(ev.body) for ev in events]
    detail["children"] = [run_out(c._mapping) for c in children]
    detail["feedback"] = [_feedback_out(n._mapping) for n in notes]
    return detail


# -- threads --------------------------------------------------------------------------


def _message_out(row: Any, thread_id: str) -> dict[str, Any]:
    return {
        "message_id": row["message_id"],
        "thread_id": thread_id,
        "role": row["role"],
        "content": _loads(row["content"]),
        "run_id": row["run_id"],
        "app_id": row["app_id"],
        "agent": row["agent"],
        "user_email": row["user_email"],
        "timestamp": iso(row["ts"]),
        "feedback": [],
    }


def list_threads(
    conn: Connection,
    project: int,
    gap_us: int,
    agent: str | None = None,
    user_email: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Explicit threads (by ``thread_id``) and fallback ones (agent + user, split on
    silence longer than ``gap_us``), most recently active first, ``limit`` at a time:
    ``{"threads": [...], "next_cursor": ...}``; a bad ``cursor`` raises QueryError."""
    after = decode_cursor(cursor) if cursor is not None else None
    summary = thread_summary.built_gap(conn) == gap_us
    if summary and agent is None and user_email is None:  # an index range of the summary
        listed = thread_summary.recent(conn, project, after, limit + 1)
        return _thread_listing(listed[:limit], len(listed) > limit)
    m = models.messages
    where = [m.c.project_id == project]
    if agent is not None:
        where.append(m.c.agent == agent)
    if user_email is not None:
        where.append(m.c.user_email == user_email)
    # (last, thread_id, count, first, agent, user, auto): summaries are formatted for the page only
    found: list[tuple[int, str | None, int, int, str | None, str | None, bool]] = [
        (last, thread_id, count, first, agent_name, user, False)
        for thread_id, count, first, last, agent_name, user in conn.execute(
            select(
                m.c.thread_id,
                func.count(),
                func.min(m.c.ts),
                func.max(m.c.ts),
                func.max(m.c.agent),
                func.max(m.c.user_email),
            )
            .where(*where, m.c.thread_id.is_not(None))
            .group_by(m.c.thread_id)
        )
    ]
    if summary:  # a filter keeps an explicit thread's matching messages: those come from above
        found.extend(thread_summary.sessions(conn, project, agent, user_email))
    else:
        found.extend(_loose_sessions(conn, where, gap_us))
    page, more = _thread_page(found, after, limit)
    return _thread_listing(page, more)


def _loose_sessions(conn: Connection, where: list[Any], gap_us: int) -> Iterator[Any]:
    """Fallback threads computed from every message without ``thread_id``."""
    m = models.messages
    loose = db.execute_indexed(  # from the partial index alone, no table reads
        conn,
        select(m.c.agent, m.c.user_email, m.c.ts)
        .where(*where, m.c.thread_id.is_(None))
        .order_by(m.c.agent, m.c.user_email, m.c.ts, m.c.id),
        m,
        "ix_messages_loose",
    )
    for agent_name, user, first_ts, last_ts, count in folding.session_spans(loose, gap_us):
        # the id (an encoding) is made only for the threads a page shows: _thread_page
        yield (last_ts, None, count, first_ts, agent_name, user, True)


def _thread_listing(page: list[tuple[Any, ...]], more: bool) -> dict[str, Any]:
    next_cursor = encode_cursor(page[-1][0], page[-1][1]) if more else None
    threads = [
        _thread_summary(thread_id, count, first_ts, last, agent_name, user, auto)
        for last, thread_id, count, first_ts, agent_name, user, auto in page
    ]
    return {"threads": threads, "next_cursor": next_cursor}


def _named(t: tuple[Any, ...]) -> tuple[Any, ...]:
    """A listed thread with its id (a fallback thread's is derived on demand)."""
    if t[1] is not None:
        return t
    return (t[0], folding.auto_thread_id(t[4], t[5], t[3]), *t[2:])


def _thread_page(
    found: list[tuple[Any, ...]], after: tuple[int, str] | None, limit: int
) -> tuple[list[tuple[Any, ...]], bool]:
    """The ``limit`` threads after ``after`` by (last time, id), newest first, and
    whether more follow. Only ties on the last time need ids, so of 100,000 fallback
    threads a page names about ``limit`` (naming all took ~1.3 s; sorting all ~0.6 s)."""
    if after is not None:
        kept = []
        for t in found:
            if t[0] < after[0]:
                kept.append(t)
            elif t[0] == after[0]:
                t = _named(t)
                if t[1] < after[1]:
                    kept.append(t)
        found = kept
    if len(found) > limit + 1:
        boundary = heapq.nlargest(limit + 1, (t[0] for t in found))[-1]
        found = [t for t in found if t[0] >= boundary]
    named = sorted((_named(t) for t in found), key=lambda t: (t[0], t[1]), reverse=True)
    return named[:limit], len(named) > limit


def _thread_summary(
    thread_id: str,
    count: int,
    first: int,
    last: int,
    agent: str | None,
    user: str | None,
    auto: bool,
) -> dict[str, Any]:
    return {
        "thread_id": thread_id,
        "message_count": count,
        "first_time": iso(first),
        "last_time": iso(last),
        "agent": agent,
        "user_email": user,
        "grouped_by": "agent_user_window" if auto else "thread_id",
    }


def thread_detail(
    conn: Connection, project: int, thread_id: str, gap_us: int
) -> dict[str, Any] | None:
    """``{"thread_id", "messages": [...]}`` in time order, each with its feedback."""
    m = models.messages
    rows: Sequence[Any] = (
        conn.execute(
            select(m)
            .where(m.c.project_id == project, m.c.thread_id == thread_id)
            .order_by(m.c.ts, m.c.id)
        )
        .mappings()
        .all()
    )
    if not rows:
        key = folding.parse_auto_thread_id(thread_id)
        if key is None:
            if thread_id.startswith(folding.AUTO_PREFIX):
                raise QueryError(
                    f"no thread {thread_id!r}: the id is neither a stored thread_id nor "
                    "an automatic thread id this server issued"
                )
            return None
        agent, user, first_ts = key
        loose = (
            conn.execute(
                select(m)
                .where(
                    m.c.project_id == project,
                    m.c.thread_id.is_(None),
                    m.c.agent.is_(None) if agent is None else m.c.agent == agent,
                    m.c.user_email.is_(None) if user is None else m.c.user_email == user,
                )
                .order_by(m.c.ts, m.c.id)
            )
            .mappings()
            .all()
        )
        rows = next(
            (g for g in folding.split_sessions(loose, gap_us) if g[0]["ts"] == first_ts), []
        )
        if not rows:
            return None
    messages = [_message_out(row, thread_id) for row in rows]
    by_id = {msg["message_id"]: msg for msg in messages}
    f = models.feedback
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        for note in conn.execute(
            select(f)
            .where(f.c.project_id == project, f.c.message_id.in_(ids[start : start + 500]))
            .order_by(f.c.ts, f.c.id)
        ).mappings():
            by_id[note["message_id"]]["feedback"].append(_feedback_out(note))
    return {"thread_id": thread_id, "messages": messages}
