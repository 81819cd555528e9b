"""``POST /v1/traces`` with the OpenTelemetry SDK's own OTLP/HTTP exporters (protobuf
and JSON) against the real receiver, and the spec's edge cases by hand."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.proto")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.trace import Status, StatusCode  # noqa: E402

from .conftest import Server  # noqa: E402


def _provider(exporter: Any) -> Any:
    provider = sdk_trace.TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _exporter(kind: str, server: Server, monkeypatch: pytest.MonkeyPatch, key: str | None) -> Any:
    """A stock exporter configured only through the environment, as users would."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.url)
    if key:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{key}")
    if kind == "protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        json_http = pytest.importorskip("opentelemetry.exporter.otlp.json.http.trace_exporter")
        OTLPSpanExporter = json_http.OTLPSpanExporter  # noqa: N806
    return OTLPSpanExporter()


@pytest.fixture(params=["protobuf", "json"])
def tracer(request: pytest.FixtureRequest, server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server.key = server.create_key("otel")
    provider = _provider(_exporter(request.param, server, monkeypatch, server.key))
    yield provider.get_tracer("test")
    provider.shutdown()


def test_stock_exporters_store_genai_spans_as_a_tree(tracer: Any, server: Server) -> None:
    with tracer.start_as_current_span("invoke_agent planner") as agent:
        agent.set_attributes({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
                              "gen_ai.conversation.id": "conv-1"})
        with tracer.start_as_current_span("GET /weather") as http:
            http.set_attribute("http.request.method", "GET")
            with tracer.start_as_current_span("chat gpt-4o") as chat:
                chat.set_attributes({
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.input_tokens": 1000,
                    "gen_ai.usage.output_tokens": 100,
                    "gen_ai.usage.cache_read.input_tokens": 400,
                    "gen_ai.usage.cost": 99.0,
                    "gen_ai.conversation.id": "conv-1",
                    "gen_ai.input.messages": json.dumps([
                        {"role": "user", "parts": [{"type": "text", "content": "old question"}]},
                        {"role": "assistant", "parts": [{"type": "text", "content": "old answer"}]},
                        {"role": "user", "parts": [{"type": "text", "content": "weather?"}]},
                    ]),
                    "gen_ai.output.messages": json.dumps([
                        {"role": "assistant", "parts": [{"type": "text", "content": "sunny"}],
                         "finish_reason": "stop"},
                    ]),
                })
        with tracer.start_as_current_span("execute_tool lookup") as tool:
            tool.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
                                 "gen_ai.tool.call.arguments": '{"city": "Oslo"}'})
            tool.record_exception(ValueError("no such city"))
            tool.set_status(Status(StatusCode.ERROR, "no such city"))
        trace_id = f"{agent.get_span_context().trace_id:032x}"
        ids = {s.name: f"{s.get_span_context().span_id:016x}" for s in (agent, http, chat, tool)}

    runs = {r["run_id"]: r for r in server.runs(trace_id=trace_id)}
    assert set(runs) == set(ids.values())
    a, h, c, t = (runs[ids[n]] for n in ("invoke_agent planner", "GET /weather", "chat gpt-4o",
                                         "execute_tool lookup"))
    assert (a["type"], a["name"], a["agent"], a["parent_run_id"]) == ("agent", "planner", "planner", None)
    assert (h["type"], h["name"], h["parent_run_id"]) == ("span", "GET /weather", a["run_id"])
    assert (c["type"], c["parent_run_id"], c["model"]) == ("llm", h["run_id"], "gpt-4o-2024-08-06")
    assert (c["prompt_tokens"], c["completion_tokens"], c["cached_tokens"]) == (1000, 100, 400)
    assert c["cost_status"] != "" and c["cost"] < 1.0  # the client's 99 USD is not trusted
    assert c["output"][0]["parts"][0]["content"] == "sunny"
    assert c["latency_s"] is not None and c["status"] == "success"
    assert (t["type"], t["name"], t["status"]) == ("tool", "lookup", "error")
    assert t["error"]["type"] == "ValueError" and t["input"] == {"city": "Oslo"}
    assert all(r["trace_id"] == trace_id for r in runs.values())
    assert server.runs(agent="planner", type="agent")[0]["run_id"] == a["run_id"]

    thread = server.client.get("/api/threads/conv-1", headers=server.headers()).json()
    assert [(m["role"], m["content"]) for m in thread["messages"]] == [
        ("user", "weather?"), ("assistant", "sunny")
    ]


