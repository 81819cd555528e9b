"""The single writer: dedupe, fold into stored runs, store, commit; then acknowledge.

Every write of ingested events goes through one :class:`Writer` thread per
process, which commits queued batches together (group commit) and resolves
each batch's future only after the commit, so an acknowledged batch is on
disk. Several processes (``observatory serve --workers N``, or receivers on
other machines) share the store: on SQLite they take turns through its writer
lock; on PostgreSQL they write at once, guarded by the run locks, ``ON
CONFLICT`` and retries of :mod:`.stores.postgresql`.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from . import db, folding, models, rollup, thread_summary
from .auth import Principal
from .costs import MAX_DEPTH, CostTable, ancestors, compute_cost
from .folding import dumps
from .ingest import Draft, IngestResult, Item, Prepared, fold_draft
from .metrics import Metrics
from .stores import Store

log = logging.getLogger("observatory.server")

MAX_ATTEMPTS = 5
"""Tries of a group transaction that met a retryable error (deadlock, a race)."""
IDLE_FLUSH_S = 1.0
"""Counts of answered batches reach the store with the next group, or after this
long without one."""


@dataclass
class _Job:
    principal: Principal
    batch: Prepared
    future: concurrent.futures.Future[IngestResult]


_STOP = object()


class Writer:
    """The one thread that writes ingested batches; group-commits what is queued."""

    def __init__(
        self,
        engine: Engine,
        costs: CostTable,
        metrics: Metrics,
        max_group: int = 64,
        store: Store | None = None,
    ) -> None:
        self._engine = engine
        self._store = store or Store(engine)
        self._lock: AbstractContextManager[Any] = self._store.writer_lock()
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
        self, principal: Principal, batch: Prepared
    ) -> concurrent.futures.Future[IngestResult]:
        """Queue one prepared batch; the future resolves after its commit."""
        if self._thread is None:
            raise RuntimeError("writer is not running")
        future: concurrent.futures.Future[IngestResult] = concurrent.futures.Future()
        self._queue.put(_Job(principal, batch, future))
        return future

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            try:
                job = self._queue.get(timeout=IDLE_FLUSH_S)
            except queue.Empty:
                self._flush_metrics()
                continue
            if job is _STOP:
                break
            jobs = [job]
            keys = len(job.batch.drafts)
            limit = self._store.max_group_keys
            while len(jobs) < self._max_group and (limit is None or keys < limit):
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                jobs.append(nxt)
                keys += len(nxt.batch.drafts)
            self._run_group(jobs)
            if self._store.concurrent_writers:  # counters never inside the ingest transaction
                self._flush_metrics()
        self._flush_metrics()

    def _flush_metrics(self) -> None:
        if self._metrics.pending:
            try:
                with self._lock:
                    self._metrics.flush_now(self._engine)
            except Exception:  # counts are not worth a crashed writer
                log.exception("could not store ingest counters")

    def _run_group(self, jobs: list[_Job]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            claimed: dict[str, int] = {}
            try:
                with self._lock, self._engine.begin() as conn:
                    self._costs.refresh_if_changed(conn)
                    if not self._store.concurrent_writers:
                        self._metrics.flush(conn)
                    self._store.lock_store(conn)  # shared: no recalc or rebuild meanwhile
                    self._store.lock_runs(
                        conn, [k for j in jobs for k in run_keys(j.principal, j.batch)]
                    )
                    summaries = rollup.Delta()
                    results = [
                        apply_batch(
                            conn,
                            j.principal,
                            j.batch,
                            self._costs,
                            self._apps,
                            claimed,
                            self._store,
                            summaries,
                        )
                        for j in jobs
                    ]
                    summaries.write(conn)
                break
            except Exception as exc:
                if attempt < MAX_ATTEMPTS and self._store.is_retryable(exc):
                    log.info("ingest transaction retried (%s)", type(exc.__cause__).__name__)
                    time.sleep(random.uniform(0, 0.01 * attempt))
                    continue
                self._fail(jobs, exc)
                return
        self._apps.update(claimed)
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _fail(self, jobs: list[_Job], exc: Exception) -> None:
        if len(jobs) > 1:  # isolate the failing batch
            for job in jobs:
                self._run_group([job])
            return
        log.error("ingest failed", exc_info=exc)
        jobs[0].future.set_exception(exc)


def run_keys(principal: Principal, batch: Prepared) -> list[tuple[int, str]]:
    """The runs one batch may create or change, whose absence it may conclude:
    its runs, their parents, and the runs its ``saved`` events name."""
    project = principal.project_id
    keys = [(project, rid) for rid in batch.drafts]
    keys += [
        (project, d.state["parent_run_id"])
        for d in batch.drafts.values()
        if d.state["parent_run_id"] is not None
    ]
    keys += [
        (project, it.event.run_id)
        for it in batch.items
        if it.event.name == "saved" and it.event.run_id is not None
    ]
    return keys


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
    batch: Prepared,
    costs: CostTable,
    app_cache: dict[str, int],
    claimed: dict[str, int],
    store: Store | None = None,
    summaries: rollup.Delta | None = None,
) -> IngestResult:
    """Dedupe, store and fold one prepared batch (inside the caller's transaction,
    which holds the locks of :func:`run_keys` where the store needs them)."""
    store = store or Store(conn.engine)
    own_summaries = summaries is None
    summaries = summaries if summaries is not None else rollup.Delta()
    project = principal.project_id
    result = IngestResult(rejected=list(batch.rejected))

    # apps: an event may name its own project's apps (new ones are claimed), never another's
    foreign: set[str] = set()
    for app in {it.app for it in batch.items if it.app is not None}:
        owner = _app_owner(conn, app, app_cache, claimed)
        if owner is None:
            conn.execute(insert(models.apps).values(app_id=app, project_id=project))
            claimed[app] = project
        elif owner != project:
            foreign.add(app)
    kept: list[Item] = batch.items
    if foreign:
        kept = []
        for item in batch.items:
            if item.app in foreign:
                result.rejected.append(
                    {
                        "index": item.index,
                        "error": f"app_id {item.app!r} belongs to another project",
                    }
                )
            else:
                kept.append(item)

    # duplicates: against the store, then within the batch
    ids = [it.event.event_id for it in kept if it.event.event_id is not None]
    seen: set[str] = {row[0] for row in _STORED_EVENT_IDS.rows(conn, ids, p=project)}
    fresh: list[Item] = []
    for item in kept:
        eid = item.event.event_id
        if eid is not None:
            if eid in seen:
                result.duplicates += 1
                continue
            seen.add(eid)
        fresh.append(item)

    dropped = len(fresh) < len(batch.items)
    fresh = _fold_runs(
        conn, principal, batch.drafts, fresh, dropped, costs, result, store, summaries
    )
    if own_summaries:
        summaries.write(conn)
    if not fresh:
        return result

    raced = store.insert_events(
        conn,
        _EVENT_KEYS,
        [
            (
                project,
                it.event.event_id,
                it.event.run_id or it.event.parent_run_id,
                it.event.name,
                it.ts,
                it.body,
            )
            for it in fresh
        ],
    )
    if raced:  # stored by another receiver since the lookup above
        result.duplicates += len(raced)
        fresh = [it for it in fresh if it.event.event_id not in raced]
    _store_custom(conn, principal, fresh, store)
    result.accepted = len(fresh)
    return result


_EVENT_KEYS = ("project_id", "event_id", "run_id", "name", "ts", "body")


def _store_custom(conn: Connection, principal: Principal, fresh: list[Item], store: Store) -> None:
    project = principal.project_id
    chats: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    saved: list[str] = []
    for item in fresh:
        ev, ex, app = item.event, item.extras, item.app
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
        _agent_from_run(conn, project, chats)
        db.insert_rows(conn, models.messages, chats)
        thread_summary.apply(conn, project, chats, store)  # the threads listing
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


_RUN_AGENTS = db.InQuery(
    lambda in_: select(_r.c.run_id, _r.c.agent).where(_r.c.project_id == _PROJECT, in_),
    _r.c.run_id,
)


def _agent_from_run(conn: Connection, project: int, chats: list[dict[str, Any]]) -> None:
    """A message that names no agent takes its run's (stored, or folded in this batch)."""
    orphans = [c for c in chats if c["agent"] is None and c["run_id"] is not None]
    if not orphans:
        return
    ids = list({c["run_id"] for c in orphans})
    agents = {rid: agent for rid, agent in _RUN_AGENTS.rows(conn, ids, p=project) if agent}
    for chat in orphans:
        chat["agent"] = agents.get(chat["run_id"])


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


