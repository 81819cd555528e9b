"""Ingest counters and the latency histogram, kept in the store, rendered for Prometheus.

Every ``observatory serve`` process adds what it counted to the ``counters``
table: the writer does it inside each group's transaction (so counts commit
with the data they describe) and after a second without traffic; ``/metrics``
flushes its own process first. The totals are therefore those of the store,
across workers and restarts; another worker's last second may still be pending.
"""

from __future__ import annotations

import bisect
import threading

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from . import models

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_OUTCOMES = ("ok", "client_error", "server_error")
_BUCKET_NAMES = [f"ingest_seconds_bucket:{b}" for b in LATENCY_BUCKETS]
NAMES = (
    "events_accepted",
    "events_rejected",
    "events_duplicate",
    "runs_created",
    *(f"batches:{o}" for o in BATCH_OUTCOMES),
    *_BUCKET_NAMES,
    "ingest_seconds_sum",
    "ingest_seconds_count",
)
_c = models.counters
_ADD = update(_c).where(_c.c.name == bindparam("n")).values(value=_c.c.value + bindparam("d"))


def ensure_counters(conn: Connection) -> None:
    """Create the counter rows that do not exist yet (at 0)."""
    have = set(conn.execute(select(_c.c.name)).scalars())
    missing = [{"name": n, "value": 0.0} for n in NAMES if n not in have]
    if missing:
        conn.execute(insert(_c), missing)


class Metrics:
    """This process's counts not yet added to the store; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}

    def record_batch(
        self, accepted: int, duplicates: int, rejected: int, runs_created: int, seconds: float
    ) -> None:
        """Count one acknowledged batch."""
        with self._lock:
            self._add("events_accepted", accepted)
            self._add("events_duplicate", duplicates)
            self._add("events_rejected", rejected)
            self._add("runs_created", runs_created)
            self._add("batches:ok", 1)
            self._observe(seconds)

    def record_failure(self, outcome: str, seconds: float) -> None:
        """Count a refused (4xx, ``client_error``) or failed (5xx, ``server_error``) batch."""
        with self._lock:
            self._add(f"batches:{outcome}", 1)
            self._observe(seconds)

    def _add(self, name: str, amount: float) -> None:
        if amount:
            self._pending[name] = self._pending.get(name, 0.0) + amount

    def _observe(self, seconds: float) -> None:
        index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        if index < len(LATENCY_BUCKETS):
            self._add(_BUCKET_NAMES[index], 1)
        self._add("ingest_seconds_sum", seconds)
        self._add("ingest_seconds_count", 1)

    @property
    def pending(self) -> bool:
        """True when counts wait to be added to the store."""
        return bool(self._pending)

    def flush(self, conn: Connection) -> None:
        """Add the pending counts to the store, inside the caller's transaction (if
        that rolls back, these counts are lost: they describe data, they are not data)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            # rows in name order: receivers sharing a PostgreSQL store lock them in one order
            conn.execute(_ADD, [{"n": n, "d": pending[n]} for n in sorted(pending)])

    def flush_now(self, engine: Engine) -> None:
        """Add the pending counts to the store in a transaction of their own; if it
        fails they stay pending (the next flush adds them)."""
        if not self.pending:
            return
        with self._lock:
            pending, self._pending = self._pending, {}
        try:
            with engine.begin() as conn:
                conn.execute(_ADD, [{"n": n, "d": pending[n]} for n in sorted(pending)])
        except BaseException:
            with self._lock:
                for name, amount in pending.items():
                    self._add(name, amount)
            raise


def render(conn: Connection) -> str:
    """Prometheus exposition text of the store's counters."""
    values = {n: v for n, v in conn.execute(select(_c.c.name, _c.c.value))}
    runs = conn.execute(select(func.count()).select_from(models.runs)).scalar() or 0

    def num(name: str) -> int:
        return int(values.get(name, 0))

    lines = [
        "# HELP observatory_events_total Events received by outcome.",
        "# TYPE observatory_events_total counter",
        f'observatory_events_total{{outcome="accepted"}} {num("events_accepted")}',
        f'observatory_events_total{{outcome="rejected"}} {num("events_rejected")}',
        f'observatory_events_total{{outcome="duplicate"}} {num("events_duplicate")}',
        "# HELP observatory_batches_total POST /api/report requests by outcome.",
        "# TYPE observatory_batches_total counter",
        *(
            f'observatory_batches_total{{outcome="{o}"}} {num("batches:" + o)}'
            for o in BATCH_OUTCOMES
        ),
        "# HELP observatory_runs_created_total Runs created (every receiver process).",
        "# TYPE observatory_runs_created_total counter",
        f"observatory_runs_created_total {num('runs_created')}",
        "# HELP observatory_runs Runs stored (all projects).",
        "# TYPE observatory_runs gauge",
        f"observatory_runs {runs}",
        "# HELP observatory_ingest_seconds Time to answer POST /api/report.",
        "# TYPE observatory_ingest_seconds histogram",
    ]
    cumulative = 0
    for bound, name in zip(LATENCY_BUCKETS, _BUCKET_NAMES, strict=True):
        cumulative += num(name)
        lines.append(f'observatory_ingest_seconds_bucket{{le="{bound}"}} {cumulative}')
    lines.append(f'observatory_ingest_seconds_bucket{{le="+Inf"}} {num("ingest_seconds_count")}')
    lines.append(f"observatory_ingest_seconds_sum {values.get('ingest_seconds_sum', 0.0):.6f}")
    lines.append(f"observatory_ingest_seconds_count {num('ingest_seconds_count')}")
    return "\n".join(lines) + "\n"
