"""A whole trace from any of its runs: up to the root, then every descendant.

The waterfall needs each run's place and summary, not its payloads, so only the
light columns are read; ``GET /api/run/{id}`` gives one run's input and output."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from . import db, models
from .queries import iso

MAX_TRACE_RUNS = 5000
MAX_DEPTH = 100  # also cuts parent cycles

_r = models.runs
_LIGHT = (
    _r.c.run_id,
    _r.c.parent_run_id,
    _r.c.type,
    _r.c.name,
    _r.c.agent,
    _r.c.status,
    _r.c.start_time,
    _r.c.end_time,
    _r.c.sort_time,
    _r.c.latency_s,
    _r.c.model,
    _r.c.total_tokens,
    _r.c.cost,
    _r.c.cost_status,
    _r.c.subtree_cost,
    _r.c.tags,
)
_PARENT = select(_r.c.parent_run_id).where(
    _r.c.project_id == bindparam("p"), _r.c.run_id == bindparam("r")
)
_CHILDREN = db.InQuery(
    lambda in_: select(*_LIGHT).where(_r.c.project_id == bindparam("p"), in_), _r.c.parent_run_id
)


def _light(row: Any) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "parent_run_id": row.parent_run_id,
        "type": row.type,
        "name": row.name,
        "agent": row.agent,
        "status": row.status,
        "start_time": iso(row.start_time),
        "end_time": iso(row.end_time),
        "sort_time": iso(row.sort_time),
        "latency_s": row.latency_s,
        "model": row.model,
        "total_tokens": row.total_tokens,
        "cost": row.cost,
        "cost_status": row.cost_status,
        "subtree_cost": row.subtree_cost,
        "tags": json.loads(row.tags) if row.tags else [],
    }


def find_root(conn: Connection, project: int, run_id: str) -> str | None:
    """The root of ``run_id``'s trace (the highest stored ancestor); None if unknown."""
    if conn.execute(_PARENT, {"p": project, "r": run_id}).first() is None:
        return None
    current, seen = run_id, {run_id}
    for _ in range(MAX_DEPTH):
        parent = conn.execute(_PARENT, {"p": project, "r": current}).scalar()
        if parent is None or parent in seen:
            break
        if conn.execute(_PARENT, {"p": project, "r": parent}).first() is None:
            break  # the parent was never stored: this run is the top we know
        seen.add(parent)
        current = parent
    return current


def trace(conn: Connection, project: int, run_id: str) -> dict[str, Any] | None:
    """``{"run_id", "root_run_id", "runs": [...], "truncated"}``; None if unknown.

    Runs come root first, then level by level; the client orders siblings."""
    root = find_root(conn, project, run_id)
    if root is None:
        return None
    top = conn.execute(select(*_LIGHT).where(_r.c.project_id == project, _r.c.run_id == root)).one()
    runs = [_light(top)]
    seen = {root}
    frontier = [root]
    truncated = False
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        nxt: list[str] = []
        for row in _CHILDREN.rows(conn, frontier, p=project):
            if row.run_id in seen:
                continue
            if len(runs) >= MAX_TRACE_RUNS:
                truncated = True
                break
            seen.add(row.run_id)
            runs.append(_light(row))
            nxt.append(row.run_id)
        frontier = nxt
    return {"run_id": run_id, "root_run_id": root, "runs": runs, "truncated": truncated}
