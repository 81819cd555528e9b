"""The shared pairing map, and the promise that ``observatory.integrations`` imports no framework."""

from __future__ import annotations

import subprocess
import sys

import observatory
from observatory.integrations._runs import RunMap


def test_importing_integrations_imports_no_framework():
    code = (
        "import sys, observatory, observatory.integrations, observatory.integrations._runs\n"
        "loaded = [m for m in ('langchain_core', 'langgraph', 'temporalio', 'agents', 'openai') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_runs_pair_by_framework_id_and_children_find_their_parent(captured):
    runs = RunMap()
    runs.start("a", "agent", "outer", run_id="run-a")
    runs.start("b", "tool", "inner", parent=runs.parent_of("a"), run_id="run-b")
    runs.alias("hidden", "b")
    runs.start("c", "llm", "deep", parent=runs.parent_of("hidden"), run_id="run-c")
    for key in ("c", "hidden", "b", "a"):
        runs.end(key)
    assert runs.end("a") is None  # a second end is ignored
    captured.assert_paired()
    assert [(d, n) for d, _, n, _ in captured.tree()] == [(0, "outer"), (1, "inner"), (2, "deep")]
    assert len(runs) == 0


def test_out_of_order_ends_leave_nothing_current(captured):
    runs = RunMap()
    for key in range(5):  # siblings started back to back, as a batch does
        runs.start(key, "agent", f"step{key}", parent=runs.parent_of(None), activate_run=True)
    assert all(view.parent is None for view in captured.runs().values())
    for key in range(5):
        runs.end(key)
    assert not observatory.current_run()


def test_the_map_forgets_the_oldest_runs_past_its_bound(captured):
    runs = RunMap(max_open=3)
    for key in range(5):
        runs.start(key, "tool", f"t{key}")
    assert len(runs) == 3
    assert runs.forgotten == 2
    assert runs.get(0) is None and runs.get(4) is not None
