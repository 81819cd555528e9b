"""``init(otel=True)``: runs as spans of the user's tracer provider, checked on both sides
(the finished spans and the wire events). A fresh interpreter per case: a process has
one global tracer provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("opentelemetry.sdk.trace")

PRELUDE = """
    import asyncio, json
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import observatory
    from observatory._transport import InMemoryTransport

    def dump(spans, transport):
        print(json.dumps({
            "spans": [{"name": s.name, "id": format(s.context.span_id, "016x"),
                       "trace": format(s.context.trace_id, "032x"),
                       "parent": format(s.parent.span_id, "016x") if s.parent else None,
                       "status": s.status.status_code.name, "attrs": dict(s.attributes),
                       "events": [e.name for e in s.events]} for s in spans],
            "events": transport.events}))
"""


def _run(body: str) -> dict:
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OBSERVATORY_SHUTDOWN_TIMEOUT": "1"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_runs_become_nested_genai_spans_with_the_users_spans_inside() -> None:
    out = _run("""
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        tracer = trace.get_tracer("app")
        transport = InMemoryTransport()
        observatory.init(otel=True, transport=transport, flush_interval=0.05)

        @observatory.llm(model="gpt-4o")
        def call(q):
            observatory.current_run().set_usage(prompt_tokens=7, completion_tokens=2, cached_tokens=3)
            with tracer.start_as_current_span("POST /v1/chat"):
                pass
            return "ok"

        @observatory.tool
        async def fails():
            raise ValueError("boom")

        @observatory.agent
        def planner():
            call("q")
            try:
                asyncio.run(fails())
            except ValueError:
                pass
            return 1

        planner()
        manual = observatory.start_run("agent", "by-hand", run_id="lc-1")
        with manual.activate():
            with tracer.start_as_current_span("inside by-hand"):
                pass
        manual.end("done")
        observatory.flush(5)
        dump(exporter.get_finished_spans(), transport)
    """)
    spans = {s["name"]: s for s in out["spans"]}
    by_hand = spans["invoke_agent by-hand"]
    assert spans["inside by-hand"]["parent"] == by_hand["id"]  # activate() makes the span current
    assert by_hand["attrs"]["observatory.run_id"] == "lc-1"  # an explicit run id is kept
    agent, llm, tool, http = (spans[n] for n in
                              ("invoke_agent planner", "chat gpt-4o", "execute_tool fails", "POST /v1/chat"))
    assert agent["parent"] is None and llm["parent"] == agent["id"] and tool["parent"] == agent["id"]
    assert http["parent"] == llm["id"]  # the user's span nests under the run's span
    assert agent["attrs"]["gen_ai.operation.name"] == "invoke_agent"
    assert agent["attrs"]["gen_ai.agent.name"] == "planner"
    assert llm["attrs"]["gen_ai.usage.input_tokens"] == 7
    assert llm["attrs"]["gen_ai.usage.cache_read.input_tokens"] == 3
    assert llm["attrs"]["gen_ai.response.model"] == "gpt-4o"
    assert (tool["status"], tool["events"], tool["attrs"]["error.type"]) == ("ERROR", ["exception"], "ValueError")

    events = {(e["name"], e["run_id"]): e for e in out["events"]}
    for span in (agent, llm, tool):
        start = next(e for (name, rid), e in events.items() if rid == span["id"] and name.endswith("_start"))
        assert start["span_id"] == span["id"] and start["trace_id"] == span["trace"]
        assert span["attrs"]["observatory.run_id"] == span["id"]
    llm_start = next(e for (name, rid), e in events.items() if rid == llm["id"])
    assert llm_start["parent_run_id"] == agent["id"]


def test_without_a_recording_provider_otel_changes_nothing() -> None:
    out = _run("""
        transport = InMemoryTransport()
        observatory.init(otel=True, transport=transport, flush_interval=0.05)

        @observatory.agent
        def planner():
            return 1

        planner()
        observatory.flush(5)
        dump([], transport)
    """)
    (start, end) = out["events"]
    assert "span_id" not in start and len(start["run_id"]) == 36
    assert start["trace_id"] == start["run_id"].replace("-", "")


def test_otel_stays_unimported_when_off() -> None:
    code = """
        import sys, observatory
        observatory.init(api_url="http://127.0.0.1:9", enabled=True)
        @observatory.agent
        def f():
            return 1
        f()
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env={**os.environ, "OBSERVATORY_SHUTDOWN_TIMEOUT": "0.2"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "opentelemetry.sdk" not in proc.stdout and "opentelemetry.trace" not in proc.stdout
