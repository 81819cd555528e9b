"""(1) Hot path: overhead per call on the caller's thread, consumer busy."""

from __future__ import annotations

from benchmarks.proc import run_worker
from benchmarks.receivers import null_receiver
from benchmarks.scenarios._common import dropped_note, interleave, median_row, ordered

NAME = "hotpath"
TITLE = "(1) Hot path: overhead per call over the bare call (paced single calls, consumer busy)"
VARIANTS = ["single_sync", "nested_sync", "single_async", "nested_async", "event"]
COLUMNS = [
    ("variant", "variant", "str"),
    ("subject", "subject", "str"),
    ("overhead_med_us", "med µs", "us"),
    ("overhead_p99_us", "p99 µs", "us"),
    ("tight_overhead_us", "loop mean µs", "us"),
    ("per_span_us", "med µs/span", "us"),
    ("x_floor", "× floor", "x"),
    ("x_bare", "× bare", "x"),
    ("delivered", "delivered (paced)", "pct"),
    ("delivered_tight", "delivered (loop)", "pct"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    with null_receiver() as url:

        def one(subject: str, variant: str) -> dict:
            result = run_worker(
                "hotpath",
                {
                    "subject": subject,
                    "variant": variant,
                    "url": url,
                    "n": sizes.hot_calls,
                    "warmup": sizes.hot_warmup,
                    "gap_us": sizes.hot_gap_us,
                    "max_s": sizes.hot_max_s,
                },
                timeout=sizes.hot_max_s * 3 + 60,
            )
            return _ratios(result, variant)

        results = interleave(subjects, VARIANTS, sizes.rounds, one)
    rows = []
    for (subject, variant), rs in results.items():
        row = median_row(subject, variant, rs)
        extra = dropped_note(row)
        if extra:
            row["note"] = (row.get("note", "") + " " + extra).strip()
        rows.append(row)
    return ordered(rows, VARIANTS)


def _ratios(r: dict, variant: str) -> dict:
    """Same-process ratios: against the floor wrapper and against the bare call."""
    if "overhead_med_us" not in r:
        return r
    spans = 4 if variant.startswith("nested") else 1
    r["per_span_us"] = r["overhead_med_us"] / spans
    if r.get("floor_med_us", 0) > 0:
        r["x_floor"] = r["overhead_med_us"] / r["floor_med_us"]
    if r.get("bare_med_us", 0) > 0:
        r["x_bare"] = (r["overhead_med_us"] + r["bare_med_us"]) / r["bare_med_us"]
    return r
