"""(6) Framework mappers: overhead per framework step, with vs without the mapper.

The measurement itself is ``benchmarks/mappers.py``; this runs it in a fresh
process and turns its rows into the table. Frameworks that do not import show
a skipped row.
"""

from __future__ import annotations

from benchmarks.proc import run_worker

NAME = "mappers"
TITLE = "(6) Framework mappers: overhead per framework step over the same run unmapped"
COLUMNS = [
    ("variant", "framework", "str"),
    ("steps_per_unit", "steps/unit", "int"),
    ("plain_unit_us", "unit µs plain", "us"),
    ("overhead_step_us", "overhead µs/step", "us"),
    ("mapper_step_us", "mapper µs/step", "us"),
    ("overhead_pct", "overhead %", "ms"),
    ("events_per_unit", "events/unit", "ms"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    result = run_worker("mapper", {"quick": sizes.name == "quick"}, timeout=900)
    if "rows" not in result:
        why = result.get("skipped") or result.get("error") or "no result"
        prefix = "skipped: " if "skipped" in result else "error: "
        return [{"variant": "all", "note": prefix + why}]
    return [{"variant": r.get("framework", "?"), **r} for r in result["rows"]]
