"""LangChain / LangGraph mapper, driven by the real frameworks (langchain-core, langgraph)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import CallbackManagerForRetrieverRun  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake import FakeListLLM  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

import observatory  # noqa: E402
from observatory.integrations import langchain as obs_langchain  # noqa: E402
from observatory.integrations.langchain import ObservatoryCallbackHandler  # noqa: E402


class FakeGPT(GenericFakeChatModel):
    """langchain-core's fake chat model, named so the handler sees ``ls_model_name``."""

    model_name: str = "gpt-4o-mini"


def reply(text: str = "ok", prompt: int = 10, completion: int = 5) -> AIMessage:
    usage = {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}
    return AIMessage(text, usage_metadata=usage)  # type: ignore[arg-type]


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@observatory.llm(model="gpt-4o-mini")
def summarize(text: str) -> str:
    return text[:10]


@tool
def research(topic: str) -> str:
    """Calls decorated code: it must nest under this tool's run."""
    return summarize(f"notes about {topic}")


def pipeline(model: Any, fail: bool = False) -> Any:
    prepare = RunnableLambda(lambda q: q["question"], name="prepare")
    use_tool = RunnableLambda(lambda _msg: add.invoke({"a": 2, "b": 3}), name="use_tool")

    def check(total: int) -> int:
        if fail:
            raise ValueError(f"total {total} rejected")
        return total

    return (prepare | model | use_tool | RunnableLambda(check, name="check")).with_config(run_name="pipeline")


PIPELINE_TREE = [
    (1, "agent", "pipeline"),
    (2, "agent", "prepare"),
    (2, "llm", "FakeGPT"),
    (2, "agent", "use_tool"),
    (3, "tool", "add"),
    (2, "agent", "check"),
]


def test_sequence_with_model_tool_and_failing_step_maps_to_a_run_tree(captured):
    handler = ObservatoryCallbackHandler()
    root_id = uuid.uuid4()
    chain = pipeline(FakeGPT(messages=iter([reply("hello")])), fail=True)

    @observatory.agent
    def assistant(question: str) -> Any:
        return chain.invoke({"question": question}, config={"callbacks": [handler], "run_id": root_id})

    with pytest.raises(ValueError, match="rejected"):
        assistant("hi")

    assert captured.tree() == [
        (0, "agent", "assistant", "error"),
        *[(d, t, n, "error" if n in ("pipeline", "check") else "success") for d, t, n in PIPELINE_TREE],
    ]
    captured.assert_paired()
    runs = captured.runs()
    root = runs[str(root_id)]  # LangChain's run id is ours
    assert runs[root.parent].name == "assistant"
    llm = next(r for r in runs.values() if r.type == "llm")
    assert llm.start["model"] == "gpt-4o-mini"
    assert (llm.end["model"], llm.end["prompt_tokens"], llm.end["completion_tokens"], llm.end["total_tokens"]) == (
        "gpt-4o-mini", 10, 5, 15)
    assert llm.start["input"][0]["content"] == "hi"
    assert llm.end["output"]["content"] == "hello"
    failed = next(r for r in runs.values() if r.name == "check")
    assert failed.end["error"] == {"type": "ValueError", "message": "total 5 rejected"}
    assert not observatory.current_run()  # nothing left current after the chain


def test_async_invocation_reports_the_same_tree(captured):
    handler = ObservatoryCallbackHandler()
    chain = pipeline(FakeGPT(messages=iter([reply("hello")])))

    @observatory.agent
    async def assistant(question: str) -> Any:
        return await chain.ainvoke({"question": question}, config={"callbacks": [handler]})

    assert asyncio.run(assistant("hi")) == 5
    assert captured.tree() == [(0, "agent", "assistant", "success"),
                               *[(d, t, n, "success") for d, t, n in PIPELINE_TREE]]
    captured.assert_paired()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_decorated_code_in_a_tool_nests_under_the_tool_run(captured, mode):
    handler = ObservatoryCallbackHandler()
    config = {"callbacks": [handler]}
    if mode == "sync":
        research.invoke({"topic": "otters"}, config=config)
    else:
        asyncio.run(research.ainvoke({"topic": "otters"}, config=config))
    assert captured.tree() == [(0, "tool", "research", "success"), (1, "llm", "summarize", "success")]
    captured.assert_paired()


