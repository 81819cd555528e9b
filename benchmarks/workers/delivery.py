"""Delivery: enqueue N items as fast as the caller can, flush, count arrivals.

An item is the subject's standalone event (``track_event``, ``capture``, a
span) or, without one, a decorated call. End to end runs from the first
enqueue until the flush returned and the receiver saw its last item.
"""

from __future__ import annotations

import time

from benchmarks import receivers
from benchmarks.subjects import Skip, make
from benchmarks.workers._common import args, emit, items_per_op


def _op(subject):
    event = subject.event()
    if event is not None:
        return event, "event"
    call = subject.wrap(lambda x: x, "bench_agent")
    return (lambda: call(1)), "decorated call"


def measure(a: dict) -> dict:
    subject = make(a["subject"])
    if not subject.delivers:
        raise Skip("does not deliver")
    url, n = a["url"], a["n"]
    if a.get("sized"):
        if not getattr(subject, "sizable", False):
            raise Skip("no queue-size option set here")
        subject.start(url, queue_size=n)
    else:
        subject.start(url)
    op, kind = _op(subject)
    per_op = items_per_op(subject, url, op, False) or 1
    deadline = time.monotonic() + a["max_s"]
    t0 = time.monotonic()
    done = 0
    for done in range(1, n + 1):
        op()
        if done % 1024 == 0 and time.monotonic() > deadline:
            break
    t_enqueued = time.monotonic()
    subject.flush()
    t_flushed = time.monotonic()
    expected = done * per_op
    got = receivers.wait_for_items(url, expected, settle=1.0, limit=a["max_s"])
    t_end = max(t_flushed, got["last_item_at"] or t_flushed) - t0
    result = {
        "item": kind,
        "enqueued": done,
        "enqueue_per_s": done / max(t_enqueued - t0, 1e-9),
        "e2e_s": t_end,
        "items_per_s": got["items"] / per_op / max(t_end, 1e-9),
        "requests": got["requests"],
        "bytes_per_item": got["bytes"] / max(got["items"], 1),
        "delivered": got["items"] / expected,
    }
    if hasattr(subject, "stats"):
        result["sdk_stats"] = subject.stats()
    return result


def main() -> None:
    try:
        result = measure(args())
    except Skip as exc:
        result = {"skipped": str(exc)}
    emit(result)


if __name__ == "__main__":
    main()
