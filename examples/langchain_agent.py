"""LangChain + LangGraph + Observatory: a chain and a graph reported as a run tree with usage.

Shows ``ObservatoryCallbackHandler`` passed in ``config={"callbacks": [...]}``
for a runnable sequence (fake chat model reporting token usage, a tool, a
failing step) inside an ``@observatory.agent`` function, and ``install()``
attaching it to a small LangGraph graph without passing callbacks.
Offline: the chat model is langchain-core's ``GenericFakeChatModel``.

Run:  python examples/langchain_agent.py
Reports to ``OBSERVATORY_API_URL`` (default http://127.0.0.1:8787), e.g. a
receiver started with ``observatory serve``; the llm runs are priced as gpt-4o-mini.
"""

from __future__ import annotations

import os
from typing import TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph

import observatory
from observatory.integrations import langchain as obs_langchain
from observatory.integrations.langchain import ObservatoryCallbackHandler


class FakeGPT(GenericFakeChatModel):
    """A fake chat model with a model name (seen by the handler as ``ls_model_name``)."""

    model_name: str = "gpt-4o-mini"


def answer(text: str) -> AIMessage:
    return AIMessage(text, usage_metadata={"input_tokens": 250, "output_tokens": 40, "total_tokens": 290})


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def run_chain() -> None:
    model = FakeGPT(messages=iter([answer("Otters hold hands while they sleep."), answer("again")]))
    handler = ObservatoryCallbackHandler()
    chain = (
        RunnableLambda(lambda q: f"Answer briefly: {q}", name="prompt")
        | model
        | RunnableLambda(lambda m: word_count.invoke({"text": m.content}), name="measure")
    )

    @observatory.agent(name="otter_expert")
    def otter_expert(question: str) -> int:
        return chain.invoke(question, config={"callbacks": [handler]})

    print("words:", otter_expert("Why do otters hold hands?"))

    def reject(_: object) -> None:
        raise ValueError("the answer was too short")

    try:
        (chain | RunnableLambda(reject, name="review")).invoke("Again?", config={"callbacks": [handler]})
    except ValueError as exc:
        print("failed step reported:", exc)


def run_graph() -> None:
    model = FakeGPT(messages=iter([answer("Draft: otters are social.")]))

    class State(TypedDict, total=False):
        topic: str
        draft: str
        words: int

    builder = StateGraph(State)
    builder.add_node("write", lambda s: {"draft": model.invoke(s["topic"]).content})
    builder.add_node("count", lambda s: {"words": word_count.invoke({"text": s["draft"]})})
    builder.add_edge(START, "write")
    builder.add_edge("write", "count")
    builder.add_edge("count", END)
    graph = builder.compile()

    obs_langchain.install()  # every LangChain/LangGraph run from now on, no callbacks passed
    try:
        print("graph:", graph.invoke({"topic": "otters"}))
    finally:
        obs_langchain.uninstall()


if __name__ == "__main__":
    observatory.init(api_url=os.environ.get("OBSERVATORY_API_URL", "http://127.0.0.1:8787"),
                     app_id="example-langchain")
    run_chain()
    run_graph()
    delivered = observatory.flush(10)
    print("events delivered" if delivered else "some events were not delivered (is the receiver running?)")
