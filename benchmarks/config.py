"""Sizes for each mode: quick (CI smoke), medium, full (README figures)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    name: str
    rounds: int
    """Interleaved rounds of fresh processes per measurement (median taken)."""
    hot_calls: int
    hot_warmup: int
    hot_gap_us: float
    """Busy-wait between timed calls: paced single calls, consumer kept busy."""
    hot_max_s: float
    """Time bound of one worker's measuring loop."""
    delivery_n: int
    delivery_max_s: float
    down_calls: int
    down_max_s: float
    exit_limit_s: float
    """A process still alive this long after its last call is killed (shown as '>')."""
    footprint_repeats: int
    ingest_events: int
    ingest_clients: int
    query_runs: int
    query_repeats: int
    mapper_steps: int


QUICK = Sizes("quick", 1, 300, 50, 5, 5, 2_000, 20, 1_000, 10, 3, 2, 5_000, 2, 2_000, 5, 50)
MEDIUM = Sizes(
    "medium", 2, 5_000, 500, 10, 8, 100_000, 60, 20_000, 20, 15, 3, 100_000, 8, 100_000, 15, 300
)
FULL = Sizes(
    "full",
    3,
    20_000,
    1_000,
    10,
    10,
    100_000,
    120,
    100_000,
    60,
    65,
    7,
    200_000,
    8,
    1_000_000,
    31,
    1_000,
)
MODES = {s.name: s for s in (QUICK, MEDIUM, FULL)}
