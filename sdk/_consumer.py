"""The background worker: wait, encode, batch, send, back off.

One daemon thread per process. It wakes every ``flush_interval``, when a batch
fills, on ``flush()`` and on shutdown; it encodes everything queued into
batches held in an outbox bounded by ``max_buffer_bytes`` (so the user's
objects are released quickly and memory stays bounded while the receiver is
down), then sends the batches in order. Failures are logged, counted and never
kill the thread.
"""

from __future__ import annotations

import gzip
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ._buffer import EventQueue, FlushMarker, Stats
from ._config import Config
from ._encode import Encoder
from ._plain import describe, plain
from ._transport import RETRY_AFTER_MAX, Response, Transport, TransportError, classify

logger = logging.getLogger("observatory")

BACKOFF_BASE = 0.25
BACKOFF_CAP = 8.0
"""Retry delays grow 0.25 s, 0.5 s, 1 s, ... up to 8 s, each with ±50% jitter."""

LOG_EVERY = 60.0
"""The same receiver complaint is logged at most once a minute."""


class _Batch:
    __slots__ = ("parts", "nbytes", "markers")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.nbytes = 0
        self.markers: list[FlushMarker] = []


class Consumer(threading.Thread):
    """Drains an :class:`EventQueue` to a :class:`Transport`."""

    def __init__(
        self,
        config: Config,
        queue: EventQueue,
        stats: Stats,
        transport_factory: Callable[[], Transport],
    ) -> None:
        super().__init__(name="observatory-consumer", daemon=True)
        self.config = config
        self.queue = queue
        self.stats = stats
        self.encoder = Encoder(config, warn=self._log_once)
        self._transport_factory = transport_factory
        self._transport: Transport | None = None
        self.outbox: deque[_Batch] = deque()
        self.outbox_bytes = 0
        self.stopping = threading.Event()
        self.deadline: float | None = None
        """Monotonic time by which shutdown must be over (None: not shutting down)."""
        self._last_logged: dict[str, float] = {}
        self.in_flight: _Batch | None = None
        """The batch being sent right now (out of the outbox, not yet answered)."""
        self.abandoned = False
        """Set by a shutdown that gave up waiting: results arriving later are not counted."""

    # -- loop -------------------------------------------------------------

    def run(self) -> None:
        """Wait, drain, repeat until shutdown has drained the queue."""
        queue = self.queue
        while True:
            queue.wake.wait(self.config.flush_interval)
            queue.wake.clear()
            try:
                self._drain()
            except Exception:  # never let the worker die: log and go on
                logger.exception("observatory: unexpected error in the background sender")
                self._discard_outbox("internal_error")
            if self.stopping.is_set() and ((not queue.items and not self.outbox) or self._past_deadline()):
                break
        if self._transport is not None:
            try:
                self._transport.close()
            except Exception:
                pass

    def _drain(self) -> None:
        while True:
            self._fill_outbox()
            if not self.outbox:
                return
            if self._past_deadline():
                return
            batch = self.outbox.popleft()
            self.outbox_bytes -= batch.nbytes
            self.in_flight = batch
            try:
                self._deliver(batch)
            finally:
                self.in_flight = None

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    # -- encoding ------------------------------------------------------------

    def _fill_outbox(self) -> None:
        config = self.config
        items = self.queue.items
        batch = _Batch()
        while self.outbox_bytes + batch.nbytes < config.max_buffer_bytes:
            try:
                item = items.popleft()
            except IndexError:
                break
            if isinstance(item, FlushMarker):
                batch.markers.append(item)
                self._close(batch)
                batch = _Batch()
                continue
            encoded = self._encode(item)
            if encoded is None:
                continue
            if len(encoded) > config.max_batch_bytes:
                self.stats.drop("too_large")
                self._log_once("too_large", "observatory: dropped an event of %d bytes (max_batch_bytes=%d)", len(encoded), config.max_batch_bytes)
                continue
            if batch.parts and batch.nbytes + len(encoded) + 1 > config.max_batch_bytes:
                self._close(batch)
                batch = _Batch()
            batch.parts.append(encoded)
            batch.nbytes += len(encoded) + 1
            if len(batch.parts) >= config.batch_size:
                self._close(batch)
                batch = _Batch()
        if batch.parts or batch.markers:
            self._close(batch)

    def _close(self, batch: _Batch) -> None:
        if not batch.parts:
            # only markers: they resolve when everything before them is done
            if self.outbox:
                self.outbox[-1].markers.extend(batch.markers)
            else:
                self._resolve(batch.markers)
            return
        self.outbox.append(batch)
        self.outbox_bytes += batch.nbytes

    def _encode(self, item: tuple[Any, ...]) -> bytes | None:
        try:
            event = self.encoder.event(item)
        except Exception:
            self._log_once("encode", "observatory: could not build an event; dropped", exc_info=True)
            self.stats.drop("encode_error")
            return None
        redact = self.config.redact
        if redact is not None:
            try:
                redacted = redact(event)
            except Exception:
                self.stats.drop("redact_error")
                self._log_once("redact", "observatory: the redact hook raised; the event was dropped", exc_info=True)
                return None
            if redacted is None:
                self.stats.drop("redacted")
                return None
            if type(redacted) is not dict:
                self.stats.drop("redact_error")
                self._log_once("redact", "observatory: the redact hook returned %s, not a dict or None; the event was dropped", describe(redacted))
                return None
            # The hook may have put anything back: read it as safely as the rest.
            budget = self.encoder.budget
            event = {str(key): plain(value, budget) for key, value in redacted.items()}
        return self.encoder.encode(event)

    # -- sending -------------------------------------------------------------

    def _body(self, batch: _Batch) -> tuple[bytes, dict[str, str]]:
        body = b'{"events":[' + b",".join(batch.parts) + b"]}"
        if self.config.gzip and len(body) >= self.config.gzip_min_bytes:
            return gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}
        return body, {}

    def _deliver(self, batch: _Batch) -> None:
        config = self.config
        count = len(batch.parts)
        body, headers = self._body(batch)
        give_up_at = time.monotonic() + config.retry_budget
        attempt = 0
        response: Response | None = None
        while True:
            limit = give_up_at if self.deadline is None else min(give_up_at, self.deadline)
            remaining = limit - time.monotonic()
            if remaining <= 0:
                self._out_of_time(batch, response, None)
                return
            response, problem = self._send_once(body, headers, min(config.timeout, remaining))
            verdict = classify(response)
            if verdict == "ok":
                assert response is not None
                self._accepted(batch, response)
                return
            self.stats.add(failed_requests=1)
            if verdict == "fail":
                assert response is not None
                self._log_once(
                    f"status-{response.status}",
                    "observatory: the receiver refused a batch of %d events with %d: %s",
                    count, response.status, response.body[:500].decode("utf-8", "replace"),
                )
                self._fail(batch, f"http_{response.status}")
                return
            attempt += 1
            if attempt > config.max_retries:
                self._log_once("gave-up", "observatory: dropped %d events after %d attempts (%s)", count, attempt, problem)
                self._fail(batch, "send_failed")
                return
            asked = response.retry_after if response is not None else None
            delay = min(asked, RETRY_AFTER_MAX) if asked is not None else None
            if delay is None:
                delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            if time.monotonic() + delay >= limit:
                self._out_of_time(batch, response, asked)
                return
            self.stats.add(retries=1)
            self.stopping.wait(delay)

    def _out_of_time(self, batch: _Batch, response: Response | None, wait: float | None) -> None:
        """Drop a batch whose next attempt would come after its retry budget (or shutdown).

        ``wait``: what the receiver's ``Retry-After`` asked for, when that is the reason."""
        if self.deadline is not None:
            self._fail(batch, "shutdown")
            return
        rate_limited = response is not None and response.status == 429
        reason = "rate_limited" if rate_limited else "retry_budget"
        answer = f"HTTP {response.status}" if response is not None else "no answer"
        if wait is not None:
            why = f"asked to wait {wait:g} s (Retry-After), longer than what is left of retry_budget"
        else:
            why = "retry_budget is spent"
        self._log_once(
            reason, "observatory: dropped %d events: the receiver answered %s and %s (%g s); "
            "counted in stats()['dropped'][%r]", len(batch.parts), answer, why, self.config.retry_budget, reason,
        )
        self._fail(batch, reason)

    def _send_once(self, body: bytes, headers: dict[str, str], timeout: float) -> tuple[Response | None, str]:
        try:
            if self._transport is None:
                self._transport = self._transport_factory()
            response = self._transport.send(body, headers, timeout)
        except TransportError as exc:
            self.stats.add(requests=1)
            return None, str(exc)
        except Exception as exc:  # a broken transport must not kill the worker
            self.stats.add(requests=1)
            logger.debug("observatory: transport error", exc_info=True)
            return None, f"{type(exc).__name__}: {exc}"
        self.stats.add(requests=1)
        return response, f"HTTP {response.status}"

    def _accepted(self, batch: _Batch, response: Response) -> None:
        count = len(batch.parts)
        answer = response.json()
        rejected = answer.get("rejected") if isinstance(answer, dict) else None
        if isinstance(rejected, list) and rejected and not self.abandoned:
            total = answer.get("rejected_total")  # set when the list is cut short
            n_rejected = total if isinstance(total, int) and total > len(rejected) else len(rejected)
            self.stats.drop("rejected_by_receiver", n_rejected)
            first = rejected[0] if isinstance(rejected[0], dict) else {}
            self._log_once(
                "rejected-events",
                "observatory: the receiver rejected %d of %d events; first: %s",
                n_rejected, count, first.get("error", rejected[0]),
            )
            count -= n_rejected
        if not self.abandoned:
            self.stats.add(sent=count)
        self._resolve(batch.markers)

    def _fail(self, batch: _Batch, reason: str) -> None:
        if not self.abandoned:
            self.stats.drop(reason, len(batch.parts))
        self._resolve(batch.markers)

    def _resolve(self, markers: list[FlushMarker]) -> None:
        if not markers:
            return
        dropped = self.stats.total_dropped()
        for marker in markers:
            marker.ok = dropped == marker.dropped_before
            marker.done.set()

    def _discard_outbox(self, reason: str) -> None:
        while self.outbox:
            batch = self.outbox.popleft()
            self._fail(batch, reason)
        self.outbox_bytes = 0

    def pending(self) -> int:
        """Events encoded but not yet delivered, the batch being sent included."""
        in_flight = self.in_flight
        return sum(len(b.parts) for b in list(self.outbox)) + (len(in_flight.parts) if in_flight else 0)

    def _log_once(self, key: str, message: str, *args: Any, exc_info: bool = False) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(key, -LOG_EVERY) >= LOG_EVERY:
            self._last_logged[key] = now
            logger.warning(message, *args, exc_info=exc_info)
