"""(2) Delivery: N items enqueued, then flushed; throughput and share delivered."""

from __future__ import annotations

from benchmarks.proc import run_worker
from benchmarks.receivers import null_receiver
from benchmarks.scenarios._common import dropped_note, interleave, median_row, ordered

NAME = "delivery"
TITLE = "(2) Delivery: N items enqueued then flushed to a loopback receiver"
DEFAULTS, SIZED = "defaults", "queue sized to N"
"""Variants: each SDK as installed, and with its queue bound raised to hold the
whole burst (Observatory's default is 10,000 events: a tight loop of 100,000
outruns any Python consumer, so the rest is dropped and counted)."""
COLUMNS = [
    ("subject", "subject", "str"),
    ("variant", "queue", "str"),
    ("item", "item", "str"),
    ("enqueued", "N", "int"),
    ("items_per_s", "delivered/s e2e", "int"),
    ("enqueue_per_s", "enqueue/s", "int"),
    ("requests", "requests", "int"),
    ("bytes_per_item", "bytes/item", "int"),
    ("delivered", "delivered", "pct"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    subjects = [s for s in subjects if s != "floor"]
    with null_receiver() as url:

        def one(subject: str, variant: str) -> dict:
            return run_worker(
                "delivery",
                {
                    "subject": subject,
                    "url": url,
                    "n": sizes.delivery_n,
                    "max_s": sizes.delivery_max_s,
                    "sized": variant == SIZED,
                },
                timeout=sizes.delivery_max_s * 3 + 60,
            )

        results = interleave(subjects, [DEFAULTS, SIZED], max(1, sizes.rounds - 1), one)
    rows = []
    for (subject, variant), rs in results.items():
        row = median_row(subject, variant, rs)
        extra = dropped_note(row)
        if extra:
            row["note"] = (row.get("note", "") + " " + extra).strip()
        rows.append(row)
    return ordered(rows, [DEFAULTS, SIZED])