_Folded = dict[str, tuple[dict[str, Any], dict[str, Any] | None]]
"""Run id -> (its new state, its stored row or None when it is new)."""


@dataclass
class _Stored:
    """What the store already holds about the runs one batch folds."""

    rows: dict[str, dict[str, Any]]
    """The stored runs, by run id."""
    child_sums: dict[str, float]
    """For each new run: the subtree costs of its children stored before it."""
    saved: set[str]
    """New runs that a stored or a fresh ``saved`` event names."""


def _fold_runs(
    conn: Connection,
    principal: Principal,
    drafts: dict[str, Draft],
    fresh: list[Item],
    dropped: bool,
    costs: CostTable,
    result: IngestResult,
    store: Store,
    summaries: rollup.Delta,
) -> list[Item]:
    """Fold the run events of ``fresh`` into ``runs``; returns the events to store
    (run events whose type contradicts the run's are rejected).

    A new run whose batch events are all fresh takes its draft as is; a stored
    run, or one that lost events to dedupe or app checks, is folded again here.
    """
    live, keep = _live_drafts(drafts, fresh, dropped)
    if not live:
        return fresh
    project = principal.project_id
    stored = _load_stored(conn, project, list(live), fresh)
    states, contrib, bad = _fold_states(principal, live, keep, stored, costs, result)
    to_stored = _carry_costs(states, contrib)
    _write_runs(conn, project, states, result)
    rollup.collect(summaries, project, states.values())
    for level, amounts in to_stored.items():
        _propagate(conn, project, amounts, level, store)
    if bad:
        return [it for it in fresh if it.index not in bad]
    return fresh


