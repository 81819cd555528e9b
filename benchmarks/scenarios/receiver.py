"""(5) The reference receiver: ingest from concurrent clients, filtered reads at scale."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.proc import ROOT, bench_env, last_json_line, run_worker
from benchmarks.reference import available, reference_receiver
from benchmarks.workers._common import percentile

NAME = "receiver"
TITLE = "(5) Reference receiver (observatory serve, SQLite) on loopback"
BATCH = 500
WORKERS = (1, 2)
"""``observatory serve --workers N`` variants measured for ingest: one process is
bound to one core by the GIL; the machine has two."""
QUERIES = [
    # every filter of the seeds' table alone (seed_runs.py: 20 models, 50 agents,
    # 1,000 users, 30 tags, latency 0-10 s, llm cost 0-0.01 USD, 30 days) ...
    "limit=50",
    "status=error&limit=50",
    "model=model-3&limit=50",
    "agent=agent-7&limit=50",
    "min_latency_s=9.5&limit=50",
    "max_latency_s=0.05&limit=50",
    "min_cost=0.0099&limit=50",
    "max_cost=0.00001&limit=50",
    "tags=tag-3&limit=50",
    "tags=tag-3,tag-17&limit=50",
    "user_email=user42@example.com&limit=50",
    "from={day_ago}&limit=50",
    "to={days_ago_29}&limit=50",
    "from={days_ago_2}&to={day_ago}&limit=50",
    # ... common combinations ...
    "type=llm&model=model-3&limit=50",
    "agent=agent-7&status=success&limit=50",
    "status=error&tags=tag-5&limit=50",
    "agent=agent-7&from={days_ago_2}&limit=50",
    "type=llm&min_cost=0.009&limit=50",
    "status=error&min_latency_s=9.9&limit=50",
    "user_email=user42@example.com&status=success&limit=50",
    # ... and the second page through the keyset cursor
    "status=error&limit=50 (page 2)",
]
PAGE_2 = " (page 2)"
THREAD_QUERIES = [
    "limit=50",
    "agent=agent-7&limit=50",
    "user_email=user42@example.com&limit=50",
    "limit=50 (page 2)",
]
COLUMNS = [
    ("variant", "measurement", "str"),
    ("detail", "detail", "str"),
    ("events_per_s", "events/s (OTLP: spans/s)", "int"),
    ("p50_ms", "p50 ms", "ms"),
    ("p99_ms", "p99 ms", "ms"),
    ("note", "note", "str"),
]


def run(sizes, subjects: list[str]) -> list[dict]:
    why = available()
    if why:
        return [{"variant": "all", "note": f"skipped: {why}"}]
    if "observatory" not in subjects:
        return [{"variant": "all", "note": "skipped: observatory not selected"}]
    with tempfile.TemporaryDirectory(prefix="obs-bench-") as tmp:
        rows = [_ingest(sizes, Path(tmp), workers) for workers in WORKERS]
        rows += [_ingest(sizes, Path(tmp), workers, otlp=True) for workers in WORKERS]
        rows += _queries(sizes, Path(tmp))
    return rows


def _ingest(sizes, tmp: Path, workers: int, otlp: bool = False) -> dict:
    """``/api/report`` events/s, or with ``otlp`` ``/v1/traces`` spans/s (protobuf,
    GenAI-shaped spans; each span is one run and its one event)."""
    clients = sizes.ingest_clients
    batches = max(1, sizes.ingest_events // BATCH // clients)
    what = "OTLP ingest" if otlp else "ingest"
    row = {
        "variant": f"{what}, {workers} worker{'s' if workers > 1 else ''}",
        "detail": f"{clients} {'exporters' if otlp else 'clients'} × {batches} POSTs of {BATCH}"
        + (" spans" if otlp else "")
        + " (fresh store)",
    }
    suffix = "-otlp" if otlp else ""
    db_url = f"sqlite:///{tmp / f'ingest-{workers}{suffix}.db'}"
    with reference_receiver(db_url, workers=workers) as url:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.workers." + ("otlp_client" if otlp else "ingest_client"),
                    json.dumps(
                        {
                            "url": url,
                            "client": c,
                            "batches": batches,
                            "batch_size": BATCH,
                            "max_s": 120,
                        }
                    ),
                ],
                stdout=subprocess.PIPE,
                text=True,
                env=bench_env(),
                cwd=ROOT,
            )
            for c in range(clients)
        ]
        results = []
        for p in procs:
            out, _ = p.communicate(timeout=300)
            results.append(last_json_line(out) or {})
    good = [r for r in results if "latencies" in r]
    if not good:
        row["note"] = "error: no client finished"
        return row
    lat = [x for r in good for x in r["latencies"]]
    wall = max(r["end"] for r in good) - min(r["start"] for r in good)
    row.update(
        {
            "events_per_s": sum(r["accepted"] for r in good) / wall,
            "p50_ms": percentile(lat, 0.5) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000,
        }
    )
    errors = sum(r["errors"] for r in good)
    if errors or len(good) < clients:
        row["note"] = f"{errors} failed POSTs, {clients - len(good)} clients failed"
    return row


def _fill(template: str) -> str:
    """A query with its time placeholders (days before now, ISO-8601) filled in."""
    now = dt.datetime.now(dt.UTC)
    days = {"day_ago": 1, "days_ago_2": 2, "days_ago_29": 29}
    return template.format(
        **{k: (now - dt.timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ") for k, d in days.items()}
    )


def _timed_query(url: str, path: str, template: str, sizes, seeded: dict) -> dict:
    query = _fill(template.removesuffix(PAGE_2))
    if template.endswith(PAGE_2):
        with urllib.request.urlopen(f"{url}{path}?{query}", timeout=60) as resp:
            cursor = json.loads(resp.read())["next_cursor"]
        query += f"&cursor={cursor}"
    times, status = [], None
    for k in range(sizes.query_repeats + 1):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{url}{path}?{query}", timeout=60) as resp:
            resp.read()
            status = resp.status
        if k:  # the first one warms the page cache
            times.append(time.perf_counter() - t0)
    scale = (
        f"{sizes.query_runs:,} runs"
        if path == "/api/run/"
        else f"{seeded.get('messages', 0):,} messages"
    )
    return {
        "variant": f"GET {path}",
        "detail": f"{template} ({scale})",
        "p50_ms": percentile(times, 0.5) * 1000,
        "p99_ms": percentile(times, 0.99) * 1000,
        "note": "" if status == 200 else f"HTTP {status}",
    }


def _queries(sizes, tmp: Path) -> list[dict]:
    db_url = f"sqlite:///{tmp / 'runs.db'}"
    seeded = run_worker("seed_runs", {"db_url": db_url, "n": sizes.query_runs}, timeout=1800)
    if "error" in seeded:
        return [{"variant": "GET /api/run/", "note": "error seeding: " + seeded["error"]}]
    rows = []
    with reference_receiver(db_url) as url:
        for path, templates in (("/api/run/", QUERIES), ("/api/threads", THREAD_QUERIES)):
            for template in templates:
                rows.append(_timed_query(url, path, template, sizes, seeded))
    rows[0]["note"] = (rows[0].get("note", "") + f" seeded in {seeded['seed_s']:.0f} s").strip()
    return rows
