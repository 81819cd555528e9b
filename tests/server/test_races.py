"""Several receivers (separate processes, separate ports) on one PostgreSQL database.

Each case posts to 2-3 ``observatory serve`` processes at once and repeats enough
rounds to catch a race: the same batch twice, a run's start and end split,
children and parents on different receivers, retention while ingesting, and a
receiver killed mid-batch.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from observatory.server import db, models

from .conftest import Subprocess, cli, uid
from .pgcluster import Cluster

ROUNDS = 12
TIMEOUT_S = 10.0  # every batch answers 200 within this, under contention


def start(url: str) -> Subprocess:
    # generous: three processes importing and seeding at once on a busy 2-core machine
    return Subprocess(url, start_timeout=120)


@pytest.fixture(scope="module")
def receivers(pg_cluster: Cluster) -> Iterator[list[Subprocess]]:
    """Three receivers on one new PostgreSQL database (tests add uniquely-named data)."""
    url = pg_cluster.create_database()
    procs: list[Subprocess] = []
    try:
        with ThreadPoolExecutor(3) as pool:  # concurrent starts on an empty database
            procs.extend(pool.map(lambda _: start(url), range(3)))
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        pg_cluster.drop_database(url)


def post(proc: Subprocess, events: list[dict[str, Any]]) -> dict[str, Any]:
    """POST one batch on a connection of its own; it must answer 200 in time."""
    with httpx.Client(base_url=proc.url, timeout=30) as client:
        started = time.monotonic()
        resp = client.post("/api/report", json={"events": events})
        took = time.monotonic() - started
    assert resp.status_code == 200, resp.text
    assert took < TIMEOUT_S, f"a batch took {took:.1f}s"
    return dict(resp.json())


def fan_out(jobs: list[tuple[Subprocess, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Post every (receiver, batch) at the same time."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: post(*job), jobs))


def get(proc: Subprocess, path: str, **params: Any) -> Any:
    resp = httpx.get(proc.url + path, params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def llm(run_id: str, parent: str | None, event_id: str | None = None) -> dict[str, Any]:
    return {
        "name": "llm",
        "run_id": run_id,
        "parent_run_id": parent,
        "model": "gpt-4o",
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        **({"event_id": event_id} if event_id else {}),
    }


def metric(proc: Subprocess, line: str) -> float:
    text = httpx.get(proc.url + "/metrics", timeout=30).text
    for row in text.splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    raise AssertionError(f"{line} not in /metrics")


def test_same_batch_to_receivers_at_once_is_stored_once(receivers: list[Subprocess]) -> None:
    accepted = duplicates = 0
    for _ in range(ROUNDS):
        run = uid("dup")
        batch = [
            {"name": "tool_start", "run_id": run, "event_id": f"{run}-s"},
            {"name": "tool_end", "run_id": run, "event_id": f"{run}-e"},
            {"name": "chat", "thread_id": run, "role": "user", "content": "hi", "event_id": run},
            {"name": "custom", "event_id": f"{run}-c"},
        ]
        answers = fan_out([(proc, batch) for proc in receivers])
        accepted += sum(a["accepted"] for a in answers)
        duplicates += sum(a["duplicates"] for a in answers)
        assert sum(a["accepted"] for a in answers) == len(batch), answers
        detail = get(receivers[0], f"/api/run/{run}")
        assert len(detail["events"]) == 2 and detail["status"] == "success"
        thread = get(receivers[1], f"/api/threads/{run}")
        assert len(thread["messages"]) == 1
    assert duplicates == (len(receivers) - 1) * accepted


def test_start_and_end_on_different_receivers_fold_into_one_run(
    receivers: list[Subprocess],
) -> None:
    a, b = receivers[:2]
    for _ in range(ROUNDS):
        runs = [uid("split") for _ in range(20)]
        starts = [{"name": "agent_start", "run_id": r, "input": {"q": r}} for r in runs]
        ends = [{"name": "agent_end", "run_id": r, "output": {"a": r}} for r in runs]
        fan_out([(a, starts), (b, ends)])
        for run in runs:
            detail = get(receivers[2], f"/api/run/{run}")
            assert detail["status"] == "success", detail
            assert detail["start_time"] and detail["end_time"], detail
            assert detail["input"] and detail["output"], detail


def test_children_and_parents_on_different_receivers_add_up(
    receivers: list[Subprocess],
) -> None:
    one = None
    for _ in range(ROUNDS // 2):
        root = uid("root")
        mids = [uid("mid") for _ in range(3)]
        jobs: list[tuple[Subprocess, list[dict[str, Any]]]] = []
        procs = itertools.cycle(receivers)
        jobs.append((next(procs), [{"name": "agent_start", "run_id": root}]))
        for mid in mids:
            jobs.append(
                (next(procs), [{"name": "agent_start", "run_id": mid, "parent_run_id": root}])
            )
            for k in range(3):
                jobs.append((next(procs), [llm(f"{mid}-{k}", mid)]))
        fan_out(jobs)
        detail = get(receivers[0], f"/api/run/{f'{mids[0]}-0'}")
        one = one or detail["cost"]
        assert one > 0
        for mid in mids:
            assert get(receivers[1], f"/api/run/{mid}")["subtree_cost"] == pytest.approx(3 * one)
        assert get(receivers[2], f"/api/run/{root}")["subtree_cost"] == pytest.approx(9 * one)


def test_cost_recalc_while_ingesting_keeps_subtree_costs_right(
    receivers: list[Subprocess],
) -> None:
    """A recalc after a price change rewrites subtree costs from ``runs``: children
    that receivers add meanwhile must be neither lost from their parent's sum nor
    counted twice (the parent's subtree cost equals its children's costs)."""
    root = uid("rc-root")
    model = uid("rc-model")
    post(receivers[0], [{"name": "agent_start", "run_id": root}])
    children: list[str] = []

    def ingest() -> None:
        for n in range(ROUNDS * 2):
            batch = [{**llm(f"{root}-{n}-{k}", root), "model": model} for k in range(5)]
            children.extend(e["run_id"] for e in batch)
            post(receivers[1 + n % 2], batch)

    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(ingest)
        for price in range(1, 7):
            put = httpx.put(
                f"{receivers[0].url}/api/costs/{model}",
                json={"input": float(price), "output": float(price)},
                timeout=30,
            )
            assert put.status_code == 200, put.text
            resp = httpx.post(receivers[0].url + "/api/costs/recalc", timeout=30)
            assert resp.status_code == 200, resp.text
        job.result()
    costs = [get(receivers[0], f"/api/run/{child}")["cost"] for child in children]
    assert all(cost > 0 for cost in costs)
    assert get(receivers[2], f"/api/run/{root}")["subtree_cost"] == pytest.approx(sum(costs))


def test_one_users_messages_on_every_receiver_make_one_session(
    receivers: list[Subprocess],
) -> None:
    """Minutes 0, 50 and 25 of one agent + user, each at another receiver at once:
    the 25th bridges the other two into one session whichever commits first."""
    for _ in range(ROUNDS):
        agent = uid("bridge")

        def chat(minute: int, agent: str = agent) -> dict[str, Any]:
            return {
                "name": "chat",
                "role": "user",
                "content": "hi",
                "timestamp": f"2026-05-02T03:{minute:02d}:00.000Z",
                "metadata": {"agent": agent, "user_email": "u@example.com"},
            }

        fan_out([(proc, [chat(m)]) for proc, m in zip(receivers, (0, 50, 25), strict=True)])
        threads = get(receivers[0], "/api/threads", agent=agent)["threads"]
        assert [t["message_count"] for t in threads] == [3], threads
        assert threads[0]["first_time"].startswith("2026-05-02T03:00:00")


def test_metrics_show_the_store_totals_on_every_receiver(receivers: list[Subprocess]) -> None:
    accepted = 'observatory_events_total{outcome="accepted"}'
    for proc in receivers:  # each adds what it still holds of the tests before
        metric(proc, accepted)
    before = metric(receivers[0], accepted)
    jobs = [(p, [llm(uid("m"), None) for _ in range(10)]) for p in receivers * 4]
    fan_out(jobs)
    want = before + 10 * len(jobs)
    deadline = time.monotonic() + 2.0
    seen: list[float] = []
    while time.monotonic() < deadline:
        seen = [metric(p, accepted) for p in receivers]
        if all(v == want for v in seen):
            break
        time.sleep(0.1)
    assert seen == [want] * len(receivers)


def test_retention_while_ingesting_keeps_new_runs_whole(
    receivers: list[Subprocess], pg_cluster: Cluster
) -> None:
    db_url = receivers[0].db_url
    old = [uid("old") for _ in range(300)]
    post(
        receivers[0],
        [{"name": "tool", "run_id": r, "timestamp": "2020-01-01T00:00:00Z"} for r in old],
    )
    fresh: list[str] = []

    def ingest() -> None:
        for _ in range(ROUNDS):
            runs = [uid("new") for _ in range(20)]
            fresh.extend(runs)
            fan_out(
                [
                    (receivers[1], [{"name": "agent_start", "run_id": r} for r in runs]),
                    (
                        receivers[2],
                        [llm(f"{r}-c", r) for r in runs]
                        + [{"name": "agent_end", "run_id": r} for r in runs],
                    ),
                ]
            )

    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(ingest)
        done = cli("retention", "--days", "30", "--db", db_url)
        job.result()
    assert "deleted 300 runs" in done.stdout, done.stdout
    for run in fresh[:: max(1, len(fresh) // 40)]:
        detail = get(receivers[0], f"/api/run/{run}")
        assert detail["status"] == "success" and detail["subtree_cost"] > 0
    assert httpx.get(receivers[0].url + f"/api/run/{old[0]}", timeout=30).status_code == 404


def test_a_killed_receiver_loses_nothing_it_acknowledged(receivers: list[Subprocess]) -> None:
    victim, other = receivers[0], receivers[1]
    acked: list[str] = []
    stop = time.monotonic() + 1.5

    def hammer() -> None:
        with httpx.Client(base_url=victim.url, timeout=30) as client:
            while time.monotonic() < stop + 5:
                runs = [uid("k") for _ in range(50)]
                try:
                    resp = client.post("/api/report", json={"events": [llm(r, None) for r in runs]})
                except httpx.HTTPError:
                    return
                if resp.status_code == 200:
                    acked.extend(runs)

    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(hammer) for _ in range(2)]
        while time.monotonic() < stop:
            time.sleep(0.05)
        victim.kill()
        for job in jobs:
            job.result()
    receivers[0] = start(victim.db_url)  # for the tests after this one
    assert acked
    database = db.connect(other.db_url)
    try:
        with database.read.connect() as conn:
            stored = set(
                conn.execute(
                    select(models.runs.c.run_id).where(models.runs.c.run_id.in_(acked))
                ).scalars()
            )
    finally:
        database.dispose()
    assert stored == set(acked)


def test_receivers_start_together_on_an_empty_database(receivers: list[Subprocess]) -> None:
    for proc in receivers:
        assert get(proc, "/health")["status"] == "ok"
