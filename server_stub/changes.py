"""Changes: what changed and when (deploys, model bumps, prompt, policy and config edits).

Lumni's point: regressions have causes, and the cause is almost always that
something changed. Changes are markers on time series and the pivot of
``observatory compare --around REF``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from . import models
from .queries import iso

KINDS = ("code", "runtime", "prompt", "policy", "config")
"""Lumni's three kinds (code, runtime, policy) and two more."""

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000

c = models.changes


def change_out(row: Any) -> dict[str, Any]:
    """A stored change as the API shows it."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "ref": row["ref"],
        "summary": row["summary"],
        "at": iso(row["at"]),
        "created_at": iso(row["created_at"]),
    }


def add_change(
    conn: Connection, project: int, kind: str, ref: str, summary: str, at: int, now: int
) -> dict[str, Any]:
    """Store one change; returns it as the API shows it."""
    values = {"project_id": project, "kind": kind, "ref": ref, "summary": summary, "at": at}
    key = conn.execute(insert(c).values(**values, created_at=now)).inserted_primary_key
    new_id = key[0] if key is not None else None
    return change_out({**values, "id": new_id, "created_at": now})


def list_changes(
    conn: Connection,
    project: int,
    start: int | None = None,
    end: int | None = None,
    kind: str | None = None,
    ref: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Changes in ``[start, end]`` (inclusive), oldest first."""
    where = [c.c.project_id == project]
    if start is not None:
        where.append(c.c.at >= start)
    if end is not None:
        where.append(c.c.at <= end)
    if kind is not None:
        where.append(c.c.kind == kind)
    if ref is not None:
        where.append(c.c.ref == ref)
    query = select(c).where(*where).order_by(c.c.at, c.c.id).limit(limit)
    return [change_out(row) for row in conn.execute(query).mappings()]


def find_change(conn: Connection, project: int, ref: str) -> tuple[int, dict[str, Any]]:
    """The latest change recorded with this ``ref``: ``(at in µs, change)``; LookupError if none."""
    row = (
        conn.execute(
            select(c)
            .where(c.c.project_id == project, c.c.ref == ref)
            .order_by(c.c.at.desc(), c.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(f"no change with ref {ref!r}; record one with POST /api/changes")
    return int(row["at"]), change_out(row)
