"""OpenAI Agents mapper, driven by the real ``Runner`` with a scripted offline ``Model``."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("agents")

from agents import (  # noqa: E402
    Agent,
    GuardrailFunctionOutput,
    InputGuardrail,
    Runner,
    custom_span,
    function_tool,
    set_trace_processors,
    trace,
)
from agents.items import ModelResponse  # noqa: E402
from agents.models.interface import Model  # noqa: E402
from agents.tracing import generation_span  # noqa: E402
from agents.usage import Usage  # noqa: E402
from openai.types.responses import (  # noqa: E402
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

import observatory  # noqa: E402
from observatory.integrations import openai_agents as obs_agents  # noqa: E402
from observatory.integrations.openai_agents import ObservatoryTracingProcessor  # noqa: E402


def message(text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(id="msg", type="message", role="assistant", status="completed",
                                 content=[ResponseOutputText(type="output_text", text=text, annotations=[])])


def call(name: str, arguments: dict[str, Any], call_id: str) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(id=f"fc-{call_id}", call_id=call_id, type="function_call", name=name,
                                    arguments=json.dumps(arguments), status="completed")


class ScriptedModel(Model):
    """Replies from a script, opening a generation span with model and usage as real models do."""

    def __init__(self, name: str, turns: list[list[Any]], usage: tuple[int, int] = (20, 4)) -> None:
        self.name, self.turns, self.usage = name, list(turns), usage

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
                           output_schema: Any, handoffs: Any, tracing: Any, *, previous_response_id: Any = None,
                           conversation_id: Any = None, prompt: Any = None) -> ModelResponse:
        output = self.turns.pop(0)
        prompt_tokens, completion_tokens = self.usage
        with generation_span(model=self.name, input=[{"role": "user", "content": str(input)[:200]}],
                             disabled=tracing.is_disabled()) as span:
            span.span_data.output = [item.model_dump() for item in output]
            span.span_data.usage = {"input_tokens": prompt_tokens, "output_tokens": completion_tokens}
        usage = Usage(requests=1, input_tokens=prompt_tokens, output_tokens=completion_tokens,
                      total_tokens=prompt_tokens + completion_tokens)
        return ModelResponse(output=output, usage=usage, response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the tests do not stream")


@observatory.llm(model="gpt-4o-mini")
def summarize(text: str) -> str:
    return text.upper()


@function_tool
def weather(city: str) -> str:
    """Weather for a city."""
    with custom_span("cache_lookup", {"hit": False}):
        return summarize(f"sunny in {city}")


@function_tool
def broken(city: str) -> str:
    """Always fails."""
    raise ValueError(f"no such city: {city}")


def support_agents() -> Agent[Any]:
    billing = Agent(name="Billing", instructions="Handle refunds.",
                    model=ScriptedModel("gpt-4o-mini", [[message("refund issued")]], usage=(30, 6)))

    async def polite(ctx: Any, agent: Any, user_input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info={"polite": True}, tripwire_triggered=False)

    return Agent(
        name="Triage", instructions="Route the user.", tools=[weather, broken], handoffs=[billing],
        input_guardrails=[InputGuardrail(guardrail_function=polite, name="politeness")],
        model=ScriptedModel("gpt-4o", [
            [call("weather", {"city": "Paris"}, "c1"), call("broken", {"city": "Atlantis"}, "c2")],
            [call("transfer_to_billing", {}, "c3")],
        ]),
    )


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail (and record) any connection attempt that is not to loopback."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not isinstance(address, str | bytes):
            attempts.append(address)
            raise OSError(f"network disabled in tests: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield attempts


@pytest.fixture
def processor() -> Iterator[ObservatoryTracingProcessor]:
    processor = ObservatoryTracingProcessor()
    set_trace_processors([processor])
    yield processor
    set_trace_processors([])


EXPECTED_TREE = [  # the runner starts the two tools concurrently: compared by name
    (1, "agent", "Triage", "success"),
    (2, "llm", "gpt-4o", "success"),
    (2, "tool", "broken", "error"),
    (2, "tool", "weather", "success"),
    (3, "llm", "summarize", "success"),
    (2, "llm", "gpt-4o", "success"),
    (1, "agent", "Billing", "success"),
    (2, "llm", "gpt-4o-mini", "success"),
]


def test_runner_run_maps_agents_models_tools_and_handoffs(captured, processor, no_network):
    @observatory.agent
    async def support_desk(question: str) -> Any:
        with trace("Support flow", group_id="conversation-7", metadata={"customer": "acme"}):
            result = await Runner.run(support_agents(), question)
        return result.final_output

    assert asyncio.run(support_desk("my bill is wrong")) == "refund issued"
    assert no_network == []
    tree = captured.tree(tools_by_name=True)
    assert tree[:2] == [(0, "agent", "support_desk", "success"), (1, "agent", "Support flow", "success")]
    assert tree[2:] == [(d + 1, t, n, s) for d, t, n, s in EXPECTED_TREE]
    captured.assert_paired()

    runs = captured.runs()
    root = next(r for r in runs.values() if r.name == "Support flow")
    assert root.run_id.startswith("trace_")  # the trace id is the run id
    assert root.start["metadata"]["group_id"] == "conversation-7"
    assert root.start["metadata"]["customer"] == "acme"
    # the generation span says no total: the receiver derives it
    models = [(r.end["model"], r.end["prompt_tokens"], r.end["completion_tokens"], r.end.get("total_tokens"))
              for r in runs.values() if r.type == "llm" and r.name != "summarize"]
    assert models == [("gpt-4o", 20, 4, None), ("gpt-4o", 20, 4, None), ("gpt-4o-mini", 30, 6, None)]
    failed = next(r for r in runs.values() if r.name == "broken")
    assert failed.end["error"]["message"].startswith("Error running tool")
    assert failed.start["input"] == json.dumps({"city": "Atlantis"})

    triage = next(r for r in runs.values() if r.name == "Triage")
    (handoff,) = captured.custom("handoff")
    assert (handoff["from_agent"], handoff["to_agent"], handoff["parent_run_id"]) == ("Triage", "Billing",
                                                                                      triage.run_id)
    (guardrail,) = captured.custom("guardrail")
    assert (guardrail["guardrail"], guardrail["triggered"]) == ("politeness", False)
    (cache,) = captured.custom("cache_lookup")
    weather_run = next(r for r in runs.values() if r.name == "weather")
    assert cache["parent_run_id"] == weather_run.run_id
    assert cache["data"] == {"hit": False}
    assert len(processor._runs) == 0
    assert not observatory.current_run()


def test_a_run_without_an_enclosing_run_is_a_root_and_runs_do_not_nest_in_each_other(captured, processor):
    async def twice() -> None:
        for _ in range(2):
            agent = Agent(name="Echo", instructions="-", model=ScriptedModel("gpt-4o-mini", [[message("hi")]]))
            await Runner.run(agent, "hello")

    asyncio.run(twice())
    tree = captured.tree()
    assert tree == [(0, "agent", "Agent workflow", "success"), (1, "agent", "Echo", "success"),
                    (2, "llm", "gpt-4o-mini", "success")] * 2
    captured.assert_paired()


def test_a_tripped_guardrail_is_an_event_and_the_failure_an_error(captured, processor):
    from agents.exceptions import InputGuardrailTripwireTriggered

    async def refuse(ctx: Any, agent: Any, user_input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info="rude", tripwire_triggered=True)

    agent = Agent(name="Guarded", instructions="-", model=ScriptedModel("gpt-4o-mini", [[message("hi")]]),
                  input_guardrails=[InputGuardrail(guardrail_function=refuse, name="manners")])
    with pytest.raises(InputGuardrailTripwireTriggered):
        asyncio.run(Runner.run(agent, "rude words"))
    (guardrail,) = captured.custom("guardrail")
    assert (guardrail["guardrail"], guardrail["triggered"]) == ("manners", True)
    guarded = next(r for r in captured.runs().values() if r.name == "Guarded")
    assert guarded.status == "error"
    captured.assert_paired()


def test_install_registers_once_and_can_replace_the_default(captured, no_network):
    try:
        first = obs_agents.install(replace_default=True)
        assert obs_agents.install(replace_default=True) is first
        agent = Agent(name="Echo", instructions="-", model=ScriptedModel("gpt-4o-mini", [[message("hi")]]))
        assert Runner.run_sync(agent, "hello").final_output == "hi"
    finally:
        set_trace_processors([])
        obs_agents._installed = None
    assert no_network == []
    assert [n for _, _, n, _ in captured.tree()] == ["Agent workflow", "Echo", "gpt-4o-mini"]
    captured.assert_paired()


def test_the_processor_never_raises_into_the_runner(captured, processor, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("sdk bug")

    monkeypatch.setattr(observatory, "start_run", broken)
    agent = Agent(name="Echo", instructions="-", model=ScriptedModel("gpt-4o-mini", [[message("hi")]]))
    assert Runner.run_sync(agent, "hello").final_output == "hi"
