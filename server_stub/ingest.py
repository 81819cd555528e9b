"""Ingest: body → events → (dedupe, fold, store) in one transaction → per-event results.

Parsing and validation run on a worker thread; every write goes through one
:class:`Writer` thread that commits queued batches together (group commit)
and resolves each batch's future only after the commit, so an acknowledged
batch is on disk.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import queue
import threading
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from observatory.protocol import RUN_TYPES, Event

from . import db, folding, models
from .auth import Principal
from .costs import CostTable, compute_cost
from .folding import Extras, dumps
from .metrics import Metrics

log = logging.getLogger("observatory.server")

MAX_PARENT_DEPTH = 100  # subtree-cost propagation stops here (also cuts parent cycles)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class BodyError(Exception):
    """A request body refused as a whole (400, 413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- body -------------------------------------------------------------------------


def decompress(data: bytes, encoding: str | None, limit: int) -> bytes:
    """The body after ``Content-Encoding``, never inflating past ``limit`` bytes."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("identity", ""):
        if len(data) > limit:
            raise BodyError(413, f"body is larger than the {limit}-byte limit")
        return data
    if enc in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif enc == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise BodyError(415, f"unsupported Content-Encoding {encoding!r}; use gzip or none")
    out: list[bytes] = []
    total = 0
    pending = data
    try:
        while pending:
            inflater = zlib.decompressobj(wbits)
            buf = pending
            while True:
                chunk = inflater.decompress(buf, limit + 1 - total)
                total += len(chunk)
                out.append(chunk)
                if total > limit:
                    raise BodyError(
                        413, f"body is larger than the {limit}-byte limit after decompression"
                    )
                buf = inflater.unconsumed_tail
                if not buf:
                    break
            tail = inflater.flush(limit + 1 - total)
            total += len(tail)
            out.append(tail)
            if total > limit:
                raise BodyError(
                    413, f"body is larger than the {limit}-byte limit after decompression"
                )
            if not inflater.eof:
                raise BodyError(400, f"body is not valid {enc}: the stream is truncated")
            pending = inflater.unused_data  # concatenated gzip members
    except zlib.error as exc:
        raise BodyError(400, f"body is not valid {enc}: {exc}") from exc
    return b"".join(out)


def parse_body(data: bytes) -> list[Any]:
    """The ``events`` list of a JSON body, or :class:`BodyError` saying what is wrong."""
    if not data.strip():
        raise BodyError(400, 'body is empty; send a JSON object like {"events": [...]}')
    try:
        body = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"body is not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BodyError(
            400, f"body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(body, dict):
        raise BodyError(
            400, f'body must be a JSON object like {{"events": [...]}}, got {_json_type(body)}'
        )
    if "events" not in body:
        raise BodyError(400, 'body has no "events" field; send {"events": [...]}')
    events = body["events"]
    if not isinstance(events, list):
        raise BodyError(400, f'"events" must be a list, got {_json_type(events)}')
    return events


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


# -- events -----------------------------------------------------------------------


@dataclass(slots=True)
class Item:
    """One valid event of a batch."""

    index: int
    event: Event
    extras: Extras
    raw: dict[str, Any]
    ts: int
    body: str
    """The event as stored (compact JSON), encoded before it reaches the writer."""


def _error_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def validate(
    raw_events: Sequence[Any], received_us: int
) -> tuple[list[Item], list[dict[str, Any]]]:
    """Validate each event on its own with the SDK's :class:`Event`."""
    items: list[Item] = []
    rejected: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            rejected.append(
                {"index": index, "error": f"event must be a JSON object, got {_json_type(raw)}"}
            )
            continue
        try:
            ev = Event.model_validate(raw)
            extras = folding.read_extras(ev)
        except ValidationError as exc:
            rejected.append({"index": index, "error": _error_text(exc)})
            continue
        except ValueError as exc:
            rejected.append({"index": index, "error": str(exc)})
            continue
        ts = (ev.timestamp - _EPOCH) // _US if ev.timestamp is not None else received_us
        items.append(Item(index, ev, extras, raw, ts, dumps(raw)))
    return items, rejected


@dataclass
class IngestResult:
    """The answer to one batch."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    runs_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the 200 answer."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": sorted(self.rejected, key=lambda r: r["index"]),
        }


# -- the single writer ----------------------------------------------------------------


@dataclass
class _Job:
    principal: Principal
    items: list[Item]
    rejected: list[dict[str, Any]]
    future: concurrent.futures.Future[IngestResult]


_STOP = object()


class Writer:
    """The one thread that writes ingested batches; group-commits what is queued."""

    def __init__(
        self, engine: Engine, costs: CostTable, metrics: Metrics, max_group: int = 64
    ) -> None:
        self._engine = engine
        self._costs = costs
        self._metrics = metrics
        self._max_group = max_group
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._apps: dict[str, int] = {}

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._loop, name="observatory-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish every queued batch, then stop."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def submit(
        self, principal: Principal, items: list[Item], rejected: list[dict[str, Any]]
    ) -> concurrent.futures.Future[IngestResult]:
        """Queue one validated batch; the future resolves after its commit."""
        if self._thread is None:
            raise RuntimeError("writer is not running")
        future: concurrent.futures.Future[IngestResult] = concurrent.futures.Future()
        self._queue.put(_Job(principal, items, rejected, future))
        return future

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            job = self._queue.get()
            if job is _STOP:
                break
            jobs = [job]
            while len(jobs) < self._max_group:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                jobs.append(nxt)
            self._run_group(jobs)

    def _run_group(self, jobs: list[_Job]) -> None:
        claimed: dict[str, int] = {}
        try:
            with self._engine.begin() as conn:
                self._costs.refresh_if_changed(conn)
                results = [
                    apply_batch(
                        conn, j.principal, j.items, j.rejected, self._costs, self._apps, claimed
                    )
                    for j in jobs
                ]
        except Exception as exc:
            if len(jobs) > 1:  # isolate the failing batch
                for job in jobs:
                    self._run_group([job])
                return
            log.exception("ingest failed")
            jobs[0].future.set_exception(exc)
            return
        self._apps.update(claimed)
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)


# -- one batch inside the writer's transaction ---------------------------------------


_e, _r = models.events, models.runs
_PROJECT = bindparam("p")
_STORED_EVENT_IDS = db.InQuery(
    lambda in_: select(_e.c.event_id).where(_e.c.project_id == _PROJECT, in_), _e.c.event_id
)
_STORED_RUNS = db.InQuery(
    lambda in_: select(_r).where(_r.c.project_id == _PROJECT, in_), _r.c.run_id
)
_CHILD_COSTS = db.InQuery(
    lambda in_: (
        select(_r.c.parent_run_id, func.sum(_r.c.subtree_cost))
        .where(_r.c.project_id == _PROJECT, in_)
        .group_by(_r.c.parent_run_id)
    ),
    _r.c.parent_run_id,
)
_SAVED_EVENTS = db.InQuery(
    lambda in_: select(_e.c.run_id).where(_e.c.project_id == _PROJECT, _e.c.name == "saved", in_),
    _e.c.run_id,
)
_PARENTS = db.InQuery(
    lambda in_: select(_r.c.run_id, _r.c.parent_run_id).where(_r.c.project_id == _PROJECT, in_),
    _r.c.run_id,
)


def _app_owner(
    conn: Connection, app_id: str, cache: dict[str, int], claimed: dict[str, int]
) -> int | None:
    owner = claimed.get(app_id) or cache.get(app_id)
    if owner is None:
        owner = conn.execute(
            select(models.apps.c.project_id).where(models.apps.c.app_id == app_id)
        ).scalar()
        if owner is not None:
            cache[app_id] = owner
    return owner


def apply_batch(
    conn: Connection,
    principal: Principal,
    items: list[Item],
    rejected: list[dict[str, Any]],
    costs: CostTable,
    app_cache: dict[str, int],
    claimed: dict[str, int],
) -> IngestResult:
    """Dedupe, store and fold one validated batch (inside the caller's transaction)."""
    project = principal.project_id
    result = IngestResult(rejected=list(rejected))

    # apps: an event may name its own project's apps (new ones are claimed), never another's
    kept: list[tuple[Item, str | None]] = []
    for item in items:
        app = item.event.app_id or item.extras.app_id
        if app is not None:
            owner = _app_owner(conn, app, app_cache, claimed)
            if owner is None:
                conn.execute(insert(models.apps).values(app_id=app, project_id=project))
                claimed[app] = project
            elif owner != project:
                result.rejected.append(
                    {"index": item.index, "error": f"app_id {app!r} belongs to another project"}
                )
                continue
        kept.append((item, app))

    # duplicates: against the store, then within the batch
    ids = [it.event.event_id for it, _ in kept if it.event.event_id is not None]
    seen: set[str] = {row[0] for row in _STORED_EVENT_IDS.rows(conn, ids, p=project)}
    e = models.events
    fresh: list[tuple[Item, str | None]] = []
    for item, app in kept:
        eid = item.event.event_id
        if eid is not None:
            if eid in seen:
                result.duplicates += 1
                continue
            seen.add(eid)
        fresh.append((item, app))

    fresh = _fold_runs(conn, principal, fresh, costs, result)
    if not fresh:
        return result

    db.insert_rows(
        conn,
        e,
        [
            {
                "project_id": project,
                "event_id": it.event.event_id,
                "run_id": it.event.run_id or it.event.parent_run_id,
                "name": it.event.name,
                "ts": it.ts,
                "body": it.body,
            }
            for it, _ in fresh
        ],
    )
    _store_custom(conn, principal, fresh)
    result.accepted = len(fresh)
    return result


def _store_custom(
    conn: Connection, principal: Principal, fresh: list[tuple[Item, str | None]]
) -> None:
    project = principal.project_id
    chats: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    saved: list[str] = []
    for item, app in fresh:
        ev, ex = item.event, item.extras
        if ev.name == "chat":
            chats.append(
                {
                    "project_id": project,
                    "message_id": ev.message_id or ev.event_id or uuid.uuid4().hex,
                    "thread_id": ev.thread_id,
                    "role": ev.role,
                    "content": dumps(ev.content),
                    "run_id": ev.parent_run_id or ev.run_id,
                    "app_id": app or principal.default_app,
                    "agent": ex.agent,
                    "user_email": ex.user_email,
                    "ts": item.ts,
                }
            )
        elif ev.name == "feedback":
            notes.append(
                {
                    "project_id": project,
                    "run_id": ev.run_id,
                    "message_id": ev.message_id,
                    "rating": ev.rating,
                    "comment": ev.comment,
                    "user_email": ex.user_email,
                    "ts": item.ts,
                }
            )
        elif ev.name == "saved" and ev.run_id is not None:
            saved.append(ev.run_id)
    if chats:
        db.insert_rows(conn, models.messages, chats)
    if notes:
        db.insert_rows(conn, models.feedback, notes)
    if saved:
        r = models.runs
        conn.execute(
            update(r)
            .where(r.c.project_id == bindparam("p"), r.c.run_id == bindparam("r"))
            .values(saved=True),
            [{"p": project, "r": rid} for rid in dict.fromkeys(saved)],
        )


_RUN_COLUMNS = [c.name for c in models.runs.columns]
_UPDATE_RUN = (
    update(models.runs)
    .where(models.runs.c.project_id == bindparam("_p"), models.runs.c.run_id == bindparam("_r"))
    .values({c: bindparam("v_" + c) for c in _RUN_COLUMNS if c not in ("project_id", "run_id")})
)
_ADD_SUBTREE = (
    update(models.runs)
    .where(models.runs.c.project_id == bindparam("_p"), models.runs.c.run_id == bindparam("_r"))
    .values(subtree_cost=models.runs.c.subtree_cost + bindparam("_amount"))
)


def _fold_runs(
    conn: Connection,
    principal: Principal,
    fresh: list[tuple[Item, str | None]],
    costs: CostTable,
    result: IngestResult,
) -> list[tuple[Item, str | None]]:
    """Fold the run events of ``fresh`` into ``runs``; returns the events to store
    (run events whose type contradicts the stored run are rejected)."""
    project = principal.project_id
    r = models.runs
    by_run: dict[str, list[Item]] = defaultdict(list)
    apps: dict[int, str | None] = {}
    for item, app in fresh:
        if item.event.type in RUN_TYPES:
            assert item.event.run_id is not None
            by_run[item.event.run_id].append(item)
            apps[item.index] = app
    if not by_run:
        return fresh

    run_ids = list(by_run)
    old = {row.run_id: dict(row._mapping) for row in _STORED_RUNS.rows(conn, run_ids, p=project)}
    new_ids = [rid for rid in run_ids if rid not in old]
    # children and "saved" events stored before their (new) parent run
    child_sum: dict[str, float] = {
        parent: total or 0.0 for parent, total in _CHILD_COSTS.rows(conn, new_ids, p=project)
    }
    pre_saved = {row[0] for row in _SAVED_EVENTS.rows(conn, new_ids, p=project)}
    saved_now = {
        it.event.run_id
        for it, _ in fresh
        if it.event.name == "saved" and it.event.run_id is not None
    }

    bad: set[int] = set()
    states: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    contrib: dict[str, float] = defaultdict(float)
    for rid, run_items in by_run.items():
        before = old.get(rid)
        run_type = before["type"] if before else run_items[0].event.type
        assert run_type is not None
        state = (
            folding.from_row(before)
            if before
            else folding.new_run(project, rid, run_type, run_items[0].ts)
        )
        merged = 0
        for item in sorted(run_items, key=lambda it: it.ts):
            if item.event.type != run_type:
                bad.add(item.index)
                result.rejected.append(
                    {
                        "index": item.index,
                        "error": f"run {rid!r} is a {run_type} run; a {item.event.type} event cannot change that",
                    }
                )
                continue
            folding.merge_event(
                state, item.event, item.extras, item.ts, apps[item.index], principal.default_app
            )
            merged += 1
        if not merged:
            continue
        folding.finish(state)
        state["cost"], state["cost_status"] = compute_cost(
            costs.resolve(state["model"]),
            state["type"],
            state["model"],
            state["prompt_tokens"],
            state["completion_tokens"],
            state["total_tokens"],
            state["cached_tokens"],
        )
        if before is None:
            state["subtree_cost"] = state["cost"] + (child_sum.get(rid) or 0.0)
            state["saved"] = rid in pre_saved or rid in saved_now
            up = state["subtree_cost"]
        else:
            delta = state["cost"] - (before["cost"] or 0.0)
            state["subtree_cost"] = (before["subtree_cost"] or 0.0) + delta
            up = state["subtree_cost"] if before["parent_run_id"] is None else delta
        states[rid] = (state, before)
        if state["parent_run_id"] is not None and up:
            contrib[state["parent_run_id"]] += up

    # cost changes reach the ancestors folded in this batch in memory (the common
    # case: a trace's runs arrive together), the stored ones in _propagate
    stored: dict[int, dict[str, float]] = {}
    depth = 0
    while contrib and depth < MAX_PARENT_DEPTH:
        nxt: dict[str, float] = defaultdict(float)
        for rid, amount in contrib.items():
            if rid not in states:
                stored.setdefault(depth, defaultdict(float))[rid] += amount
                continue
            state = states[rid][0]
            state["subtree_cost"] += amount
            if state["parent_run_id"] is not None:
                nxt[state["parent_run_id"]] += amount
        contrib = nxt
        depth += 1

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    new_tags: list[dict[str, Any]] = []
    for rid, (state, before) in states.items():
        if before is None:
            inserts.append(folding.to_row(state))
            tags_added = state["tags"]
        else:
            params = {"v_" + k: v for k, v in folding.to_row(state).items()}
            params["_p"], params["_r"] = project, rid
            updates.append(params)
            old_tags = set(json.loads(before["tags"])) if before["tags"] else set()
            tags_added = [t for t in state["tags"] if t not in old_tags]
        new_tags.extend({"project_id": project, "run_id": rid, "tag": t} for t in tags_added)

    if inserts:
        db.insert_rows(conn, r, inserts)
        result.runs_created += len(inserts)
    if updates:
        conn.execute(_UPDATE_RUN, updates)
    if new_tags:
        db.insert_rows(conn, models.run_tags, new_tags)
    for level, amounts in stored.items():
        _propagate(conn, project, amounts, level)
    if bad:
        return [(it, app) for it, app in fresh if it.index not in bad]
    return fresh


def _propagate(conn: Connection, project: int, contrib: dict[str, float], depth: int = 0) -> None:
    """Add cost changes to every stored ancestor's ``subtree_cost``, level by level
    (``depth`` levels were already walked in memory)."""
    while contrib and depth < MAX_PARENT_DEPTH:
        parents: dict[str, str | None] = dict(_PARENTS.rows(conn, list(contrib), p=project))
        if not parents:
            return
        conn.execute(
            _ADD_SUBTREE, [{"_p": project, "_r": rid, "_amount": contrib[rid]} for rid in parents]
        )
        nxt: dict[str, float] = defaultdict(float)
        for rid, parent in parents.items():
            if parent is not None:
                nxt[parent] += contrib[rid]
        contrib = nxt
        depth += 1


def received_now_us() -> int:
    """Receive time used for events without a timestamp."""
    return time.time_ns() // 1000
