"""Runs, traces and chats to seed a receiver with through ``POST /api/report``."""

from __future__ import annotations

from typing import Any

from ..conftest import ts


def run_events(
    run_id: str,
    run_type: str,
    start: float,
    end: float,
    *,
    parent: str | None = None,
    minute: int = 0,
    day: int = 29,
    hour: int = 8,
    start_fields: dict[str, Any] | None = None,
    **end_fields: Any,
) -> list[dict[str, Any]]:
    """The start and end events of one run."""
    return [
        {
            "name": f"{run_type}_start",
            "type": run_type,
            "run_id": run_id,
            "parent_run_id": parent,
            "timestamp": ts(start, minute, day, hour),
            **(start_fields or {}),
        },
        {
            "name": f"{run_type}_end",
            "type": run_type,
            "run_id": run_id,
            "timestamp": ts(end, minute, day, hour),
            **end_fields,
        },
    ]
