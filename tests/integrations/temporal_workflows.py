"""Workflows and activities for the Temporal tests (importable: the sandbox needs a real module).

Only the workflow runs inside the sandbox; activities run on the worker as
normal code, so the decorated ``@observatory.llm`` call inside ``draft``
nests under the activity's run.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import observatory


@observatory.llm(model="gpt-4o-mini")
def call_model(prompt: str) -> dict:
    """Stands in for a provider call: returns OpenAI-shaped usage."""
    return {"text": prompt.upper(), "usage": {"prompt_tokens": 12, "completion_tokens": 3}}


@activity.defn
async def research(topic: str) -> str:
    return f"notes on {topic}"


@activity.defn
def draft(notes: str) -> str:
    """A sync activity (thread pool): the run context must reach its thread."""
    return call_model(notes)["text"]


@activity.defn
async def flaky(topic: str) -> str:
    if activity.info().attempt < 2:
        raise RuntimeError("transient outage")
    return topic


@workflow.defn
class WriterWorkflow:
    @workflow.run
    async def run(self, topic: str) -> str:
        notes = await workflow.execute_activity(research, topic, start_to_close_timeout=timedelta(seconds=10))
        return await workflow.execute_activity(draft, notes, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn
class ParentWorkflow:
    @workflow.run
    async def run(self, topic: str) -> str:
        from temporalio.common import RetryPolicy

        retried = await workflow.execute_activity(
            flaky, topic, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=3),
        )
        return await workflow.execute_child_workflow(WriterWorkflow.run, retried, id=f"{workflow.info().workflow_id}-child")


@workflow.defn
class FailingWorkflow:
    @workflow.run
    async def run(self, reason: str) -> str:
        from temporalio.exceptions import ApplicationError

        raise ApplicationError(reason, non_retryable=True)


@workflow.defn
class ApprovalWorkflow:
    def __init__(self) -> None:
        self.approved: str | None = None

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approved = who

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.approved is not None, timeout=timedelta(seconds=30))
        return f"approved by {self.approved}"
