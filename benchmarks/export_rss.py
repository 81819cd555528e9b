"""Receiver memory while streaming ``GET /api/run/export`` of N runs.

    python -m benchmarks.export_rss --runs 1000000 [--db /tmp/export.db]

Seeds N runs (``workers/seed_runs.py``, skipped when the file already holds
them), starts ``observatory serve`` in its own process, reads the whole export
over HTTP while sampling the server's resident memory (``/proc/PID/status``)
every 50 ms, and prints one JSON line: runs, seconds, runs/s, the server's RSS
and anonymous (heap) memory before, at peak, and after each tenth of the export
(SQLite's page cache, up to 64 MiB per connection, is heap too: it fills, then
stays), and the client's peak Python allocation.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import tracemalloc

import httpx

from benchmarks.workers.seed_runs import seed


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="runs to export")
    parser.add_argument("--db", default="/tmp/observatory-export-bench.db", help="SQLite file")
    opts = parser.parse_args()
    db_url = f"sqlite:///{opts.db}"
    if not os.path.exists(opts.db):
        print(json.dumps({"seeded": seed(db_url, opts.runs)}), flush=True)

    from tests.server.conftest import Subprocess

    server = Subprocess(db_url)
    pid = server.proc.pid
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _rss_kib(pid))
            peak[1] = max(peak[1], _rss_kib(pid, "RssAnon"))

    try:
        httpx.get(server.url + "/api/run/", params={"limit": 1}).raise_for_status()
        before = _rss_kib(pid), _rss_kib(pid, "RssAnon")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tracemalloc.start()
        started = time.perf_counter()
        count = 0
        step = max(1, opts.runs // 10)
        trajectory = []  # the server's heap after each tenth: flat means constant memory
        with httpx.stream("GET", server.url + "/api/run/export", timeout=120) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_bytes():
                count += chunk.count(b"\n")
                if count >= step * (len(trajectory) + 1):
                    trajectory.append(round(_rss_kib(pid, "RssAnon") / 1024, 1))
        seconds = time.perf_counter() - started
        client_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        done.set()
        sampler.join()
    finally:
        server.kill()
    print(
        json.dumps(
            {
                "runs": count,
                "seconds": round(seconds, 1),
                "runs_per_s": round(count / seconds),
                "server_rss_before_mib": round(before[0] / 1024, 1),
                "server_rss_peak_during_mib": round(peak[0] / 1024, 1),
                # RSS counts SQLite's memory-mapped file pages too; anonymous is the heap
                "server_anon_before_mib": round(before[1] / 1024, 1),
                "server_anon_peak_during_mib": round(peak[1] / 1024, 1),
                "server_anon_mib_each_tenth": trajectory,
                "client_peak_alloc_mib": round(client_peak / 2**20, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
