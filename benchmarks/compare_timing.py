"""Time ``GET /api/compare`` on a real receiver: N root runs per release, each with an
LLM child (so tokens per run come from the subtree walk).

    python -m benchmarks.compare_timing --runs 5000 --repeat 3

Seeds a fresh SQLite store in a temp folder, then prints the median wall time of the
compare over HTTP and of the statistics alone (in process, same samples).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from observatory.server import compare, db
from observatory.server.runner import run_server


def _iso(us: int) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1_000_000))
        + f".{us // 1000 % 1000:03d}Z"
    )


def seed(client: httpx.Client, release: str, runs: int, scale: float, rng: random.Random) -> None:
    start = 1_780_000_000_000_000
    batch: list[dict[str, object]] = []
    for i in range(runs):
        rid = f"{release}-{i}"
        t0 = start + i * 1_000_000
        latency = int(rng.lognormvariate(0, 0.5) * scale * 1_000_000)
        batch += [
            {
                "name": "agent_start",
                "run_id": rid,
                "timestamp": _iso(t0),
                "release": release,
                "metadata": {"agent": "bench"},
            },
            {
                "name": "llm",
                "run_id": rid + "-llm",
                "parent_run_id": rid,
                "timestamp": _iso(t0),
                "release": release,
                "model": "gpt-4o-mini",
                "prompt_tokens": int(1000 * scale) + i % 50,
                "completion_tokens": 100,
            },
            {
                "name": "agent_end",
                "run_id": rid,
                "timestamp": _iso(t0 + latency),
                "status": "error" if rng.random() < 0.05 else "success",
            },
        ]
        if len(batch) >= 1500:
            client.post("/api/report", json={"events": batch}).raise_for_status()
            batch = []
    if batch:
        client.post("/api/report", json={"events": batch}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000, help="root runs per release")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        url, stop = run_server(db_url)
        try:
            with httpx.Client(base_url=url, timeout=300) as client:
                rng = random.Random(0)
                seed(client, "v1", args.runs, 1.0, rng)
                seed(client, "v2", args.runs, 1.1, rng)
                walls = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    client.get(
                        "/api/compare", params={"baseline": "v1", "candidate": "v2"}
                    ).raise_for_status()
                    walls.append(time.perf_counter() - t)
            database = db.open_database(db_url)
            with database.read.connect() as conn:
                t, cpu = time.perf_counter(), time.process_time()
                base = compare.load_sample(conn, 1, compare.Side("v1"), None, None)
                cand = compare.load_sample(conn, 1, compare.Side("v2"), None, None)
                load, load_cpu = time.perf_counter() - t, time.process_time() - cpu
            database.dispose()
            t, cpu = time.perf_counter(), time.process_time()
            compare.metrics_for(base, cand)
            math_s, math_cpu = time.perf_counter() - t, time.process_time() - cpu
        finally:
            stop()
    print(
        f"{args.runs} runs per release: GET /api/compare median {statistics.median(walls) * 1000:.0f} ms "
        f"(of {args.repeat}); loading both samples {load * 1000:.0f} ms wall, {load_cpu * 1000:.0f} ms CPU; "
        f"statistics {math_s * 1000:.0f} ms "
        f"wall, {math_cpu * 1000:.0f} ms CPU"
    )


if __name__ == "__main__":
    main()
