"""Helpers every worker shares: arguments in, JSON out, process gauges."""

from __future__ import annotations

import json
import sys
import time


def args() -> dict:
    """The JSON object passed as the first command-line argument."""
    return json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def emit(result: dict) -> None:
    """Print the result as the last line of standard output."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def proc_status(field: str) -> int:
    """An integer field of /proc/self/status (VmRSS in kB, Threads)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_mib() -> float:
    return proc_status("VmRSS") / 1024


def threads() -> int:
    return proc_status("Threads")


def spin(micros: float) -> None:
    """Busy-wait (holding the GIL, like user code) for ``micros`` µs."""
    if micros <= 0:
        return
    end = time.perf_counter_ns() + int(micros * 1000)
    while time.perf_counter_ns() < end:
        pass


def percentile(values: list, q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def items_per_op(subject, url: str, op, is_async: bool) -> int:
    """Items the receiver gets for one ``op`` (calibration, then counters zeroed)."""
    import asyncio

    from benchmarks import receivers

    receivers.reset(url)
    asyncio.run(op()) if is_async else op()
    subject.flush()
    got = receivers.wait_for_items(url, 10**9, settle=0.5, limit=10)["items"]
    receivers.reset(url)
    return got
