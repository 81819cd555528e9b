"""The read client's memory stays flat over 100,000 runs (the receiver in its own process,
so only the client's allocations are measured)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import observatory
from benchmarks.workers.seed_runs import seed

from .conftest import Subprocess

RUNS = 100_000
MAX_GROWTH = 50 * 1024 * 1024  # the bound: ≤ 50 MiB while iterating or exporting


@pytest.fixture(scope="module")
def big_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'obs.db'}"
    seed(db_url, RUNS)  # rows written with the receiver's own tables, no HTTP
    proc = Subprocess(db_url)
    try:
        yield proc.url
    finally:
        proc.kill()


def _peak_growth(work: Callable[[], int]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        count = work()
        return count, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_iterating_every_run_keeps_memory_flat(big_receiver: str) -> None:
    with observatory.Client(big_receiver) as client:
        count, growth = _peak_growth(lambda: sum(1 for _ in client.runs(page_size=1000)))
    assert count == RUNS
    assert growth < MAX_GROWTH, f"{growth / 2**20:.1f} MiB"


def test_exporting_every_run_keeps_memory_flat(big_receiver: str, tmp_path: Path) -> None:
    with observatory.Client(big_receiver) as client:
        count, growth = _peak_growth(lambda: sum(1 for _ in client.export()))
        assert count == RUNS and growth < MAX_GROWTH, f"{growth / 2**20:.1f} MiB"
        count, growth = _peak_growth(lambda: client.export_to(tmp_path / "all.ndjson"))
    assert count == RUNS and growth < MAX_GROWTH, f"{growth / 2**20:.1f} MiB"
    assert sum(1 for _ in (tmp_path / "all.ndjson").open()) == RUNS
