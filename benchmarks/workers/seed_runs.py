"""Fill a receiver database with N runs (and N/5 chat messages) through the
server's own storage layer.

Rows go straight into ``models.runs`` (and ``models.run_tags``) with SQLAlchemy
Core ``executemany`` in chunks (no HTTP), with spreads of type, status, model,
agent, user, tags, cost and time that the ``GET /api/run/`` filters can select
on. Agent runs carry their children's cost in ``subtree_cost``, as the receiver
keeps it. Columns this file does not know get their default, or NULL.
"""

from __future__ import annotations

import json
import random
import time

from benchmarks.workers._common import args, emit

MODELS = [f"model-{i}" for i in range(20)]
AGENTS = [f"agent-{i}" for i in range(50)]
TAGS = [f"tag-{i}" for i in range(30)]
DAY_US = 86_400_000_000


def _row(i: int, project_id: int, now_us: int, rnd: random.Random) -> dict:
    kind = ("agent", "llm", "tool")[i % 3]
    start = now_us - rnd.randrange(30 * DAY_US)
    latency = rnd.random() * 10
    status = "error" if rnd.random() < 0.05 else ("started" if rnd.random() < 0.02 else "success")
    cost = rnd.random() / 100 if kind == "llm" else 0.0
    tags = sorted(set(rnd.sample(TAGS, rnd.randrange(3))))
    return {
        "project_id": project_id,
        "run_id": f"run-{i:08d}",
        "parent_run_id": None if kind == "agent" else f"run-{i - i % 3:08d}",
        "app_id": "bench",
        "type": kind,
        "name": f"{kind}-step",
        "agent": rnd.choice(AGENTS),
        "status": status,
        "start_time": start,
        "end_time": start + int(latency * 1e6),
        "sort_time": start,
        "latency_s": latency,
        "model": rnd.choice(MODELS) if kind == "llm" else None,
        "prompt_tokens": 100 if kind == "llm" else None,
        "completion_tokens": 20 if kind == "llm" else None,
        "total_tokens": 120 if kind == "llm" else None,
        "cost": cost,
        "cost_status": "ok" if kind == "llm" else "none",
        "subtree_cost": cost,
        "tags": json.dumps(tags) if tags else None,
        "user_email": f"user{rnd.randrange(1000)}@example.com",
        "saved": False,
        "input": '"question"',
        "output": '"answer"',
    }


def seed(db_url: str, n: int) -> dict:
    from observatory.server import app as server_app
    from observatory.server import auth, db, models
    from observatory.server.settings import Settings

    rx = server_app.open_receiver(Settings(db_url=db_url))
    engine = rx.db.write
    with engine.begin() as conn:
        project_id = auth.ensure_project(conn, db.DEFAULT_PROJECT)
    table = models.runs
    defaults = {c.name: None for c in table.columns if c.nullable}
    rnd, now_us = random.Random(7), time.time_ns() // 1000
    t0 = time.monotonic()
    chunk = 20_000  # a multiple of 3: every child is in its parent's chunk
    for start in range(0, n, chunk):
        rows = [
            {**defaults, **_row(i, project_id, now_us, rnd)}
            for i in range(start, min(n, start + chunk))
        ]
        by_id = {row["run_id"]: row for row in rows}
        for row in rows:
            parent = by_id.get(row["parent_run_id"] or "")
            if parent is not None:  # the agent run's subtree cost includes its children
                parent["subtree_cost"] += row["cost"]
        tag_rows = [
            {"project_id": project_id, "run_id": row["run_id"], "tag": tag}
            for row in rows
            for tag in json.loads(row["tags"] or "[]")
        ]
        rows = [{k: v for k, v in r.items() if k in table.c} for r in rows]
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
            if tag_rows:
                conn.execute(models.run_tags.insert(), tag_rows)
    messages = _seed_messages(engine, models.messages, project_id, n // MESSAGES_PER, now_us)
    db.analyze(engine)
    rx.db.dispose()
    return {
        "runs": n,
        "messages": messages,
        "seed_s": time.monotonic() - t0,
        "project_id": project_id,
    }


MESSAGES_PER = 5
"""One chat message per this many runs: half in threads of ten, half without
``thread_id`` (grouped by agent + user and 30-minute silences when read)."""


def _seed_messages(engine, table, project_id: int, n: int, now_us: int) -> int:
    rnd = random.Random(11)
    chunk = 20_000
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            threaded = i % 2 == 0
            rows.append(
                {
                    "project_id": project_id,
                    "message_id": f"msg-{i:08d}",
                    "thread_id": f"thread-{i // 20:07d}" if threaded else None,
                    "role": "user" if i % 4 < 2 else "assistant",
                    "content": '"hello"',
                    "run_id": None,
                    "app_id": "bench",
                    "agent": rnd.choice(AGENTS),
                    "user_email": f"user{rnd.randrange(1000)}@example.com",
                    "ts": now_us - rnd.randrange(30 * DAY_US),
                }
            )
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
    return n


if __name__ == "__main__":
    a = args()
    emit(seed(a["db_url"], a["n"]))
