"""Instrumentations nobody here wrote, exporting to the real receiver with the stock
OTLP/HTTP exporter: OpenTelemetry's openai-v2 over the real ``openai`` client against
a loopback stub of the API, and OpenInference's LangChain instrumentor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Server

pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http.trace_exporter")

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402


@pytest.fixture
def provider(server: Server) -> Iterator[TracerProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{server.url}/v1/traces"))
    )
    yield tracer_provider
    tracer_provider.shutdown()


# -- openai-v2 ---------------------------------------------------------------------------


@pytest.fixture
def openai_client(provider: TracerProvider, monkeypatch: pytest.MonkeyPatch,
                  request: pytest.FixtureRequest) -> Iterator[Any]:
    openai = pytest.importorskip("openai")
    instrumentation = pytest.importorskip("opentelemetry.instrumentation.openai_v2")
    from .openai_stub import OpenAIStub

    if getattr(request, "param", True):
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")
    else:
        monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    instrumentor = instrumentation.OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    stub = OpenAIStub()
    try:
        yield openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0)
    finally:
        instrumentor.uninstrument()
        stub.close()


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def _agent_turn(client: Any, provider: TracerProvider) -> str:
    import openai

    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("invoke_agent forecaster") as agent:
        agent.set_attributes({"gen_ai.operation.name": "invoke_agent",
                              "gen_ai.agent.name": "forecaster"})
        ask = [{"role": "user", "content": "weather in Oslo?"}]
        client.chat.completions.create(model="gpt-4o-mini", messages=ask, tools=[WEATHER_TOOL])
        client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-4o-mini",
                                           messages=[{"role": "user", "content": "fail"}])
        return f"{agent.get_span_context().trace_id:032x}"


def test_openai_v2_calls_become_llm_runs_with_usage_cost_and_content(
    server: Server, openai_client: Any, provider: TracerProvider
) -> None:
    price = server.client.put("/api/costs/gpt-4o-mini-2024-07-18",
                              json={"input": 0.15, "output": 0.6, "cached_input": 0.075})
    assert price.status_code == 200, price.text
    trace_id = _agent_turn(openai_client, provider)

    runs = server.runs(trace_id=trace_id)
    (agent,) = [r for r in runs if r["type"] == "agent"]
    llms = sorted((r for r in runs if r["type"] == "llm"), key=lambda r: r["start_time"])
    assert (agent["name"], agent["agent"], len(runs)) == ("forecaster", "forecaster", 4)
    assert all(r["parent_run_id"] == agent["run_id"] for r in llms)
    tool_call, text, failed = llms
    for run in (tool_call, text):
        assert (run["name"], run["status"], run["model"]) == (
            "chat gpt-4o-mini", "success", "gpt-4o-mini-2024-07-18")
        assert (run["prompt_tokens"], run["completion_tokens"], run["total_tokens"]) == (1200, 30, 1230)
        assert run["cost_status"] == "ok"
        assert run["cost"] == pytest.approx((1200 * 0.15 + 30 * 0.6) / 1e6)
        assert run["input"][0]["parts"][0]["content"] == "weather in Oslo?"
    assert tool_call["output"][0]["parts"][0] == {
        "type": "tool_call", "name": "get_weather", "id": "call_1", "arguments": {"city": "Oslo"}}
    assert text["output"][0]["parts"][0]["content"] == "It is sunny."
    assert (failed["status"], failed["model"], failed["cost"]) == ("error", "gpt-4o-mini", 0.0)
    assert "InternalServerError" in failed["error"]["type"]
    assert agent["subtree_cost"] == pytest.approx(2 * (1200 * 0.15 + 30 * 0.6) / 1e6)


@pytest.mark.parametrize("openai_client", [False], indirect=True)
def test_openai_v2_without_content_capture_has_no_input_or_output(
    server: Server, openai_client: Any, provider: TracerProvider
) -> None:
    trace_id = _agent_turn(openai_client, provider)
    llms = [r for r in server.runs(trace_id=trace_id) if r["type"] == "llm"]
    assert len(llms) == 3 and all(r["input"] is None and r["output"] is None for r in llms)
    assert {r["prompt_tokens"] for r in llms} == {1200, None}


# -- OpenInference LangChain ------------------------------------------------------------


def test_openinference_langchain_agent_llm_tool_chain(server: Server, provider: TracerProvider) -> None:
    pytest.importorskip("langchain_core")
    instrumentation = pytest.importorskip("openinference.instrumentation.langchain")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableLambda
    from langchain_core.tools import tool
    class NamedFake(GenericFakeChatModel):
        model_name: str = "gpt-4o-mini"

    @tool
    def lookup(city: str) -> str:
        """Weather of a city."""
        return f"sunny in {city}"

    model = NamedFake(messages=iter([AIMessage(
        content="Oslo", usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15})]))

    def agent_step(question: str) -> str:
        city = model.invoke(question).content
        return str(lookup.invoke({"city": city}))

    instrumentor = instrumentation.LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with provider.get_tracer("app").start_as_current_span("request") as root:
            answer = RunnableLambda(agent_step).with_config(run_name="weather_agent").invoke(
                "where?", config={"metadata": {"session_id": "sess-9"}})
            trace_id = f"{root.get_span_context().trace_id:032x}"
    finally:
        instrumentor.uninstrument()
    assert answer == "sunny in Oslo"

    runs = {r["type"]: r for r in server.runs(trace_id=trace_id)}
    agent, llm, tool_run, request = runs["agent"], runs["llm"], runs["tool"], runs["span"]
    assert agent["name"] == "weather_agent" and agent["parent_run_id"] == request["run_id"]
    assert llm["parent_run_id"] == agent["run_id"] and tool_run["parent_run_id"] == agent["run_id"]
    assert (llm["model"], llm["prompt_tokens"], llm["completion_tokens"]) == ("gpt-4o-mini", 12, 3)
    assert tool_run["name"] == "lookup" and tool_run["output"] is not None
    assert agent["input"] == "where?" and agent["output"] == "sunny in Oslo"
    assert agent["metadata"]["thread_id"] == "sess-9"  # OpenInference's session.id
