"""Ingest throughput with several receivers on one PostgreSQL, beside SQLite.

    python -m benchmarks.scale_out [--seconds 15] [--clients 6] [--out FILE]

Each configuration gets a new, empty store and the same clients: ``--clients``
threads of this process post pre-encoded batches (100 events: 50 LLM runs, each a
start and an end with usage) round-robin to the receivers, for ``--seconds``
after a warm-up, and count acknowledged events. Configurations: 1, 2 and 3
``observatory serve`` processes (separate ports, as on separate machines) on one
PostgreSQL (a throwaway cluster, see tests/server/pgcluster.py, or
``OBSERVATORY_TEST_PG_URL``), and SQLite with ``--workers 2`` (one port).
Everything runs on this machine: receivers, PostgreSQL and the clients share
its cores, so the figures are a floor for a deployment with machines of its own.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.server.conftest import Subprocess  # noqa: E402
from tests.server.pgcluster import Cluster  # noqa: E402

EVENTS_PER_BATCH = 100
WARMUP_S = 3.0


def batches(prefix: str) -> Iterator[bytes]:
    """Endless distinct batches (run ids unique per configuration)."""
    for n in itertools.count():
        events = []
        for k in range(EVENTS_PER_BATCH // 2):
            rid = f"{prefix}-{n}-{k}"
            events.append({"name": "llm_start", "run_id": rid, "model": "gpt-4o-mini"})
            events.append(
                {
                    "name": "llm_end",
                    "run_id": rid,
                    "prompt_tokens": 1200,
                    "completion_tokens": 300,
                    "output": "ok",
                }
            )
        yield json.dumps({"events": events}).encode()


def drive(urls: list[str], clients: int, seconds: float, prefix: str) -> dict[str, float]:
    """Post from ``clients`` threads for ``seconds`` (after a warm-up); events/s and
    per-batch latency of the measured window."""
    source = batches(prefix)
    lock = threading.Lock()
    start = time.monotonic() + WARMUP_S
    stop = start + seconds
    acked = 0
    latencies: list[float] = []
    errors = 0

    def client(i: int) -> None:
        nonlocal acked, errors
        targets = itertools.cycle(urls[i % len(urls) :] + urls[: i % len(urls)])
        with httpx.Client(timeout=60, headers={"content-type": "application/json"}) as http:
            while True:
                with lock:
                    body = next(source)
                began = time.monotonic()
                if began >= stop:
                    return
                resp = http.post(next(targets) + "/api/report", content=body)
                ended = time.monotonic()
                with lock:
                    if resp.status_code != 200:
                        errors += 1
                    elif began >= start and ended <= stop:
                        acked += resp.json()["accepted"]
                        latencies.append(ended - began)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "events_per_s": round(acked / seconds),
        "batch_p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else 0.0,
        "batch_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1)
        if latencies
        else 0.0,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    results: list[dict[str, object]] = []
    load = os.getloadavg()[0]
    cluster = Cluster.start()
    try:
        configs: list[tuple[str, int]] = [("postgresql", 1), ("postgresql", 2), ("postgresql", 3)]
        configs.append(("sqlite --workers 2", 2))
        for name, count in configs:
            with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
                if name == "postgresql":
                    url = cluster.create_database()
                    stack.callback(cluster.drop_database, url)
                    procs = [Subprocess(url, start_timeout=120) for _ in range(count)]
                else:
                    url = f"sqlite:///{folder}/bench.db"
                    procs = [Subprocess(url, "--workers", "2", start_timeout=120)]
                for proc in procs:
                    stack.callback(proc.kill)
                got = drive([p.url for p in procs], args.clients, args.seconds, f"b{len(results)}")
                row = {"store": name, "receivers": count if name == "postgresql" else 1, **got}
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        cluster.stop()
    meta = {
        "seconds": args.seconds,
        "clients": args.clients,
        "events_per_batch": EVENTS_PER_BATCH,
        "cpus": os.cpu_count(),
        "load_1min_before": load,
    }
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
