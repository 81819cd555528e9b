"""One ingest client: POST gzip batches of SDK-shaped events, time each request.

Each trace is four events like the SDK sends (agent_start, an llm run with
tokens, a tool run, agent_end). Bounded by batch count and by time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time

from benchmarks.workers._common import args, emit


def _batch(client_no: int, batch_no: int, size: int) -> bytes:
    ts = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    events = []
    for k in range(size // 4):
        root = f"c{client_no}-b{batch_no}-t{k}"
        common = {"app_id": "bench", "timestamp": ts}
        events += [
            {
                "name": "agent_start",
                "event_id": root + "-1",
                "run_id": root,
                "input": "question",
                "agent": "bench-agent",
                **common,
            },
            {
                "name": "llm",
                "event_id": root + "-2",
                "run_id": root + "-llm",
                "parent_run_id": root,
                "model": "gpt-4o-mini",
                "prompt_tokens": 120,
                "completion_tokens": 30,
                "status": "success",
                "input": "prompt",
                "output": "reply",
                **common,
            },
            {
                "name": "tool",
                "event_id": root + "-3",
                "run_id": root + "-tool",
                "parent_run_id": root,
                "status": "success",
                "input": {"q": 1},
                "output": [1, 2],
                **common,
            },
            {
                "name": "agent_end",
                "event_id": root + "-4",
                "run_id": root,
                "status": "success",
                "output": "answer",
                **common,
            },
        ]
    return gzip.compress(json.dumps({"events": events}).encode(), 1)


def run(a: dict) -> dict:
    import httpx

    bodies = [_batch(a["client"], b, a["batch_size"]) for b in range(a["batches"])]
    latencies, accepted, errors = [], 0, 0
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    deadline = time.monotonic() + a["max_s"]
    with httpx.Client(base_url=a["url"], timeout=60) as client:
        t0 = time.monotonic()
        for body in bodies:
            s = time.perf_counter()
            resp = client.post("/api/report", content=body, headers=headers)
            latencies.append(time.perf_counter() - s)
            if resp.status_code == 200:
                accepted += resp.json().get("accepted", 0)
            else:
                errors += 1
            if time.monotonic() > deadline:
                break
        t1 = time.monotonic()
    return {"start": t0, "end": t1, "latencies": latencies, "accepted": accepted, "errors": errors}


if __name__ == "__main__":
    emit(run(args()))
