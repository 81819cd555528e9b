"""The bounded queue between callers and the background thread, and the counters.

``Client.put`` is the whole cost on the caller's side: a length check and a
``deque.append`` (atomic under the GIL, no lock taken). The wake-up event is
set only when a batch fills, so most calls never touch a lock.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any


class Stats:
    """Counters read by ``observatory.stats()``; written mostly by the worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.retries = 0
        self.failed_requests = 0
        self.requests = 0
        self.dropped: Counter[str] = Counter()

    def drop(self, reason: str, count: int = 1) -> None:
        """Count ``count`` events lost for ``reason``."""
        with self._lock:
            self.dropped[reason] += count

    def add(self, **counts: int) -> None:
        """Add to the named counters (``sent=``, ``retries=``, ...)."""
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)

    def total_dropped(self) -> int:
        """Every event lost so far, whatever the reason."""
        with self._lock:
            return sum(self.dropped.values())

    def snapshot(self, queued: int) -> dict[str, Any]:
        """A plain dict of every counter."""
        with self._lock:
            return {
                "queued": queued,
                "sent": self.sent,
                "dropped": dict(self.dropped),
                "dropped_total": sum(self.dropped.values()),
                "retries": self.retries,
                "failed_requests": self.failed_requests,
                "requests": self.requests,
            }


class FlushMarker:
    """Put in the queue by ``flush()``; set once everything before it is handled."""

    __slots__ = ("done", "dropped_before", "ok")

    def __init__(self, dropped_before: int) -> None:
        self.done = threading.Event()
        self.dropped_before = dropped_before
        self.ok = False


class EventQueue:
    """Bounded FIFO of queue items (tuples) and flush markers."""

    def __init__(self, max_items: int, batch_size: int, stats: Stats) -> None:
        self.items: deque[Any] = deque()
        self.max_items = max_items
        self.wake_at = batch_size - 1
        """Queue length at which a put wakes the worker (a batch is full)."""
        self.wake = threading.Event()
        self.stats = stats

    def refuse(self) -> None:
        """Count an item that did not fit."""
        self.stats.drop("queue_full")

    def put_marker(self, marker: FlushMarker) -> None:
        """Add a flush marker (never refused) and wake the worker now."""
        self.items.append(marker)
        self.wake.set()

    def __len__(self) -> int:
        return len(self.items)


class ClosedQueue(EventQueue):
    """The queue of a client that was shut down: every event is dropped and counted."""

    def refuse(self) -> None:
        """Count an item sent after shutdown."""
        self.stats.drop("after_shutdown")
