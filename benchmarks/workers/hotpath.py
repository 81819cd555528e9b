"""Hot path: per-call cost of bare, floor and subject, interleaved in one process.

Each iteration times one bare call, one floor call and one subject call
(``perf_counter_ns`` around each, a busy-wait gap between), so all three see
the same machine state, including the subject's consumer thread sending what
the earlier calls queued; a flush and the receiver's count give the share of
the paced calls delivered. Then a tight loop gives the mean, and a second flush
the share of the loop's items (a bounded queue may overflow there).
"""

from __future__ import annotations

import asyncio
import time

from benchmarks import receivers
from benchmarks.subjects import Skip, make
from benchmarks.workers._common import args, emit, items_per_op, percentile, spin


def _work(x):
    return x


async def _awork(x):
    return x


def build(wrap, variant: str):
    """The callable for ``variant`` instrumented with ``wrap`` (None: bare)."""
    is_async = "async" in variant
    base = _awork if is_async else _work
    if wrap is None:
        wrap = lambda fn, name, inner=False: fn  # noqa: E731
    if variant.startswith("single"):
        return wrap(base, "bench_agent")
    inner = wrap(base, "bench_tool", inner=True)
    if is_async:

        async def outer(x):
            await inner(x)
            await inner(x)
            return await inner(x)

    else:

        def outer(x):
            inner(x)
            inner(x)
            return inner(x)

    return wrap(outer, "bench_agent")


def _event_ops(subject, floor):
    event = subject.event()
    if event is None:
        raise Skip("no standalone event API")
    floor_event = floor.event()
    return (lambda _x: None), (lambda _x: floor_event()), (lambda _x: event())


def paced_sync(fns, n: int, gap_us: float, max_s: float) -> list[list[int]]:
    pc = time.perf_counter_ns
    out: list[list[int]] = [[] for _ in fns]
    deadline = time.monotonic() + max_s
    for i in range(n):
        for fn, times in zip(fns, out, strict=True):
            t0 = pc()
            fn(1)
            times.append(pc() - t0)
            spin(gap_us)
        if i % 256 == 0 and time.monotonic() > deadline:
            break
    return out


async def paced_async(fns, n: int, gap_us: float, max_s: float) -> list[list[int]]:
    pc = time.perf_counter_ns
    out: list[list[int]] = [[] for _ in fns]
    deadline = time.monotonic() + max_s
    for i in range(n):
        for fn, times in zip(fns, out, strict=True):
            t0 = pc()
            await fn(1)
            times.append(pc() - t0)
            spin(gap_us)
        if i % 256 == 0 and time.monotonic() > deadline:
            break
    return out


def tight(fn, n: int, is_async: bool) -> float:
    """Mean ns per call over ``n`` back-to-back calls."""

    async def run_async():
        t0 = time.perf_counter_ns()
        for _ in range(n):
            await fn(1)
        return time.perf_counter_ns() - t0

    if is_async:
        return asyncio.run(run_async()) / n
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn(1)
    return (time.perf_counter_ns() - t0) / n


def measure(a: dict) -> dict:
    variant, url = a["variant"], a["url"]
    is_async = "async" in variant
    floor = make("floor")
    subject = make(a["subject"])
    subject.start(url)
    if variant == "event":
        fns = _event_ops(subject, floor)
    else:
        fns = (build(None, variant), build(floor.wrap, variant), build(subject.wrap, variant))
    if subject.delivers:
        per_op = items_per_op(subject, url, lambda: fns[2](1), is_async)
    n, warm, gap, max_s = a["n"], a["warmup"], a["gap_us"], a["max_s"]
    runner = (
        (lambda k: asyncio.run(paced_async(fns, k, gap, max_s)))
        if is_async
        else (lambda k: paced_sync(fns, k, gap, max_s))
    )
    runner(warm)
    bare, flo, sub = runner(n)
    result = _summary(bare, flo, sub)
    result["calls"] = len(sub)
    paced_ops = warm + len(sub)
    if subject.delivers:  # the paced calls' share, before the tight loop can overflow a queue
        result["delivered_during_loop"] = receivers.stats(url)["items"]
        t0 = time.monotonic()
        subject.flush()
        result["flush_s"] = time.monotonic() - t0
        paced = receivers.wait_for_items(url, per_op * paced_ops, settle=1.0, limit=a["max_s"])
        result["items_per_call"] = per_op
        result["delivered"] = paced["items"] / (per_op * paced_ops) if per_op else 0.0
    tight_n = max(1, len(sub))
    tight_bare = tight(fns[0], tight_n, is_async)
    tight_sub = tight(fns[2], tight_n, is_async)
    result["tight_overhead_us"] = (tight_sub - tight_bare) / 1000
    if subject.delivers:
        subject.flush()
        expected = per_op * (paced_ops + tight_n)
        got = receivers.wait_for_items(url, expected, settle=1.0, limit=a["max_s"])
        arrived = got["items"] - paced["items"]
        result["delivered_tight"] = arrived / (per_op * tight_n) if per_op else 0.0
    if hasattr(subject, "stats"):
        result["sdk_stats"] = subject.stats()
    return result


def _summary(bare: list[int], flo: list[int], sub: list[int]) -> dict:
    bare_med = percentile(bare, 0.5)
    med = {
        "bare_med_us": bare_med / 1000,
        "floor_med_us": (percentile(flo, 0.5) - bare_med) / 1000,
        "overhead_med_us": (percentile(sub, 0.5) - bare_med) / 1000,
        "overhead_p99_us": (percentile(sub, 0.99) - bare_med) / 1000,
        "floor_p99_us": (percentile(flo, 0.99) - bare_med) / 1000,
    }
    return med


def main() -> None:
    a = args()
    try:
        result = measure(a)
    except Skip as exc:
        result = {"skipped": str(exc)}
    emit(result)


if __name__ == "__main__":
    main()
