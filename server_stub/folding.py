"""Fold events into runs (any order, any batch split) and chat messages into threads.

A run's state is a plain dict with the ``runs`` columns. :func:`merge_event`
applies one event to it; the rules make the result independent of arrival order
for everything that matters:

* ``start_time`` is the earliest ``*_start`` time, ``end_time`` the latest end;
* status ranks ``started`` < ``success`` < ``error`` (an error, once seen, stays);
* any other field (and each metadata key): a null never erases; a non-null
  value fills a gap, and replaces a value only if its event is not older than
  the newest event already folded (so the latest event wins whatever the
  arrival order); ``parent_run_id`` is set once; tags are a sorted union.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from observatory.protocol import (
    MAX_EMAIL_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    Event,
    total_tokens,
)

from .models import runs

STATUS_RANK = {"started": 0, "success": 1, "error": 2}


try:  # orjson is ~15x faster on the ingest path; plain json works the same
    import orjson

    def dumps(value: Any) -> str:
        """Compact JSON for storage (non-JSON values become strings)."""
        try:
            return orjson.dumps(value, default=str).decode()
        except TypeError:  # e.g. integers beyond 64 bits
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)

except ImportError:  # pragma: no cover

    def dumps(value: Any) -> str:
        """Compact JSON for storage (non-JSON values become strings)."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class Extras:
    """What an event says in ``metadata`` (or the same top-level field), validated once."""

    tags: tuple[str, ...]
    user_email: str | None
    agent: str | None
    run_name: str | None
    app_id: str | None