def _live_drafts(
    drafts: dict[str, Draft], fresh: list[Item], dropped: bool
) -> tuple[dict[str, Draft], set[int] | None]:
    """The drafts with at least one fresh event, and the indexes of the fresh events
    (None when none was dropped: every draft is whole)."""
    if not dropped:
        return drafts, None
    keep = {it.index for it in fresh}
    return {rid: d for rid, d in drafts.items() if any(it.index in keep for it in d.items)}, keep


def _load_stored(conn: Connection, project: int, run_ids: list[str], fresh: list[Item]) -> _Stored:
    """The stored rows of ``run_ids``; for the new ones, the children and ``saved``
    events that arrived before them."""
    rows = {row.run_id: dict(row._mapping) for row in _STORED_RUNS.rows(conn, run_ids, p=project)}
    new_ids = [rid for rid in run_ids if rid not in rows]
    child_sums: dict[str, float] = {
        parent: total or 0.0 for parent, total in _CHILD_COSTS.rows(conn, new_ids, p=project)
    }
    saved = {row[0] for row in _SAVED_EVENTS.rows(conn, new_ids, p=project)}
    saved.update(
        it.event.run_id for it in fresh if it.event.name == "saved" and it.event.run_id is not None
    )
    return _Stored(rows, child_sums, saved)


def _fold_states(
    principal: Principal,
    live: dict[str, Draft],
    keep: set[int] | None,
    stored: _Stored,
    costs: CostTable,
    result: IngestResult,
) -> tuple[_Folded, list[tuple[str, float]], set[int]]:
    """Each live run's new state, priced; the cost changes its parents take
    (run, amount); the indexes of the events rejected as conflicting."""
    states: _Folded = {}
    contrib: list[tuple[str, float]] = []
    bad: set[int] = set()
    for rid, draft in live.items():
        before = stored.rows.get(rid)
        folded = _refold(principal, rid, draft, before, keep)
        bad.update(_reject_conflicts(rid, folded, result))
        if len(folded.conflicts) == len(folded.items):  # nothing of the run's type left
            continue
        state = folded.state
        _price(state, costs)
        up = _set_subtree_cost(rid, state, before, stored)
        states[rid] = (state, before)
        if state["parent_run_id"] is not None and up:
            contrib.append((rid, up))
    return states, contrib, bad


def _refold(
    principal: Principal,
    rid: str,
    draft: Draft,
    before: dict[str, Any] | None,
    keep: set[int] | None,
) -> Draft:
    """The run folded from its kept events: the batch's draft when the run is new and
    kept every event (the common case), else folded again onto the stored row."""
    if before is None and (keep is None or all(it.index in keep for it in draft.items)):
        # a copy: a retried group must find the draft untouched
        return Draft(draft.type, draft.items, dict(draft.state), draft.conflicts)
    items = draft.items if keep is None else [it for it in draft.items if it.index in keep]
    run_type = before["type"] if before else items[0].event.type
    assert run_type is not None
    return fold_draft(principal, rid, run_type, items, before)


def _reject_conflicts(rid: str, folded: Draft, result: IngestResult) -> list[int]:
    """Reject the events whose type contradicts the run's; returns their indexes."""
    for item in folded.conflicts:
        result.rejected.append(
            {
                "index": item.index,
                "error": f"run {rid!r} is {_a(folded.type)} run; "
                f"{_a(str(item.event.type))} event cannot change that",
            }
        )
    return [item.index for item in folded.conflicts]


def _price(state: dict[str, Any], costs: CostTable) -> None:
    """Set the run's ``cost`` and ``cost_status`` from its model's price."""
    state["cost"], state["cost_status"] = compute_cost(
        costs.resolve(state["model"]),
        state["type"],
        state["model"],
        state["prompt_tokens"],
        state["completion_tokens"],
        state["total_tokens"],
        state["cached_tokens"],
    )


