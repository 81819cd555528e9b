"""Web UI page timings at scale, measured in Chromium; and the docs' screenshots.

    python -m benchmarks.ui_pages --runs 1000000 [--db PATH] [--out FILE.json]
    python -m benchmarks.ui_pages --screenshots docs/img

Timings: a store with N runs and N/5 chat messages (``workers/seed_runs.py``, 30 days)
plus one 500-run trace, served by ``observatory serve``; each page is opened in a
fresh browser context and timed from navigation start (``performance.now()``) to
its content being on screen: the first rows of /runs and /threads, all 500 rows of
the waterfall, and the three charts plus totals of a 30-day /dashboard. Median and
max of ``--repeat`` loads, after one warm-up load each.

Screenshots: ``observatory demo`` into a temporary store, plus two releases of a
support agent (the candidate slower and dearer, for /compare) and a change marked
on the dashboard, then each page of it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.reference import reference_receiver

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TRACE_ROOT = "trace500-root"


def seed_trace(db_url: str, fanout: int = 20, leaves: int = 24) -> int:
    """One trace: a root, ``fanout`` tools, ``leaves`` llm runs under each (501 runs)."""
    from observatory.server import auth, db, models

    database = db.open_database(db_url)
    now = time.time_ns() // 1000
    rows: list[dict[str, Any]] = []

    def row(run_id: str, parent: str | None, kind: str, start: int, end: int) -> None:
        rows.append(
            {
                "project_id": project,
                "run_id": run_id,
                "parent_run_id": parent,
                "app_id": "bench",
                "type": kind,
                "name": f"{kind}-{len(rows)}",
                "status": "success",
                "start_time": start,
                "end_time": end,
                "sort_time": start,
                "latency_s": (end - start) / 1e6,
                "model": "model-1" if kind == "llm" else None,
                "total_tokens": 120 if kind == "llm" else None,
                "cost": 0.001 if kind == "llm" else 0.0,
                "cost_status": "ok" if kind == "llm" else "not_llm",
                "subtree_cost": 0.0,
                "saved": False,
            }
        )

    with database.write.begin() as conn:
        project = auth.ensure_project(conn, db.DEFAULT_PROJECT)
        conn.execute(models.runs.delete().where(models.runs.c.run_id.like("trace500-%")))
        start = now - 60_000_000
        row(TRACE_ROOT, None, "agent", start, start + 50_000_000)
        for t in range(fanout):
            tool = f"trace500-tool-{t}"
            t0 = start + t * 2_400_000
            row(tool, TRACE_ROOT, "tool", t0, t0 + 2_400_000)
            for k in range(leaves):
                l0 = t0 + k * 100_000
                row(f"trace500-llm-{t}-{k}", tool, "llm", l0, l0 + 90_000)
        conn.execute(models.runs.insert(), rows)
    database.dispose()
    return len(rows)


def rebuild_rollups(db_url: str) -> None:
    from observatory.server import db, rollup, thread_summary

    database = db.open_database(db_url)
    try:
        with database.write.begin() as conn:
            rollup.rebuild(conn)
            thread_summary.rebuild(conn, thread_summary.gap_us(30.0))
    finally:
        database.dispose()


def _browser(p: Any) -> Any:
    return p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


PAGES = [
    ("/runs", "first rows", "document.querySelectorAll('table.runs tbody tr').length > 0"),
    (
        f"/runs/{TRACE_ROOT}",
        "waterfall of a 500-run trace",
        "document.querySelectorAll('ol.waterfall > li').length >= 500"
        " && document.querySelector('.details h2') !== null",
    ),
    ("/threads", "first page", "document.querySelectorAll('table.threads tbody tr').length > 0"),
    (
        "/dashboard?window=30d",
        "30 days: totals and 3 charts",
        "document.querySelectorAll('.chart canvas').length === 3"
        " && document.querySelector('.totals') !== null",
    ),
]


SHELL_READY = "document.querySelector('main h1, main .muted') !== null"


def time_pages(url: str, repeat: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = _browser(p)
        for path, what, ready in PAGES:
            samples, shells = [], []
            for i in range(repeat + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.goto(url + path, wait_until="commit")
                # the app's own floor: its heading drawn, before any data is in
                page.wait_for_function(SHELL_READY, timeout=60_000, polling="raf")
                shell = page.evaluate("performance.now()")
                page.wait_for_function(ready, timeout=60_000, polling="raf")
                elapsed = page.evaluate("performance.now()")
                context.close()
                if i:  # the first load warms the receiver's page cache
                    samples.append(elapsed)
                    shells.append(shell)
            results.append(
                {
                    "page": path,
                    "shows": what,
                    "median_ms": round(statistics.median(samples)),
                    "max_ms": round(max(samples)),
                    "app_drawn_median_ms": round(statistics.median(shells)),
                    "loads": repeat,
                }
            )
    return results


def run_timings(args: argparse.Namespace) -> None:
    from benchmarks.workers.seed_runs import seed

    db_path = Path(args.db or tempfile.mkdtemp(prefix="obs-ui-") + "/ui.db")
    db_url = f"sqlite:///{db_path}"
    if not db_path.exists():
        t0 = time.monotonic()
        seeded = seed(db_url, args.runs)
        print(
            f"seeded {seeded['runs']:,} runs, {seeded['messages']:,} messages"
            f" in {time.monotonic() - t0:.0f} s",
            flush=True,
        )
    print(f"trace of {seed_trace(db_url)} runs added", flush=True)
    t0 = time.monotonic()
    rebuild_rollups(db_url)  # the seeders write rows directly, past the writer
    print(f"dashboard summaries rebuilt in {time.monotonic() - t0:.1f} s", flush=True)
    with reference_receiver(db_url) as url:
        rows = time_pages(url, args.repeat)
    load = os.getloadavg()[0]
    print(
        f"\nPage timings in Chromium ({args.runs:,} runs, {args.runs // 5:,} messages;"
        f" load average {load:.1f} on {os.cpu_count()} cores):"
    )
    print(f"{'page':<24} {'shows':<32} {'median':>9} {'max':>9} {'app drawn':>10}")
    for r in rows:
        print(
            f"{r['page']:<24} {r['shows']:<32} {r['median_ms']:>6} ms {r['max_ms']:>6} ms"
            f" {r['app_drawn_median_ms']:>7} ms"
        )
    if args.out:
        report = {
            "runs": args.runs,
            "messages": args.runs // 5,
            "load_average": load,
            "cpus": os.cpu_count(),
            "pages": rows,
        }
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


SHOTS = [
    ("runs", "/runs"),
    ("trace", "/runs/{root}"),
    ("threads", "/threads"),
    ("thread", "/threads/{thread}"),
    ("dashboard", "/dashboard?window=1h"),
    ("compare", "/compare?baseline=1.4.0&candidate=1.5.0&agent=support-agent"),
]


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def seed_releases(url: str, runs: int = 120) -> None:
    """Two releases of ``support-agent`` two days ago (1.5.0: ~25% slower, a longer
    tail, one more tool call's tokens) and a prompt change 20 minutes ago."""
    import random

    import httpx

    rng = random.Random(7)
    day = time.time() - 2 * 86400
    events: list[dict[str, Any]] = []
    for n, (release, slow, tokens) in enumerate((("1.4.0", 1.0, 900), ("1.5.0", 1.25, 1300))):
        for i in range(runs):
            start = day + n * 3 * 3600 + i * 60
            latency = rng.lognormvariate(0.3, 0.45) * slow * (1.6 if rng.random() < 0.05 * slow else 1)
            root = f"shot-{release}-{i}"
            meta = {"agent": "support-agent"}
            events += [
                {"name": "agent_start", "run_id": root, "timestamp": _stamp(start),
                 "release": release, "metadata": meta},
                {"name": "llm", "run_id": root + "-llm", "parent_run_id": root,
                 "timestamp": _stamp(start), "release": release, "model": "gpt-4o-mini",
                 "prompt_tokens": int(tokens * rng.uniform(0.7, 1.3)), "completion_tokens": 120},
                {"name": "agent_end", "run_id": root, "timestamp": _stamp(start + latency),
                 "release": release, "metadata": meta,
                 "status": "error" if rng.random() < 0.04 else "success"},
            ]
    httpx.post(url + "/api/report", json={"events": events}, timeout=60).raise_for_status()
    change = {"kind": "prompt", "ref": "prompt:refunds-v7", "summary": "Shorter refund policy prompt",
              "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1200))}
    httpx.post(url + "/api/changes", json=change, timeout=30).raise_for_status()


def take_screenshots(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="obs-shots-"))
    db_url = f"sqlite:///{tmp / 'demo.db'}"
    for _ in range(3):  # a few traces, so the list and the charts have something to show
        subprocess.run(
            [sys.executable, "-m", "observatory.server.cli", "demo", "--db", db_url],
            check=True,
            capture_output=True,
        )
    with reference_receiver(db_url) as url:
        import httpx

        root = httpx.get(url + "/api/run/", params={"type": "agent", "limit": 1}).json()
        thread = httpx.get(url + "/api/threads", params={"limit": 1}).json()
        ids = {"root": root["runs"][0]["run_id"], "thread": thread["threads"][0]["thread_id"]}
        seed_releases(url)
        with sync_playwright() as p:
            browser = _browser(p)
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            for name, path in SHOTS:
                page.goto(url + path.format(**ids))
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)
                # the compare's charts sit below the fold
                page.screenshot(path=str(out_dir / f"ui-{name}.png"), full_page=name == "compare")
                print(out_dir / f"ui-{name}.png")
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", help="reuse (or create) this SQLite file")
    parser.add_argument("--out", help="write the timings as JSON here")
    parser.add_argument("--screenshots", type=Path, help="write page screenshots here instead")
    args = parser.parse_args()
    if args.screenshots:
        take_screenshots(args.screenshots)
    else:
        run_timings(args)


if __name__ == "__main__":
    main()
