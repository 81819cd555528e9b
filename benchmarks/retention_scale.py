"""``observatory retention`` (batched deletes) at scale, on SQLite and on PostgreSQL.

    python -m benchmarks.retention_scale [--runs 1000000] [--days 15] [--events-per-run 2]
                                         [--stores sqlite,postgresql] [--out FILE]

Each store gets the runs of ``workers/seed_runs.py`` (30 days of start times, tags,
one chat message per five runs) plus ``--events-per-run`` event rows per run, and
its summaries rebuilt; then ``observatory retention --days N`` runs as a user
would run it and is timed from start to exit. PostgreSQL is a throwaway cluster
(tests/server/pgcluster.py, or ``OBSERVATORY_TEST_PG_URL``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.ui_pages import rebuild_rollups  # noqa: E402
from benchmarks.workers.seed_runs import seed  # noqa: E402
from tests.server.pgcluster import Cluster  # noqa: E402

CHUNK = 50_000


def seed_events(db_url: str, per_run: int) -> int:
    """``per_run`` event rows for every seeded run (start and end, as the SDK sends)."""
    from sqlalchemy import select

    from observatory.server import db, models

    database = db.connect(db_url)
    r, e = models.runs, models.events
    count = 0
    try:
        with database.read.connect() as conn:
            runs = conn.execute(select(r.c.project_id, r.c.run_id, r.c.sort_time)).all()
        for start in range(0, len(runs), CHUNK):
            rows = [
                (p, f"{rid}-e{k}", rid, "run", ts + k, '{"name": "run"}')
                for p, rid, ts in runs[start : start + CHUNK]
                for k in range(per_run)
            ]
            with database.write.begin() as conn:
                db.insert_tuples(
                    conn, e, ("project_id", "event_id", "run_id", "name", "ts", "body"), rows
                )
            count += len(rows)
    finally:
        database.dispose()
    return count


def store_counts(db_url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from observatory.server import db, models

    database = db.connect(db_url)
    try:
        with database.read.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (models.runs, models.events, models.run_tags, models.messages)
            }
    finally:
        database.dispose()


def measure(db_url: str, store: str, args: argparse.Namespace) -> dict[str, object]:
    started = time.monotonic()
    seeded = seed(db_url, args.runs)
    events = seed_events(db_url, args.events_per_run)
    rebuild_rollups(db_url)
    seed_s = time.monotonic() - started
    before = store_counts(db_url)
    started = time.monotonic()
    done = subprocess.run(
        ["observatory", "retention", "--days", str(args.days), "--db", db_url],
        capture_output=True,
        text=True,
        check=True,
    )
    retention_s = time.monotonic() - started
    row = {
        "store": store,
        "runs": seeded["runs"],
        "events": events,
        "seed_s": round(seed_s),
        "before": before,
        "after": store_counts(db_url),
        "retention_s": round(retention_s, 1),
        "output": done.stdout.strip(),
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=15)
    parser.add_argument("--events-per-run", type=int, default=2)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    rows = []
    stores = args.stores.split(",")
    if "sqlite" in stores:
        with tempfile.TemporaryDirectory() as folder:
            rows.append(measure(f"sqlite:///{folder}/obs.db", "sqlite", args))
    if "postgresql" in stores:
        cluster = Cluster.start()
        try:
            rows.append(measure(cluster.create_database(), "postgresql", args))
        finally:
            cluster.stop()
    if args.out:
        args.out.write_text(json.dumps({"days": args.days, "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