def _str_or_none(value: Any, label: str, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{label} must be a string, got {type(value).__name__}")
    if len(value) > max_length:  # the column's size (PostgreSQL enforces it)
        raise ValueError(f"{label} must be at most {max_length} characters, got {len(value)}")
    return value


def _tags(value: Any, label: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError(f"{label} must be a list of strings")
    if any(len(t) > MAX_TAG_LENGTH for t in value):
        raise ValueError(f"{label}: a tag is longer than {MAX_TAG_LENGTH} characters")
    return value


NO_EXTRAS = Extras((), None, None, None, None)


def read_extras(ev: Event) -> Extras:
    """Validate and collect what ``metadata`` says with meaning (the top-level twins of
    ``tags``, ``user_email`` and ``run_name`` are declared fields of :class:`Event`);
    ValueError if bad."""
    meta = ev.metadata
    if not meta and ev.tags is None and ev.user_email is None and ev.run_name is None:
        return NO_EXTRAS
    meta = meta or {}
    tags = _tags(meta.get("tags"), "metadata.tags") + _tags(ev.tags, "tags")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags per event, got {len(tags)}")
    return Extras(
        tags=tuple(sorted(set(tags))),
        user_email=_str_or_none(meta.get("user_email"), "metadata.user_email", MAX_EMAIL_LENGTH)
        or ev.user_email,
        agent=_str_or_none(meta.get("agent"), "metadata.agent", MAX_NAME_LENGTH),
        run_name=_str_or_none(meta.get("run_name"), "metadata.run_name", MAX_NAME_LENGTH)
        or ev.run_name,
        app_id=_str_or_none(meta.get("app_id"), "metadata.app_id", MAX_ID_LENGTH),
    )


def normalize_error(error: Any) -> Any:
    """``{"type": ..., "message": ...}`` from a dict or a plain string."""
    if error is None or isinstance(error, dict):
        return error
    if isinstance(error, str):
        return {"type": None, "message": error}
    return {"type": None, "message": dumps(error)}


def new_run(project_id: int, run_id: str, run_type: str, ts: int) -> dict[str, Any]:
    """The state of a run nothing is known about yet."""
    return {
        "project_id": project_id,
        "run_id": run_id,
        "parent_run_id": None,
        "app_id": None,
        "type": run_type,
        "name": run_type,
        "agent": None,
        "status": "started",
        "start_time": None,
        "end_time": None,
        "sort_time": ts,
        "latency_s": None,
        "model": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "total_tokens": None,
        "cached_tokens": None,
        "cost": 0.0,
        "cost_status": "",
        "subtree_cost": 0.0,
        "tags": [],
        "user_email": None,
        "saved": False,
        "input": None,
        "output": None,
        "error": None,
        "metadata": {},
        "trace_id": None,
        "release": None,
        "_explicit_name": None,
    }


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored run row as mergeable state (JSON columns decoded where merged)."""
    state = dict(row)
    state["tags"] = json.loads(row["tags"]) if row.get("tags") else []
    state["metadata"] = json.loads(row["metadata"]) if row.get("metadata") else {}
    fallback = _fallback_name(state["type"], state["agent"])
    state["_explicit_name"] = None if row["name"] == fallback else row["name"]
    return state


_PRIVATE = ("_explicit_name",)
"""State keys that are not columns (all start with ``_``)."""


def to_row(state: dict[str, Any]) -> dict[str, Any]:
    """The state as column values (JSON columns encoded)."""
    row = dict(state)
    for key in _PRIVATE:
        row.pop(key, None)
    row["tags"] = dumps(state["tags"]) if state["tags"] else None
    row["metadata"] = dumps(state["metadata"]) if state["metadata"] else None
    return row


RUN_COLUMNS: tuple[str, ...] = tuple(c.name for c in runs.columns)


def row_values(state: dict[str, Any]) -> tuple[Any, ...]:
    """The state as a ``runs`` row tuple in :data:`RUN_COLUMNS` order (JSON encoded)."""
    return tuple(
        (dumps(state[c]) if state[c] else None) if c in _JSON_COLUMNS else state[c]
        for c in RUN_COLUMNS
    )


_JSON_COLUMNS = frozenset(("tags", "metadata"))


def _fallback_name(run_type: str, agent: str | None) -> str:
    return agent if run_type == "agent" and agent else run_type


def merge_event(
    state: dict[str, Any], ev: Event, ex: Extras, ts: int, app_id: str | None, default_app: str
) -> None:
    """Apply one run event (``<type>``, ``<type>_start``, ``_end`` or ``_error``) to ``state``."""
    phase = ev.phase
    first, last = state["start_time"], state["end_time"]
    newer = (first is None or ts >= first) and (last is None or ts >= last)
    if ev.parent_run_id is not None and state["parent_run_id"] is None:
        state["parent_run_id"] = ev.parent_run_id
    if ev.trace_id is not None and state["trace_id"] is None:
        state["trace_id"] = ev.trace_id
    if app_id is not None and (newer or state["app_id"] in (None, default_app)):
        state["app_id"] = app_id
    elif state["app_id"] is None:
        state["app_id"] = default_app
    for key, value in (
        ("agent", ex.agent),
        ("user_email", ex.user_email),
        ("model", ev.model),
        ("release", ev.release),
        ("prompt_tokens", ev.prompt_tokens),
        ("completion_tokens", ev.completion_tokens),
        ("total_tokens", ev.total_tokens),
        ("cached_tokens", ev.cached_tokens),
        ("_explicit_name", ex.run_name),
        ("input", None if ev.input is None else dumps(ev.input)),
        ("output", None if ev.output is None else dumps(ev.output)),
        ("error", None if ev.error is None else dumps(normalize_error(ev.error))),
    ):
        if value is not None and (newer or state[key] is None):
            state[key] = value
    if ex.tags:
        state["tags"] = sorted({*state["tags"], *ex.tags})
    if ev.metadata:
        merged = dict(state["metadata"])
        for k, v in ev.metadata.items():
            if v is not None and k != "tags" and (newer or merged.get(k) is None):
                merged[k] = v
        state["metadata"] = merged

    if phase == "start":
        status = "started"
        if state["start_time"] is None or ts < state["start_time"]:
            state["start_time"] = ts
    else:
        if phase == "error":
            status = "error"
        else:
            status = ev.status or ("error" if ev.error is not None else "success")
        end = ts
        if state["end_time"] is None or end > state["end_time"]:
            state["end_time"] = end
        if phase is None:  # a complete run in one event
            start = ts - int((ev.latency_s or 0.0) * 1_000_000)
            if state["start_time"] is None or start < state["start_time"]:
                state["start_time"] = start
    if STATUS_RANK[status] > STATUS_RANK[state["status"]]:
        state["status"] = status
    if ts < state["sort_time"]:
        state["sort_time"] = ts


def finish(state: dict[str, Any]) -> None:
    """Derive name, latency, sort time and total tokens after the merges."""
    state["name"] = state["_explicit_name"] or _fallback_name(state["type"], state["agent"])
    start, end = state["start_time"], state["end_time"]
    if start is not None:
        state["sort_time"] = start
    state["latency_s"] = (
        max(0, end - start) / 1_000_000 if start is not None and end is not None else None
    )
    state["total_tokens"] = total_tokens(
        state["prompt_tokens"], state["completion_tokens"], state["total_tokens"]
    )


# -- threads --------------------------------------------------------------------

AUTO_PREFIX = "auto-"


def auto_thread_id(agent: str | None, user_email: str | None, first_ts: int) -> str:
    """The id of a fallback thread (agent + user + time of its first message)."""
    raw = dumps([agent, user_email, first_ts]).encode()
    return AUTO_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_auto_thread_id(thread_id: str) -> tuple[str | None, str | None, int] | None:
    """``(agent, user_email, first_ts)`` of a fallback thread id, or None."""
    if not thread_id.startswith(AUTO_PREFIX):
        return None
    body = thread_id[len(AUTO_PREFIX) :]
    try:
        agent, user, first = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    names_ok = all(v is None or isinstance(v, str) for v in (agent, user))
    if not names_ok or type(first) is not int or not -(2**63) <= first < 2**63:
        return None  # forged: the store would be asked with a list, a dict or a 70-bit int
    return agent, user, first


def split_sessions(rows: Iterable[Any], gap_us: int) -> list[list[Any]]:
    """Group messages without ``thread_id`` by (agent, user); a new group starts
    after ``gap_us`` of silence. ``rows`` must be sorted by agent, user, ts."""
    groups: list[list[Any]] = []
    current: list[Any] = []
    for row in rows:
        if current:
            last = current[-1]
            same = last["agent"] == row["agent"] and last["user_email"] == row["user_email"]
            if same and row["ts"] - last["ts"] <= gap_us:
                current.append(row)
                continue
            groups.append(current)
        current = [row]
    if current:
        groups.append(current)
    return groups


def session_spans(
    rows: Iterable[tuple[str | None, str | None, int]], gap_us: int
) -> Iterator[tuple[str | None, str | None, int, int, int]]:
    """``(agent, user, first_ts, last_ts, count)`` of each group :func:`split_sessions`
    makes, from ``(agent, user_email, ts)`` tuples in the same order (the listing
    needs only the spans: no row is kept)."""
    current: tuple[str | None, str | None] | None = None
    first = last = count = 0
    for agent, user, ts in rows:
        if current is not None and current == (agent, user) and ts - last <= gap_us:
            last = ts
            count += 1
            continue
        if current is not None:
            yield current[0], current[1], first, last, count
        current, first, last, count = (agent, user), ts, ts, 1
    if current is not None:
        yield current[0], current[1], first, last, count
