"""The releases a project has seen: ``GET /api/releases``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from . import models
from .queries import iso

r = models.runs


def list_releases(conn: Connection, project: int, agent: str | None = None) -> list[dict[str, Any]]:
    """Each (release, agent) pair with its first and last run start and run counts,
    most recently seen first. ``root_runs`` counts runs without a parent (the unit
    ``GET /api/compare`` compares by default)."""
    where = [r.c.project_id == project, r.c.release.is_not(None)]
    if agent is not None:
        where.append(r.c.agent == agent)
    rows = list(
        conn.execute(
            select(
                r.c.release,
                r.c.agent,
                func.min(r.c.sort_time),
                func.max(r.c.sort_time),
                func.count(),
                func.sum(case((r.c.parent_run_id.is_(None), 1), else_=0)),
            )
            .where(*where)
            .group_by(r.c.release, r.c.agent)
        )
    )
    rows.sort(key=lambda row: (row[3], row[0], row[1] or ""), reverse=True)
    return [
        {
            "release": release,
            "agent": agent_name,
            "first_seen": iso(first),
            "last_seen": iso(last),
            "runs": int(count),
            "root_runs": int(roots or 0),
        }
        for release, agent_name, first, last, count, roots in rows
    ]
