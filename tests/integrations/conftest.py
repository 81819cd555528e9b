"""Shared fixtures: an SDK reporting into memory, and a run tree built from its events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import observatory
from observatory._transport import InMemoryTransport


@dataclass
class RunView:
    """One run as seen from its events."""

    run_id: str
    type: str
    name: str | None = None
    parent: str | None = None
    starts: int = 0
    ends: int = 0
    start: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return self.end.get("status")


class Captured:
    """The events the SDK sent, and helpers to read them as a tree."""

    def __init__(self, transport: InMemoryTransport) -> None:
        self.transport = transport

    @property
    def events(self) -> list[dict[str, Any]]:
        assert observatory.flush(10), "the SDK did not deliver its events"
        return list(self.transport.events)

    def runs(self) -> dict[str, RunView]:
        runs: dict[str, RunView] = {}
        for event in self.events:
            name = event["name"]
            if not name.endswith(("_start", "_end")) or "run_id" not in event:
                continue
            view = runs.setdefault(event["run_id"], RunView(event["run_id"], event["type"]))
            view.name = event["metadata"].get("run_name")
            view.parent = event.get("parent_run_id")
            if name.endswith("_start"):
                view.starts += 1
                view.start = event
            else:
                view.ends += 1
                view.end = event
        return runs

    def custom(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["name"] == name]

    def tree(self, tools_by_name: bool = False) -> list[tuple[int, str, str, str | None]]:
        """``(depth, type, name, status)`` in depth-first start order; with
        ``tools_by_name``, adjacent sibling tool runs (which a framework may start
        concurrently, in any order) are ordered by name instead."""
        runs = self.runs()
        children: dict[str | None, list[RunView]] = {}
        for view in runs.values():
            parent = view.parent if view.parent in runs else None
            children.setdefault(parent, []).append(view)
        out: list[tuple[int, str, str, str | None]] = []

        def ordered(views: list[RunView]) -> list[RunView]:
            if not tools_by_name:
                return views
            out: list[RunView] = []
            tools: list[RunView] = []
            for view in views:
                if view.type == "tool":
                    tools.append(view)
                    continue
                out += sorted(tools, key=lambda v: v.name or "")
                tools = []
                out.append(view)
            return out + sorted(tools, key=lambda v: v.name or "")

        def walk(parent: str | None, depth: int) -> None:
            for view in ordered(children.get(parent, [])):  # in the order the runs started
                out.append((depth, view.type, view.name or "", view.status))
                walk(view.run_id, depth + 1)

        walk(None, 0)
        return out

    def assert_paired(self) -> None:
        """Exactly one start and one end per run."""
        for view in self.runs().values():
            assert (view.starts, view.ends) == (1, 1), f"{view.type} {view.name}: {view.starts} starts, {view.ends} ends"


@pytest.fixture
def captured() -> Iterator[Captured]:
    transport = InMemoryTransport()
    observatory.init(transport=transport, app_id="test", flush_interval=0.05)
    yield Captured(transport)
    observatory.shutdown(5)