def test_stream_ends_its_runs_when_the_stream_ends(captured):
    handler = ObservatoryCallbackHandler()
    chain = RunnableLambda(lambda q: q, name="prepare") | FakeGPT(messages=iter([AIMessage("one two three")]))
    stream = chain.stream("hi", config={"callbacks": [handler]})
    first = next(stream)
    assert first.content
    assert {r.type: r.ends for r in captured.runs().values()}.get("llm") == 0  # still streaming
    rest = list(stream)
    assert "".join(c.content for c in [first, *rest]) == "one two three"
    captured.assert_paired()
    llm = next(r for r in captured.runs().values() if r.type == "llm")
    assert llm.status == "success"
    assert "time_to_first_token_ms" in llm.end["metadata"]


def test_a_stream_closed_early_ends_its_runs_without_error(captured):
    handler = ObservatoryCallbackHandler()
    chain = RunnableLambda(lambda q: q, name="prepare") | FakeGPT(messages=iter([AIMessage("one two three four")]))
    stream = chain.stream("hi", config={"callbacks": [handler]})
    next(stream)
    stream.close()
    captured.assert_paired()
    for run in captured.runs().values():
        assert run.status == "success"
    assert any(r.end["metadata"].get("stream_closed_early") for r in captured.runs().values())
    assert not observatory.current_run()


def test_langgraph_nodes_become_runs_and_interrupts_are_not_failures(captured):
    pytest.importorskip("langgraph")
    from typing import TypedDict

    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    model = FakeGPT(messages=iter([reply("draft", 20, 8)]))

    class State(TypedDict, total=False):
        topic: str
        draft: str
        total: int
        approved: str

    def write(state: State) -> State:
        return {"draft": model.invoke(state["topic"]).content}

    def count(state: State) -> State:
        return {"total": add.invoke({"a": len(state["draft"]), "b": 1})}

    def approve(state: State) -> State:
        return {"approved": interrupt({"question": "publish?", "draft": state["draft"]})}

    builder = StateGraph(State)
    builder.add_node("write", write)
    builder.add_node("count", count)
    builder.add_node("approve", approve)
    builder.add_edge(START, "write")
    builder.add_edge("write", "count")
    builder.add_edge("count", "approve")
    builder.add_edge("approve", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"callbacks": [ObservatoryCallbackHandler()], "configurable": {"thread_id": "t1"}}

    paused = graph.invoke({"topic": "otters"}, config=config)
    assert "__interrupt__" in paused
    assert captured.tree() == [
        (0, "agent", "LangGraph", "success"),
        (1, "agent", "write", "success"),
        (2, "llm", "FakeGPT", "success"),
        (1, "agent", "count", "success"),
        (2, "tool", "add", "success"),
        (1, "agent", "approve", "success"),
    ]
    runs = captured.runs()
    approve_run = next(r for r in runs.values() if r.name == "approve")
    assert approve_run.end["metadata"]["interrupted"] is True
    assert approve_run.end["metadata"]["langgraph_node"] == "approve"
    assert approve_run.end["metadata"]["thread_id"] == "t1"
    assert "error" not in approve_run.end

    done = graph.invoke(Command(resume="yes"), config=config)
    assert done["approved"] == "yes"
    captured.assert_paired()
    assert all(r.status == "success" for r in captured.runs().values())
    assert not any(r.name and r.name.startswith(("__", "ChannelWrite", "_write")) for r in captured.runs().values())


class LegacyUsageChatModel(BaseChatModel):
    """A chat model reporting usage only where older providers put it."""

    where: str = "llm_output"

    @property
    def _llm_type(self) -> str:
        return "legacy-usage"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        if self.where == "llm_output":
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage("x"))],
                llm_output={"token_usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
                            "model_name": "gpt-4o-2024-08-06"},
            )
        info = {"usage": {"input_tokens": 7, "output_tokens": 2}, "model": "claude-3-5-haiku-20241022"}
        return ChatResult(generations=[ChatGeneration(message=AIMessage("x"), generation_info=info)])


@pytest.mark.parametrize(("where", "model"), [("llm_output", "gpt-4o-2024-08-06"),
                                              ("generation_info", None)])
def test_usage_is_read_wherever_the_provider_put_it(captured, where, model):
    LegacyUsageChatModel(where=where).invoke("hi", config={"callbacks": [ObservatoryCallbackHandler()]})
    (llm,) = captured.runs().values()
    assert (llm.end["prompt_tokens"], llm.end["completion_tokens"]) == (7, 2)
    # a total only where the provider said it; the receiver derives the rest
    assert llm.end.get("total_tokens") == (9 if where == "llm_output" else None)
    if model:
        assert llm.end["model"] == model


