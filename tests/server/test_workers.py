"""``observatory serve --workers 2``: two processes, one port, one store."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .conftest import Subprocess


def _all_runs(client: httpx.Client) -> list[dict]:
    runs: list[dict] = []
    cursor = None
    for _ in range(20):
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/run/", params=params).json()
        runs += page["runs"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return runs


def _llm(run_id: str, parent: str) -> dict:
    return {
        "name": "llm",
        "run_id": run_id,
        "parent_run_id": parent,
        "model": "gpt-4o",
        "prompt_tokens": 1000,
        "completion_tokens": 100,
    }


def test_two_workers_fold_one_store(tmp_path: Path) -> None:
    proc = Subprocess(f"sqlite:///{tmp_path / 'shared.db'}", "--workers", "2")
    parents = [f"p{i}" for i in range(40)]

    def post(events: list[dict]) -> dict:
        # a connection per batch, so both workers get batches
        with httpx.Client(base_url=proc.url, timeout=30) as client:
            answer = client.post("/api/report", json={"events": events})
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

    try:
        # children and their parents posted at the same time on different
        # connections: either order, either worker, the parent's subtree cost
        # must come out the same
        jobs = []
        for i, parent in enumerate(parents):
            jobs.append([_llm(f"c{i}-{k}", parent) for k in range(3)])
            jobs.append(
                [
                    {"name": "agent_start", "run_id": parent, "event_id": f"s-{parent}"},
                    {"name": "agent_end", "run_id": parent, "event_id": f"e-{parent}"},
                ]
            )
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(post, jobs))
        assert sum(a["accepted"] for a in answers) == 40 * 5
        resent = post([{"name": "agent_start", "run_id": "p0", "event_id": "s-p0"}])
        assert resent["duplicates"] == 1

        with httpx.Client(base_url=proc.url, timeout=30) as client:
            runs = {r["run_id"]: r for r in _all_runs(client)}
            assert len(runs) == 40 * 4
            child_cost = runs["c0-0"]["cost"]
            assert child_cost > 0
            for parent in parents:
                assert runs[parent]["status"] == "success"
                detail = client.get(f"/api/run/{parent}").json()
                assert abs(detail["subtree_cost"] - 3 * child_cost) < 1e-12, parent

            # each worker adds its counts to the store; the other one's last
            # second of counts may still be on its way
            expected = [
                'observatory_events_total{outcome="accepted"} 200',
                'observatory_events_total{outcome="duplicate"} 1',
                'observatory_batches_total{outcome="ok"} 81',
                "observatory_ingest_seconds_count 81",
                "observatory_runs 160",
            ]
            text = ""
            for _ in range(50):
                text = client.get("/metrics").text
                if all(line in text for line in expected):
                    break
                time.sleep(0.1)
            for line in expected:
                assert line in text
    finally:
        proc.proc.terminate()
        proc.proc.wait(30)
    assert proc.proc.returncode == 0