def _set_subtree_cost(
    rid: str, state: dict[str, Any], before: dict[str, Any] | None, stored: _Stored
) -> float:
    """Set the run's ``subtree_cost`` (and a new run's ``saved``); returns the change
    its ancestors' subtree costs take."""
    if before is None:
        state["subtree_cost"] = state["cost"] + (stored.child_sums.get(rid) or 0.0)
        state["saved"] = rid in stored.saved
        return float(state["subtree_cost"])
    delta = state["cost"] - (before["cost"] or 0.0)
    state["subtree_cost"] = (before["subtree_cost"] or 0.0) + delta
    # a parent stored before this run never took its cost: it takes the whole subtree
    return float(state["subtree_cost"] if before["parent_run_id"] is None else delta)


def _carry_costs(states: _Folded, contrib: list[tuple[str, float]]) -> dict[int, dict[str, float]]:
    """Add cost changes to the ancestors folded in this batch, in memory (the common
    case: a trace's runs arrive together). Returns what goes on to stored ancestors,
    by the levels already climbed: {depth: {first stored ancestor: amount}}."""
    to_stored: dict[int, dict[str, float]] = {}
    parent_of = {rid: state["parent_run_id"] for rid, (state, _) in states.items()}
    for rid, amount in contrib:
        for depth, up in enumerate(ancestors(rid, parent_of)):
            if up not in states:  # the first stored ancestor: _propagate goes on from it
                to_stored.setdefault(depth, defaultdict(float))[up] += amount
                break
            states[up][0]["subtree_cost"] += amount
    return to_stored


def _write_runs(conn: Connection, project: int, states: _Folded, result: IngestResult) -> None:
    """INSERT the new runs, UPDATE the stored ones, add the tags each one gained."""
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    new_tags: list[dict[str, Any]] = []
    for rid, (state, before) in states.items():
        if before is None:
            inserts.append(folding.row_values(state))
            tags_added = state["tags"]
        else:
            params = {"v_" + k: v for k, v in folding.to_row(state).items()}
            params["_p"], params["_r"] = project, rid
            updates.append(params)
            old_tags = set(json.loads(before["tags"])) if before["tags"] else set()
            tags_added = [t for t in state["tags"] if t not in old_tags]
        new_tags.extend({"project_id": project, "run_id": rid, "tag": t} for t in tags_added)
    if inserts:
        db.insert_tuples(conn, models.runs, folding.RUN_COLUMNS, inserts)
        result.runs_created += len(inserts)
    if updates:
        conn.execute(_UPDATE_RUN, updates)
    if new_tags:
        db.insert_rows(conn, models.run_tags, new_tags)


def _a(word: str) -> str:
    """``"an agent"``, ``"an llm"`` (said el-el-em), ``"a tool"``."""
    return f"{'an' if word[:1] in 'aeiou' or word == 'llm' else 'a'} {word}"


def _propagate(
    conn: Connection, project: int, contrib: dict[str, float], depth: int, store: Store
) -> None:
    """Add cost changes to every stored ancestor's ``subtree_cost``, level by level
    (``depth`` levels were already walked in memory). With concurrent writers, an
    ancestor found missing is locked and looked up again: a receiver creating it
    right now either committed (found) or waits for this one (and then sums its
    children with this cost). The walk is :func:`~.costs.ancestors`' (same depth
    cap; a parent cycle ends it), one query per level."""
    # each walk: (run to add to, amount, the runs it already added to: a cycle ends it)
    walks = [(rid, amount, frozenset[str]()) for rid, amount in contrib.items()]
    while walks and depth < MAX_DEPTH:
        ids = list(dict.fromkeys(rid for rid, _, _ in walks))
        parents: dict[str, str | None] = dict(_PARENTS.rows(conn, ids, p=project))
        missing = [rid for rid in ids if rid not in parents]
        if missing and store.concurrent_writers:
            store.lock_runs(conn, [(project, rid) for rid in missing])
            parents.update(_PARENTS.rows(conn, missing, p=project))
        adds: dict[str, float] = defaultdict(float)
        nxt: list[tuple[str, float, frozenset[str]]] = []
        for rid, amount, path in walks:
            if rid not in parents:
                continue
            adds[rid] += amount
            up = parents[rid]
            if up is not None and up != rid and up not in path:
                nxt.append((up, amount, path | {rid}))
        if adds:  # rows in key order: receivers sharing a PostgreSQL store lock them in one order
            conn.execute(
                _ADD_SUBTREE,
                [{"_p": project, "_r": rid, "_amount": adds[rid]} for rid in sorted(adds)],
            )
        walks = nxt
        depth += 1
