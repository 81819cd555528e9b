"""One application, two kinds of telemetry, one tree: OpenTelemetry spans (stock OTLP
exporter) around and inside ``@observatory`` runs, both sent to the same receiver.

Each scenario runs as its own process, configured only through the environment
(``OBSERVATORY_OTEL``, ``OTEL_EXPORTER_OTLP_ENDPOINT``), as users configure it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from .conftest import Server

pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http.trace_exporter")

APP = """
    import sys
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    import observatory

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("app")

    @observatory.tool
    def search(q):
        return [q]

    @observatory.llm(model="gpt-4o-mini")
    def answer(q):
        observatory.current_run().set_usage(prompt_tokens=10, completion_tokens=5)
        raise RuntimeError("model overloaded")

    @observatory.agent
    def planner(q):
        with tracer.start_as_current_span("GET /search") as span:
            span.set_attribute("http.request.method", "GET")
            found = search(q)
        try:
            answer(q)
        except RuntimeError:
            pass
        return found

    with tracer.start_as_current_span("POST /ask") as root:
        planner("x")
        print(format(root.get_span_context().trace_id, "032x"))
    observatory.flush(10)
    provider.shutdown()
"""


def _run_app(server: Server, otel: bool) -> str:
    env = {
        **os.environ,
        "OBSERVATORY_API_URL": server.url,
        "OBSERVATORY_OTEL": "true" if otel else "false",
        "OTEL_EXPORTER_OTLP_ENDPOINT": server.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(APP)], env=env,
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _tree(server: Server, trace_id: str) -> dict[str, dict]:
    runs = server.runs(trace_id=trace_id)
    return {r["name"]: r for r in runs}


def test_with_otel_each_run_is_a_span_and_still_one_run(server: Server) -> None:
    trace_id = _run_app(server, otel=True)
    runs = _tree(server, trace_id)
    assert sorted(runs) == ["GET /search", "POST /ask", "answer", "planner", "search"]
    ask, planner, http, search, answer = (runs[n] for n in
                                          ("POST /ask", "planner", "GET /search", "search", "answer"))
    assert ask["parent_run_id"] is None and ask["type"] == "span"
    assert planner["parent_run_id"] == ask["run_id"] and planner["type"] == "agent"
    assert len(planner["run_id"]) == 16  # the run's id is its span's id
    assert http["parent_run_id"] == planner["run_id"]  # the user's span nests under the run
    assert search["parent_run_id"] == planner["run_id"]  # a run's span is under its parent run's
    assert (answer["status"], answer["parent_run_id"]) == ("error", planner["run_id"])
    assert planner["input"] == {"q": "x"} and planner["output"] == ["x"]  # the SDK's own events


def test_without_otel_runs_nest_under_the_enclosing_span(server: Server) -> None:
    trace_id = _run_app(server, otel=False)
    runs = _tree(server, trace_id)
    assert sorted(runs) == ["GET /search", "POST /ask", "answer", "planner", "search"]
    ask, planner, http, search = (runs[n] for n in ("POST /ask", "planner", "GET /search", "search"))
    assert planner["parent_run_id"] == ask["run_id"]
    assert search["parent_run_id"] == planner["run_id"]
    assert http["parent_run_id"] == ask["run_id"]  # planner is no span: the HTTP span hangs off the request
    roots = [r for r in runs.values() if r["parent_run_id"] is None]
    assert roots == [ask]