def test_text_llms_and_retrievers_map_to_llm_and_tool_runs(captured):
    class Docs(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            return [Document(page_content=f"about {query}")]

    config: Any = {"callbacks": [ObservatoryCallbackHandler()]}
    assert FakeListLLM(responses=["text answer"]).invoke("q", config=config) == "text answer"
    assert Docs().invoke("otters", config=config)[0].page_content == "about otters"
    runs = list(captured.runs().values())
    assert [(r.type, r.name, r.status) for r in runs] == [("llm", "FakeListLLM", "success"),
                                                           ("tool", "Docs", "success")]
    assert runs[0].end["output"] == "text answer"
    assert runs[1].end["output"][0]["page_content"] == "about otters"


def test_batch_across_threads_pairs_every_run(captured):
    handler = ObservatoryCallbackHandler()
    model = FakeGPT(messages=iter([reply(f"r{i}") for i in range(16)]))
    chain = RunnableLambda(lambda q: q, name="prepare") | model
    out = chain.batch([f"q{i}" for i in range(16)], config={"callbacks": [handler], "max_concurrency": 4})
    assert len(out) == 16
    captured.assert_paired()
    runs = captured.runs()
    roots = [r for r in runs.values() if r.parent is None]
    assert len(roots) == 16
    for run in runs.values():
        if run.parent is not None:
            assert runs[run.parent].name == "RunnableSequence"
    assert len(handler._runs) == 0
    assert not observatory.current_run()  # out-of-order ends left nothing current


def test_tracing_scope_attaches_without_passing_callbacks(captured):
    chain = RunnableLambda(lambda q: q, name="inside")
    with obs_langchain.tracing():
        chain.invoke("a")
        chain.invoke("b", config={"callbacks": [ObservatoryCallbackHandler()]})  # no double report
    RunnableLambda(lambda q: q, name="outside").invoke("c")
    names = [r.name for r in captured.runs().values()]
    assert names == ["inside", "inside"]
    captured.assert_paired()


def test_install_attaches_everywhere_until_uninstalled(captured):
    try:
        handler = obs_langchain.install()
        assert obs_langchain.install() is handler
        asyncio.run(RunnableLambda(lambda q: q, name="installed").ainvoke("a"))
    finally:
        obs_langchain.uninstall()
    RunnableLambda(lambda q: q, name="after").invoke("b")
    assert [r.name for r in captured.runs().values()] == ["installed"]


def test_the_handler_never_raises_into_langchain(captured, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("sdk bug")

    monkeypatch.setattr(observatory, "start_run", broken)
    chain = pipeline(FakeGPT(messages=iter([reply("hello")])))
    assert chain.invoke({"question": "hi"}, config={"callbacks": [ObservatoryCallbackHandler()]}) == 5


def test_through_the_real_receiver_the_llm_run_is_priced(tmp_path):
    testing = pytest.importorskip("observatory.server.testing")
    httpx = pytest.importorskip("httpx")
    base_url, stop = testing.run_server("sqlite:///" + str(tmp_path / "obs.db"))
    try:
        observatory.init(api_url=base_url, app_id="langchain-e2e", flush_interval=0.05)
        root_id = uuid.uuid4()
        chain = pipeline(FakeGPT(messages=iter([reply("hello", 1000, 500)])))
        chain.invoke({"question": "hi"}, config={"callbacks": [ObservatoryCallbackHandler()], "run_id": root_id})
        assert observatory.flush(10)
        detail = httpx.get(f"{base_url}/api/run/{root_id}", timeout=10).json()
        price = httpx.get(f"{base_url}/api/costs/gpt-4o-mini", timeout=10).json()
    finally:
        observatory.shutdown(5)
        stop()
    expected = (1000 * price["input"] + 500 * price["output"]) / 1_000_000
    (llm,) = [c for c in detail["children"] if c["type"] == "llm"]
    assert (llm["model"], llm["prompt_tokens"], llm["completion_tokens"]) == ("gpt-4o-mini", 1000, 500)
    assert llm["cost_status"] == "ok"
    assert llm["cost"] == pytest.approx(expected)
    assert detail["subtree_cost"] == pytest.approx(expected)
    assert detail["status"] == "success"
    assert {c["name"] for c in detail["children"]} == {"prepare", "FakeGPT", "use_tool", "check"}