def test_older_names_cache_pricing_users_and_evaluations(tracer: Any, server: Server) -> None:
    price = server.client.put("/api/costs/model-x",
                              json={"input": 2.0, "output": 8.0, "cached_input": 0.5},
                              headers=server.headers())
    assert price.status_code == 200, price.text
    with tracer.start_as_current_span("completion") as span:
        span.set_attributes({
            "gen_ai.operation.name": "text_completion",
            "gen_ai.system": "acme",
            "gen_ai.request.model": "model-x",
            "gen_ai.usage.prompt_tokens": 1000,
            "gen_ai.usage.completion_tokens": 100,
            "gen_ai.usage.cache_read_input_tokens": 800,
            "user.id": "ada@example.com",
        })
        span.add_event("gen_ai.evaluation.result", {
            "gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.label": "Relevant",
            "gen_ai.evaluation.score.value": 0.1, "gen_ai.evaluation.explanation": "on topic"})
        span.add_event("gen_ai.evaluation.result", {
            "gen_ai.evaluation.name": "faithfulness", "gen_ai.evaluation.score.value": 0.2})
        span.add_event("gen_ai.evaluation.result", {"gen_ai.evaluation.name": "no verdict"})
        run_id = f"{span.get_span_context().span_id:016x}"
    run = server.run(run_id)
    assert (run["type"], run["model"], run["metadata"]["provider"]) == ("llm", "model-x", "acme")
    assert (run["prompt_tokens"], run["cached_tokens"], run["user_email"]) == (1000, 800, "ada@example.com")
    assert run["cost"] == pytest.approx((200 * 2.0 + 800 * 0.5 + 100 * 8.0) / 1e6)
    ratings = [(f["rating"], f["comment"]) for f in run["feedback"]]
    assert ratings == [
        ("positive", "name=relevance label=Relevant score=0.1: on topic"),  # the label decides
        ("negative", "name=faithfulness score=0.2"),
    ]
    assert server.runs(user_email="ada@example.com")[0]["run_id"] == run_id


def test_exported_twice_is_stored_once(server: Server) -> None:
    body = _request([_span(b"\x01" * 16, b"\x02" * 8, "step")]).SerializeToString()
    for _ in range(2):
        resp = server.client.post("/v1/traces", content=body,
                                  headers={"Content-Type": "application/x-protobuf"})
        assert resp.status_code == 200
    assert len(server.runs(trace_id="01" * 16)) == 1


# -- by hand: encodings, partial success, errors ------------------------------------------


def _span(trace: bytes, span: bytes, name: str, **attrs: Any) -> Any:
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    s = Span(trace_id=trace, span_id=span, name=name, start_time_unix_nano=1_780_000_000_000_000_000,
             end_time_unix_nano=1_780_000_000_500_000_000)
    for key, value in attrs.items():
        kv = s.attributes.add(key=key)
        if isinstance(value, str):
            kv.value.string_value = value
        else:
            kv.value.int_value = value
    return s


def _request(spans: list[Any]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.extend(spans)
    return request


def test_a_span_with_bad_ids_is_refused_alone_in_a_partial_success(server: Server) -> None:
    good = _span(b"\x03" * 16, b"\x04" * 8, "kept")
    no_trace = _span(b"", b"\x05" * 8, "no trace")
    zero_span = _span(b"\x03" * 16, b"\x00" * 8, "zero span")
    resp = server.client.post(
        "/v1/traces", content=gzip.compress(_request([good, no_trace, zero_span]).SerializeToString()),
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(resp.content)
    assert answer.partial_success.rejected_spans == 2
    assert "no trace" in answer.partial_success.error_message
    assert [r["name"] for r in server.runs(trace_id="03" * 16)] == ["kept"]


def test_json_uses_hex_ids_and_answers_in_json(server: Server) -> None:
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "0A" * 16, "spanId": "0b" * 8, "name": "retrieve", "kind": 1,
         "startTimeUnixNano": "1780000000000000000", "endTimeUnixNano": 1780000000250000000,
         "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "RETRIEVER"}}],
         "status": {"code": 2, "message": "index offline"}},
        {"traceId": "not hex", "spanId": "0c" * 8, "name": "broken"},
    ]}]}]}
    resp = server.client.post("/v1/traces", json=body)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    assert resp.json()["partialSuccess"]["rejectedSpans"] in (1, "1")
    (run,) = server.runs(trace_id="0a" * 16)
    assert (run["run_id"], run["type"], run["name"], run["status"]) == ("0b" * 8, "span", "retrieve", "error")
    assert run["error"]["message"] == "index offline" and run["latency_s"] == 0.25


