"""Filtered ``GET /api/run/`` (and ``/api/threads``) at scale on PostgreSQL, with each
query's plan.

    python -m benchmarks.pg_queries [--runs 1000000] [--repeats 10] [--out FILE]

Seeds a new database on a throwaway cluster (tests/server/pgcluster.py, or
``OBSERVATORY_TEST_PG_URL``) with ``workers/seed_runs.py`` (the store the SQLite
figures use), then times the same query list as the receiver scenario
(``scenarios/receiver.py``) against ``observatory serve``: median and p99 of
``--repeats`` after one warm-up each. ``EXPLAIN`` of each filter's main statement
is not reproduced here; the receiver's own statements are what is timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.reference import reference_receiver  # noqa: E402
from benchmarks.scenarios.receiver import QUERIES, THREAD_QUERIES, _timed_query  # noqa: E402
from benchmarks.ui_pages import rebuild_rollups  # noqa: E402
from benchmarks.workers.seed_runs import seed  # noqa: E402
from tests.server.pgcluster import Cluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    sizes = SimpleNamespace(query_runs=args.runs, query_repeats=args.repeats)
    cluster = Cluster.start()
    rows: list[dict[str, object]] = []
    try:
        url = cluster.create_database()
        started = time.monotonic()
        seeded = seed(url, args.runs)
        rebuild_rollups(url)  # the seed writes rows directly: the summaries from them
        print(json.dumps({"seeded": seeded, "s": round(time.monotonic() - started)}), flush=True)
        with reference_receiver(url, startup_s=300) as base:
            for path, templates in (("/api/run/", QUERIES), ("/api/threads", THREAD_QUERIES)):
                for template in templates:
                    try:
                        row = _timed_query(base, path, template, sizes, seeded)
                    except urllib.error.HTTPError as exc:
                        row = {"variant": f"GET {path}", "detail": template, "note": str(exc)}
                        row["body"] = exc.read().decode(errors="replace")[:300]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        cluster.stop()
    if args.out:
        args.out.write_text(json.dumps({"runs": args.runs, "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
