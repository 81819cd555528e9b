"""(3) Receiver down: per-call cost, RSS growth, time to exit (refused / hung)."""

from __future__ import annotations

from benchmarks.proc import run_worker_timed_exit
from benchmarks.receivers import closed_port_url, null_receiver
from benchmarks.scenarios._common import dropped_note, median_row, ordered, rotated

NAME = "down"
TITLE = "(3) Receiver down: N decorated calls, then normal interpreter exit"
MODES = ["refused", "hung"]
COLUMNS = [
    ("variant", "receiver", "str"),
    ("subject", "subject", "str"),
    ("calls", "calls", "int"),
    ("overhead_med_us", "med µs", "us"),
    ("overhead_p99_us", "p99 µs", "us"),
    ("rss_growth_mib", "RSS growth MiB", "mib"),
    ("exit_s", "exit s", "exit"),
    ("bound_s", "bound s", "s"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    subjects = [s for s in subjects if s != "floor"]
    rows = []
    with null_receiver("hang") as hung_url:
        urls = {"refused": closed_port_url(), "hung": hung_url}
        for mode in MODES:
            for subject in rotated(subjects, MODES.index(mode)):
                result = run_worker_timed_exit(
                    "down",
                    {
                        "subject": subject,
                        "url": urls[mode],
                        "n": sizes.down_calls,
                        "max_s": sizes.down_max_s,
                    },
                    run_limit=sizes.down_max_s * 3 + 60,
                    exit_limit=sizes.exit_limit_s,
                )
                row = median_row(subject, mode, [result])
                if "exit_s" in result and result["exit_s"] is None:
                    row["exit_s"] = f">{sizes.exit_limit_s:g}"
                extra = dropped_note(row)
                if extra:
                    row["note"] = (row.get("note", "") + " " + extra).strip()
                if subject == "observatory" and "shutdown_timeout" in result:
                    row["bound_s"] = result["shutdown_timeout"] + 0.2
                rows.append(row)
    return ordered(rows, MODES)