def test_runs_inside_an_agent_span_of_the_same_export_carry_its_name(server: Server) -> None:
    trace = b"\x11" * 16
    agent = _span(trace, b"\x12" * 8, "invoke_agent", **{"gen_ai.operation.name": "invoke_agent",
                                                          "gen_ai.agent.name": "triage"})
    http = _span(trace, b"\x13" * 8, "GET /kb")
    http.parent_span_id = agent.span_id
    chat = _span(trace, b"\x14" * 8, "chat", **{"gen_ai.operation.name": "chat"})
    chat.parent_span_id = http.span_id
    other = _span(trace, b"\x15" * 8, "unrelated")
    # children first, as a batch processor exports them (a child ends before its parent)
    body = _request([chat, http, agent, other]).SerializeToString()
    resp = server.client.post("/v1/traces", content=body,
                              headers={"Content-Type": "application/x-protobuf"})
    assert resp.status_code == 200
    assert sorted(r["name"] for r in server.runs(agent="triage")) == ["GET /kb", "chat", "triage"]
    assert server.run("15" * 8)["agent"] is None


def test_odd_attribute_values_are_stored_as_sent(server: Server) -> None:
    odd = _span(b"\x0d" * 16, b"\x0e" * 8, "chat odd", **{
        "gen_ai.operation.name": "chat",
        "gen_ai.conversation.id": "t" * 300,  # longer than a thread id may be: no messages
        "gen_ai.input.messages": "[not json",
        "gen_ai.output.messages": '[{"role": "robot", "parts": ["x", 1]}, "loose"]',
        "gen_ai.usage.input_tokens": "many",
        "gen_ai.request.model": "m" * 500,
    })
    resp = server.client.post("/v1/traces", content=_request([odd]).SerializeToString(),
                              headers={"Content-Type": "application/x-protobuf"})
    assert resp.status_code == 200
    assert ExportTraceServiceResponse.FromString(resp.content).partial_success.rejected_spans == 0
    run = server.run("0e" * 8)
    assert run["input"] == "[not json" and run["prompt_tokens"] is None and len(run["model"]) == 200


def test_full_success_has_no_partial_success(server: Server) -> None:
    resp = server.client.post("/v1/traces", json={"resourceSpans": []})
    assert resp.status_code == 200 and resp.json() == {}


@pytest.mark.parametrize(
    ("headers", "body", "status", "words"),
    [
        ({"Content-Type": "text/plain"}, b"x", 415, "application/x-protobuf"),
        ({"Content-Type": "application/x-protobuf"}, b"\xff\xff\xff", 400, "ExportTraceServiceRequest"),
        ({"Content-Type": "application/json"}, b"{nope", 400, "not valid JSON"),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"notgzip", 400, "gzip"),
        ({"Content-Type": "application/json", "Content-Encoding": "br"}, b"{}", 415, "Content-Encoding"),
    ],
)
def test_bad_requests_get_a_status_saying_what_is_wrong(
    server: Server, headers: dict[str, str], body: bytes, status: int, words: str
) -> None:
    resp = server.client.post("/v1/traces", content=body, headers=headers)
    assert resp.status_code == status
    if resp.headers["content-type"] == "application/json":
        assert words in resp.json()["message"]
    else:
        assert words.encode() in resp.content


def test_body_limit_applies_after_decompression(tmp_path: Any) -> None:
    from observatory.server.runner import run_server

    url, stop = run_server(f"sqlite:///{tmp_path / 'o.db'}", max_body_bytes=10_000)
    try:
        import httpx

        big = _request([_span(b"\x07" * 16, b"\x08" * 8, "x" * 50_000)]).SerializeToString()
        resp = httpx.post(f"{url}/v1/traces", content=gzip.compress(big),
                          headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
        assert resp.status_code == 413
    finally:
        stop()


def test_keys_are_required_once_they_exist(server: Server) -> None:
    server.create_key("p")
    body = _request([_span(b"\x09" * 16, b"\x0a" * 8, "x")]).SerializeToString()
    resp = server.client.post("/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"})
    assert resp.status_code == 401
