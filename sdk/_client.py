"""The client: settings, queue and worker of one process, and its lifecycle.

States: *idle* (created, no thread yet) -> *running* (first event started the
worker) -> *closed* (``shutdown()`` or interpreter exit). Nothing here runs at
import: the default client is built on first use, and the worker thread, the
exit hooks and the HTTP client only when the first event is queued.

Exit: an ``atexit`` hook (and, in ``multiprocessing`` children, which skip
atexit, a ``multiprocessing.util.Finalize``) flushes within
``shutdown_timeout`` and counts what it could not deliver. Fork: the child gets
a fresh queue, counters and worker, and none of the parent's events.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from . import _ids
from ._buffer import ClosedQueue, EventQueue, FlushMarker, Stats
from ._config import Config
from ._run import CUSTOM, START, Run
from ._transport import HttpTransport, Transport

if TYPE_CHECKING:
    from ._consumer import Consumer
    from ._otel import Tracing

logger = logging.getLogger("observatory")

IDLE, RUNNING, CLOSED = "idle", "running", "closed"


class Client:
    """Queues events and owns the background worker that sends them."""

    def __init__(self, config: Config, transport: Transport | None = None) -> None:
        self.config = config
        self.enabled = config.enabled
        # A process that imported the SDK, forked, and only then used it (a
        # gunicorn/Celery master, multiprocessing with fork) would otherwise
        # hand every child the same id sequence: draw a fresh base per client.
        _ids.reseed()
        self._transport = transport
        self._lock = threading.Lock()
        self._state = IDLE
        self._pid = os.getpid()
        self._hooks_registered = False
        self._mp_hook_pid: int | None = None
        self.stats = Stats()
        self.queue = EventQueue(config.max_queue_size, config.batch_size, self.stats)
        self._consumer: Consumer | None = None
        self.otel: Tracing | None = None
        if config.otel and config.enabled:
            from ._otel import Tracing  # OpenTelemetry's tracing only when asked for

            self.otel = Tracing()

    # -- the caller's side (hot path) -------------------------------------

    def put(self, item: tuple[Any, ...]) -> None:
        """Queue one item: a length check and a ``deque.append``, no lock."""
        queue = self.queue
        items = queue.items
        size = len(items)
        if size >= queue.max_items:
            queue.refuse()
            return
        items.append(item)
        if size >= queue.wake_at and not queue.wake.is_set():
            queue.wake.set()
        if self._consumer is None:
            self._start()

    def put_start(self, run: Run) -> None:
        """Queue a run's start event."""
        self.put((START, run))

    def put_custom(self, name: str, fields: dict[str, Any], parent: Run | None, context: Any, when: float) -> None:
        """Queue a custom event that happened at ``when`` (Unix seconds)."""
        self.put((CUSTOM, name, fields, when, parent, context))

    # -- lifecycle -----------------------------------------------------------

    @property
    def state(self) -> str:
        """``idle``, ``running`` or ``closed``."""
        return self._state

    def _start(self) -> None:
        with self._lock:
            if self._consumer is not None and self._consumer.is_alive():
                return
            if self._state == CLOSED:
                return
            self._register_hooks()
            self._register_multiprocessing_exit()
            self._consumer = self._new_consumer()
            self._consumer.start()
            self._state = RUNNING

    def _new_consumer(self) -> Consumer:
        # Imported on first use: JSON encoding (pydantic-core) is not paid at import.
        from ._consumer import Consumer

        return Consumer(self.config, self.queue, self.stats, self._make_transport)

    def _make_transport(self) -> Transport:
        if self._transport is not None:
            return self._transport
        return HttpTransport(self.config.api_url, self.config.api_key, self.config.timeout)

    def _ensure_worker(self) -> None:
        """Restart the worker if it died (it should not; this is the supervisor)."""
        consumer = self._consumer
        if self._state == RUNNING and consumer is not None and not consumer.is_alive():
            logger.warning("observatory: the background sender had stopped; restarting it")
            self._consumer = None
            self._start()

    def _register_hooks(self) -> None:
        if self._hooks_registered:
            return
        self._hooks_registered = True
        ref = weakref.ref(self)

        def at_exit() -> None:
            client = ref()
            if client is not None:
                client.shutdown()

        def after_fork_in_child() -> None:
            client = ref()
            if client is not None:
                client._after_fork()

        atexit.register(at_exit)
        os.register_at_fork(after_in_child=after_fork_in_child)

    def _register_multiprocessing_exit(self) -> None:
        # multiprocessing children end with os._exit(), skipping atexit; their
        # exit function runs Finalize callbacks first. A forked child's
        # registry is cleared after fork hooks run, so this is done when a
        # worker starts, once per process, and only when the user already
        # imported multiprocessing (importing it here would cost everyone).
        if self._mp_hook_pid == self._pid or "multiprocessing" not in sys.modules:
            return
        self._mp_hook_pid = self._pid
        ref = weakref.ref(self)

        def at_child_exit() -> None:
            client = ref()
            if client is not None:
                client.shutdown()

        try:
            from multiprocessing import util

            util.Finalize(None, at_child_exit, exitpriority=100)
        except Exception:
            logger.debug("observatory: could not register the multiprocessing exit hook", exc_info=True)

    def _after_fork(self) -> None:
        """In a forked child: a new queue, lock, counters and worker; no parent events."""
        _ids.reseed()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self.stats = Stats()
        self.queue = EventQueue(self.config.max_queue_size, self.config.batch_size, self.stats)
        self._consumer = None
        if self._state == RUNNING:
            self._state = IDLE
        self._hooks_registered = True  # atexit and at-fork hooks are inherited

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued so far; True when all of it was delivered."""
        if self._state == CLOSED:
            return True
        if self._consumer is None:
            if not self.queue.items:
                return True
            self._start()
        self._ensure_worker()
        marker = FlushMarker(self.stats.total_dropped())
        self.queue.put_marker(marker)
        if not marker.done.wait(timeout):
            return False
        return marker.ok

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within ``timeout`` (default ``shutdown_timeout``), then stop for good.

        Returns True when everything was delivered. What could not be sent in
        time is counted as dropped (reason ``shutdown``) and logged.
        """
        with self._lock:
            if self._state == CLOSED:
                return True
            was_running = self._state == RUNNING
            self._state = CLOSED
        queue = self.queue
        self.queue = ClosedQueue(0, 1, self.stats)
        if not was_running:
            return not queue.items
        bound = self.config.shutdown_timeout if timeout is None else timeout
        consumer = self._consumer
        assert consumer is not None
        dropped_before = self.stats.total_dropped()
        consumer.deadline = time.monotonic() + max(bound, 0.0)
        consumer.stopping.set()
        queue.wake.set()
        consumer.join(max(bound, 0.0) + 0.05)
        if consumer.is_alive():
            consumer.abandoned = True  # from now on its late results are not counted
            left = sum(1 for item in list(queue.items) if not isinstance(item, FlushMarker))
            left += consumer.pending()
            if left:
                self.stats.drop("shutdown", left)
        lost = self.stats.total_dropped() - dropped_before
        if lost:
            logger.warning(
                "observatory: %d events could not be delivered to %s at shutdown (see observatory.stats())",
                lost, self.config.api_url,
            )
        return lost == 0

    def stats_snapshot(self) -> dict[str, Any]:
        """Counters as a dict (``observatory.stats()``)."""
        consumer = self._consumer
        queued = sum(1 for item in list(self.queue.items) if not isinstance(item, FlushMarker))
        if consumer is not None:
            queued += consumer.pending()
        snapshot = self.stats.snapshot(queued)
        snapshot["state"] = self._state
        return snapshot
