"""What scenarios share: interleaved rounds, medians, rows for the table."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable

from benchmarks.subjects import SUBJECTS


def rotated(names: list[str], round_no: int) -> list[str]:
    """``names`` rotated by the round number, so no subject always runs first."""
    k = round_no % max(1, len(names))
    return names[k:] + names[:k]


def interleave(
    subjects: list[str], variants: Iterable[str], rounds: int, run: Callable[[str, str], dict]
) -> dict[tuple[str, str], list[dict]]:
    """Run ``run(subject, variant)`` round by round; results keyed by (subject, variant)."""
    out: dict[tuple[str, str], list[dict]] = {}
    variants = list(variants)
    for r in range(rounds):
        for variant in variants:
            for subject in rotated(subjects, r):
                out.setdefault((subject, variant), []).append(run(subject, variant))
    return out


def median_row(subject: str, variant: str, results: list[dict]) -> dict:
    """One table row: numeric fields as medians over rounds, skips and errors as a note."""
    row: dict = {"subject": subject, "variant": variant, "rounds": len(results)}
    good = [r for r in results if "skipped" not in r and "error" not in r]
    if not good:
        first = results[0] if results else {}
        note = first.get("skipped") or first.get("error") or "no result"
        row["note"] = ("skipped: " if "skipped" in first else "error: ") + note
        return row
    keys = {k for r in good for k, v in r.items() if _is_number(v)}
    for key in sorted(keys):
        values = [r[key] for r in good if _is_number(r.get(key))]
        row[key] = statistics.median(values) if values else None
    for key in ("item", "sdk_stats"):
        if key in good[-1]:
            row[key] = good[-1][key]
    if len(good) < len(results):
        bad = next(r for r in results if r not in good)
        row["note"] = f"{len(results) - len(good)} round(s) failed: " + str(
            bad.get("error") or bad.get("skipped")
        )
    row["raw"] = results
    return row


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def ordered(rows: list[dict], variants: list[str]) -> list[dict]:
    """Rows sorted by variant, then by the subjects' table order."""
    order = list(SUBJECTS)
    return sorted(
        rows,
        key=lambda r: (
            variants.index(r["variant"]) if r["variant"] in variants else 99,
            order.index(r["subject"]) if r["subject"] in order else 99,
        ),
    )


def dropped_note(row: dict) -> str:
    """Observatory's own drop/failed counters, when it reported any."""
    st = row.get("sdk_stats") or {}
    dropped = st.get("dropped") or {}
    parts = [f"dropped {k}={v}" for k, v in dropped.items() if v]
    if st.get("failed_requests"):
        parts.append(f"failed requests={st['failed_requests']}")
    return ", ".join(parts)
