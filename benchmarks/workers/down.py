"""Receiver down: per-call cost, RSS growth, then the time the process takes to exit.

The receiver refuses connections or accepts and never answers. After N
decorated calls the worker prints its result with a monotonic timestamp and
returns normally, so the subject's exit hooks run; the parent times the exit.
"""

from __future__ import annotations

import gc
import time

from benchmarks.subjects import Skip, make
from benchmarks.workers._common import args, emit, percentile, rss_mib


def measure(a: dict) -> dict:
    subject = make(a["subject"])
    subject.start(a["url"])

    def bare(x):
        return x

    call = subject.wrap(bare, "bench_agent")
    for _ in range(200):
        call(1)
        bare(1)
    gc.collect()
    rss0 = rss_mib()
    pc = time.perf_counter_ns
    deadline = time.monotonic() + a["max_s"]
    sub, ref = [], []
    for i in range(a["n"]):
        t0 = pc()
        bare(1)
        t1 = pc()
        call(1)
        t2 = pc()
        ref.append(t1 - t0)
        sub.append(t2 - t1)
        if i % 1024 == 0 and time.monotonic() > deadline:
            break
    gc.collect()
    bare_med = percentile(ref, 0.5)
    result = {
        "calls": len(sub),
        "overhead_med_us": (percentile(sub, 0.5) - bare_med) / 1000,
        "overhead_p99_us": (percentile(sub, 0.99) - bare_med) / 1000,
        "mean_us": (sum(sub) - sum(ref)) / len(sub) / 1000,
        "rss_growth_mib": rss_mib() - rss0,
    }
    if hasattr(subject, "shutdown_timeout"):
        result["shutdown_timeout"] = subject.shutdown_timeout
    if hasattr(subject, "stats"):
        result["sdk_stats"] = subject.stats()
    return result


def main() -> None:
    try:
        result = measure(args())
    except Skip as exc:
        emit({"skipped": str(exc)})
        return
    result["done_at"] = time.monotonic()
    emit(result)  # then fall off the end: atexit hooks and non-daemon threads run


if __name__ == "__main__":
    main()
