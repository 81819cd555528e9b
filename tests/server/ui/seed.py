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


def release_runs(
    release: str,
    count: int,
    latency_s: float,
    prompt_tokens: int,
    *,
    agent: str,
    errors: int = 0,
    day: int = 20,
    hour: int = 8,
    model: str = "gpt-4o-mini",
) -> list[dict[str, Any]]:
    """``count`` finished root runs of ``release`` (one a minute from ``hour``), each
    with a priced llm child; run i takes ``latency_s + i/1000`` s and the first
    ``errors`` runs fail: a sample ``GET /api/compare`` can judge."""
    events: list[dict[str, Any]] = []
    meta = {"agent": agent}
    for i in range(count):
        root = f"{release}-root-{i}"
        minute, at_hour = i % 60, hour + i // 60
        events += run_events(
            root, "agent", 0, latency_s + i / 1000, minute=minute, day=day, hour=at_hour,
            start_fields={"release": release, "metadata": meta},
            release=release, status="error" if i < errors else "success",
        )
        events += run_events(
            f"{release}-llm-{i}", "llm", 0, latency_s / 2, parent=root, minute=minute, day=day,
            hour=at_hour, start_fields={"release": release, "model": model, "metadata": meta},
            release=release, prompt_tokens=prompt_tokens, completion_tokens=10,
        )
    return events
