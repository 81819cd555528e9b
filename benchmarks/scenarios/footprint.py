"""(4) Footprint: import time, RSS over a bare interpreter, threads."""

from __future__ import annotations

from benchmarks.proc import run_worker
from benchmarks.receivers import null_receiver
from benchmarks.scenarios._common import interleave, median_row, ordered

NAME = "footprint"
TITLE = "(4) Footprint in a fresh interpreter (medians of fresh processes)"
COLUMNS = [
    ("subject", "subject", "str"),
    ("import_ms", "import ms", "ms"),
    ("import_mib", "import MiB", "mib"),
    ("init_mib", "after init MiB", "mib"),
    ("threads_before", "threads before", "int"),
    ("threads_after_init", "after init", "int"),
    ("threads_after_use", "after 1st call", "int"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    with null_receiver() as url:
        results = interleave(
            subjects,
            ["fresh"],
            sizes.footprint_repeats,
            lambda s, v: run_worker("footprint", {"subject": s, "url": url}, timeout=120),
        )
    return ordered([median_row(s, v, rs) for (s, v), rs in results.items()], ["fresh"])
