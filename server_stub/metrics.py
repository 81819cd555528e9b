"""Counters and the ingest-latency histogram, rendered in Prometheus text format."""

from __future__ import annotations

import bisect
import threading

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Process-wide ingest counters; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events_accepted = 0
        self.events_rejected = 0
        self.events_duplicate = 0
        self.batches: dict[str, int] = {"ok": 0, "client_error": 0, "server_error": 0}
        self.runs_created = 0
        self._buckets = [0] * len(LATENCY_BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0

    def record_batch(
        self, accepted: int, duplicates: int, rejected: int, runs_created: int, seconds: float
    ) -> None:
        """Count one acknowledged batch."""
        with self._lock:
            self.events_accepted += accepted
            self.events_duplicate += duplicates
            self.events_rejected += rejected
            self.runs_created += runs_created
            self.batches["ok"] += 1
            self._observe(seconds)

    def record_failure(self, outcome: str, seconds: float) -> None:
        """Count a refused (4xx) or failed (5xx) batch."""
        with self._lock:
            self.batches[outcome] = self.batches.get(outcome, 0) + 1
            self._observe(seconds)

    def _observe(self, seconds: float) -> None:
        index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        if index < len(self._buckets):
            self._buckets[index] += 1
        self._latency_sum += seconds
        self._latency_count += 1

    def render(self, runs_stored: int) -> str:
        """Prometheus exposition text."""
        with self._lock:
            lines = [
                "# HELP observatory_events_total Events received by outcome.",
                "# TYPE observatory_events_total counter",
                f'observatory_events_total{{outcome="accepted"}} {self.events_accepted}',
                f'observatory_events_total{{outcome="rejected"}} {self.events_rejected}',
                f'observatory_events_total{{outcome="duplicate"}} {self.events_duplicate}',
                "# HELP observatory_batches_total POST /api/report requests by outcome.",
                "# TYPE observatory_batches_total counter",
            ]
            lines += [
                f'observatory_batches_total{{outcome="{k}"}} {v}'
                for k, v in sorted(self.batches.items())
            ]
            lines += [
                "# HELP observatory_runs_created_total Runs created by this process.",
                "# TYPE observatory_runs_created_total counter",
                f"observatory_runs_created_total {self.runs_created}",
                "# HELP observatory_runs Runs stored (all projects).",
                "# TYPE observatory_runs gauge",
                f"observatory_runs {runs_stored}",
                "# HELP observatory_ingest_seconds Time to answer POST /api/report.",
                "# TYPE observatory_ingest_seconds histogram",
            ]
            cumulative = 0
            for bound, count in zip(LATENCY_BUCKETS, self._buckets, strict=True):
                cumulative += count
                lines.append(f'observatory_ingest_seconds_bucket{{le="{bound}"}} {cumulative}')
            lines.append(f'observatory_ingest_seconds_bucket{{le="+Inf"}} {self._latency_count}')
            lines.append(f"observatory_ingest_seconds_sum {self._latency_sum:.6f}")
            lines.append(f"observatory_ingest_seconds_count {self._latency_count}")
        return "\n".join(lines) + "\n"
