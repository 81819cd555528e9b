"""OpenAI Agents SDK + Observatory: a Runner run with tools, a failing tool and a handoff.

Shows ``install(replace_default=True)``: the Agents SDK's traces become
Observatory runs (trace -> agent root, agents, generations with usage, tools,
a handoff event) and nothing is exported to OpenAI. Offline: the agents use a
scripted ``Model`` that opens a ``generation_span`` with model and usage as
real models do; no API key or network is needed.

Run:  python examples/openai_agents_run.py
Reports to ``OBSERVATORY_API_URL`` (default http://127.0.0.1:8787), e.g. a
receiver started with ``observatory serve``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from agents import Agent, Runner, function_tool, trace
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.tracing import generation_span
from agents.usage import Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

import observatory
from observatory.integrations.openai_agents import install


def say(text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(id="msg", type="message", role="assistant", status="completed",
                                 content=[ResponseOutputText(type="output_text", text=text, annotations=[])])


def call(name: str, arguments: dict[str, Any], call_id: str) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(id=f"fc-{call_id}", call_id=call_id, type="function_call", name=name,
                                    arguments=json.dumps(arguments), status="completed")


class ScriptedModel(Model):
    """Plays back a script of model turns, tracing each like a real model would."""

    def __init__(self, name: str, turns: list[list[Any]]) -> None:
        self.name, self.turns = name, turns

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
                           output_schema: Any, handoffs: Any, tracing: Any, **kwargs: Any) -> ModelResponse:
        output = self.turns.pop(0)
        with generation_span(model=self.name, input=[{"role": "user", "content": str(input)[:200]}],
                             disabled=tracing.is_disabled()) as span:
            span.span_data.output = [item.model_dump() for item in output]
            span.span_data.usage = {"input_tokens": 300, "output_tokens": 25}
        return ModelResponse(output=output, response_id=None,
                             usage=Usage(requests=1, input_tokens=300, output_tokens=25, total_tokens=325))

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@function_tool
def order_status(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id} shipped yesterday"


@function_tool
def refund_policy(region: str) -> str:
    """Fetch the refund policy (its backend is down)."""
    raise ConnectionError("policy service unavailable")


def build() -> Agent[Any]:
    billing = Agent(name="Billing", instructions="Handle refunds.",
                    model=ScriptedModel("gpt-4o-mini", [[say("A refund for order 42 is on its way.")]]))
    return Agent(
        name="Triage", instructions="Route the customer.", tools=[order_status, refund_policy], handoffs=[billing],
        model=ScriptedModel("gpt-4o", [
            [call("order_status", {"order_id": "42"}, "c1"), call("refund_policy", {"region": "EU"}, "c2")],
            [call("transfer_to_billing", {}, "c3")],
        ]),
    )


async def main() -> None:
    with trace("Support conversation", group_id="conversation-42", metadata={"customer": "acme"}):
        result = await Runner.run(build(), "Where is my order 42? I want a refund.")
    print(result.final_output)


if __name__ == "__main__":
    observatory.init(api_url=os.environ.get("OBSERVATORY_API_URL", "http://127.0.0.1:8787"),
                     app_id="example-openai-agents")
    install(replace_default=True)
    asyncio.run(main())
    delivered = observatory.flush(10)
    print("events delivered" if delivered else "some events were not delivered (is the receiver running?)")
