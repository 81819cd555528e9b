"""Decorated callables behave exactly like the originals, and each call becomes a run."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import pytest

import observatory

from .conftest import by_name, runs


@observatory.agent
def plain(a: int, b: int = 2, *rest: int, key: str = "k", **extra: Any) -> int:
    """Adds things."""
    return a + b + sum(rest)


@observatory.tool(name="fetch-tool", tags=["io"], metadata={"version": 3})
async def fetch(url: str) -> str:
    """Fetches."""
    await asyncio.sleep(0)
    return url.upper()


@observatory.llm(model="gpt-4o-mini")
def stream(n: int):
    """Streams."""
    for i in range(n):
        received = yield i
        if received is not None:
            yield f"got {received}"
    return "done"


@observatory.tool
async def astream(n: int):
    """Streams async."""
    for i in range(n):
        received = yield i
        if received is not None:
            yield f"got {received}"


class Service:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @observatory.tool
    def method(self, x: int) -> str:
        """A method."""
        return f"{self.prefix}{x}"

    @classmethod
    @observatory.tool
    def klass(cls, x: int) -> str:
        return f"{cls.__name__}{x}"

    @staticmethod
    @observatory.tool
    def static(x: int) -> int:
        return x * 10

    @observatory.agent
    @classmethod
    def outer_classmethod(cls, x: int) -> str:
        return f"outer-{cls.__name__}-{x}"


def test_metadata_and_signature_are_kept() -> None:
    assert plain.__name__ == "plain"
    assert plain.__doc__ == "Adds things."
    assert inspect.signature(plain) == inspect.signature(plain.__wrapped__)
    assert str(inspect.signature(plain)) == "(a: 'int', b: 'int' = 2, *rest: 'int', key: 'str' = 'k', **extra: 'Any') -> 'int'"
    assert inspect.iscoroutinefunction(fetch)
    assert not inspect.iscoroutinefunction(plain)
    assert inspect.isgeneratorfunction(stream)
    assert inspect.isasyncgenfunction(astream)
    assert fetch.__name__ == "fetch"
    assert Service.method.__doc__ == "A method."


def test_return_values_and_exceptions_pass_through(memory) -> None:
    assert plain(1, 2, 3, key="x", more=1) == 6

    class Custom(Exception):
        pass

    original = Custom("boom")

    @observatory.agent
    def fails() -> None:
        raise original

    with pytest.raises(Custom) as caught:
        fails()
    assert caught.value is original
    observatory.flush(5)
    ends = by_name(memory.events, "agent_end")
    assert ends[-1]["status"] == "error"
    assert ends[-1]["error"] == {"type": "Custom", "message": "boom"}
    assert ends[0]["status"] == "success" and ends[0]["output"] == 6


def test_input_is_bound_arguments_without_self(memory) -> None:
    service = Service("p")
    assert service.method(4) == "p4"
    assert Service.klass(5) == "Service5"
    assert Service.static(6) == 60
    assert service.static(7) == 70
    assert Service.outer_classmethod(8) == "outer-Service-8"
    plain(1, key="z")
    observatory.flush(5)
    inputs = [e["input"] for e in by_name(memory.events, "tool_start")]
    assert inputs == [{"x": 4}, {"x": 5}, {"x": 6}, {"x": 7}]
    agent_inputs = [e["input"] for e in by_name(memory.events, "agent_start")]
    assert agent_inputs == [{"x": 8}, {"a": 1, "key": "z"}]


def test_start_and_end_share_run_id_and_names(memory) -> None:
    asyncio.run(fetch("u"))
    observatory.flush(5)
    start, end = memory.events
    assert start["name"] == "tool_start" and end["name"] == "tool_end"
    assert start["run_id"] == end["run_id"]
    assert start["metadata"]["run_name"] == "fetch-tool"
    assert start["metadata"]["tags"] == ["io"] and start["metadata"]["version"] == 3
    assert end["output"] == "U"
    assert start["timestamp"].endswith("Z") and len(start["timestamp"]) == 24


def test_nesting_sync_async_and_gather(memory) -> None:
    @observatory.llm
    async def call_model(i: int) -> str:
        await asyncio.sleep(0.001 * (3 - i))
        return await fetch(str(i))

    @observatory.agent
    async def orchestrate() -> list[str]:
        return list(await asyncio.gather(*(call_model(i) for i in range(3))))

    assert asyncio.run(orchestrate()) == ["0", "1", "2"]
    observatory.flush(5)
    tree = runs(memory.events)
    root = next(r for r in tree.values() if r["start"]["name"] == "agent_start")
    root_id = root["start"]["run_id"]
    llms = [r for r in tree.values() if r["start"]["type"] == "llm"]
    tools = [r for r in tree.values() if r["start"]["type"] == "tool"]
    assert len(llms) == 3 and len(tools) == 3
    assert all(r["start"]["parent_run_id"] == root_id for r in llms)
    llm_ids = {r["start"]["run_id"] for r in llms}
    assert {r["start"]["parent_run_id"] for r in tools} == llm_ids
    assert all(r["start"]["metadata"]["agent"] == "orchestrate" for r in tools)
    assert root["start"]["parent_run_id"] is None


def test_generator_protocol_passes_through(memory) -> None:
    gen = stream(3)
    assert next(gen) == 0
    assert gen.send("x") == "got x"
    assert next(gen) == 1
    with pytest.raises(ValueError):
        gen.throw(ValueError("thrown"))
    observatory.flush(5)
    end = by_name(memory.events, "llm_end")[-1]
    assert end["status"] == "error" and end["error"]["type"] == "ValueError"
    assert end["output"] == [0, "got x", 1]

    assert list(stream(2)) == [0, 1]
    gen2 = stream(5)
    next(gen2)
    gen2.close()
    observatory.flush(5)
    ends = by_name(memory.events, "llm_end")
    assert ends[-2]["status"] == "success" and ends[-2]["output"] == {"items": [0, 1], "return": "done"}
    assert ends[-1]["status"] == "success" and ends[-1]["output"] == [0]


def test_generator_return_value_and_yield_from_semantics() -> None:
    def consumer():
        result = yield from stream(1)
        return result

    gen = consumer()
    assert next(gen) == 0
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"


def test_async_generator_protocol_passes_through(memory) -> None:
    async def main() -> list[Any]:
        agen = astream(3)
        got = [await agen.__anext__(), await agen.asend("y"), await agen.__anext__()]
        with pytest.raises(KeyError):
            await agen.athrow(KeyError("k"))
        agen2 = astream(3)
        got.append(await agen2.__anext__())
        await agen2.aclose()
        got.extend([x async for x in astream(2)])
        return got

    assert asyncio.run(main()) == [0, "got y", 1, 0, 0, 1]
    observatory.flush(5)
    ends = by_name(memory.events, "tool_end")
    assert [e["status"] for e in ends] == ["error", "success", "success"]
    assert ends[2]["output"] == [0, 1]


def test_generator_output_is_bounded(memory) -> None:
    observatory.init(transport=memory, max_stream_items=5, flush_interval=0.05)
    assert sum(stream(1000)) == sum(range(1000))
    observatory.flush(5)
    output = by_name(memory.events, "llm_end")[-1]["output"]["items"]
    assert output[:5] == [0, 1, 2, 3, 4] and "995 more items" in output[5]


def test_nesting_inside_generator_uses_generator_run(memory) -> None:
    @observatory.agent
    def gen_agent():
        yield plain(1)
        yield plain(2)

    @observatory.agent
    def parent():
        return list(gen_agent())

    parent()
    observatory.flush(5)
    tree = runs(memory.events)
    by_run_name = {r["start"]["metadata"]["run_name"] + str(r["start"]["input"]): r for r in tree.values()}
    gen_id = by_run_name["gen_agent{}"]["start"]["run_id"]
    assert by_run_name["plain{'a': 1}"]["start"]["parent_run_id"] == gen_id
    assert by_run_name["gen_agent{}"]["start"]["parent_run_id"] == by_run_name["parent{}"]["start"]["run_id"]


def test_threads_nest_with_wrap_context_and_executor(memory) -> None:
    @observatory.agent
    def outer() -> None:
        thread = threading.Thread(target=observatory.wrap_context(plain), args=(1,))
        thread.start()
        thread.join()
        with observatory.ThreadPoolExecutor(2) as pool:
            assert list(pool.map(lambda x: x, [1])) == [1]
            pool.submit(plain, 2).result()
        threading.Thread(target=plain, args=(3,)).start()

    outer()
    observatory.flush(5)
    tree = runs(memory.events)
    outer_id = next(r["start"]["run_id"] for r in tree.values() if r["start"]["metadata"]["run_name"] == "outer")
    parents = {r["start"]["input"]["a"]: r["start"]["parent_run_id"] for r in tree.values() if r["start"]["metadata"]["run_name"] == "plain"}
    assert parents == {1: outer_id, 2: outer_id, 3: None}


def test_current_run_handle_and_usage(memory) -> None:
    assert not observatory.current_run()
    observatory.current_run().set_usage(prompt_tokens=1)  # harmless outside a run
    assert observatory.current_run().run_id is None

    class Usage:
        input_tokens = 7
        output_tokens = 3

    class AnthropicMessage:
        usage = Usage()
        model = "claude-sonnet-4"

    @observatory.llm
    def anthropic() -> AnthropicMessage:
        return AnthropicMessage()

    @observatory.llm(model="gpt-4o")
    def openai_style() -> dict:
        return {"usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}}

    seen: dict[str, str] = {}

    @observatory.llm
    def manual() -> str:
        run = observatory.current_run()
        seen["id"] = run.run_id
        run.set_usage(model="gpt-4.1", prompt_tokens=100, completion_tokens=50)
        run.add_tags("manual")
        run.set_metadata(step=1)
        run.set_output("overridden")
        return "ignored"

    anthropic()
    openai_style()
    manual()
    observatory.flush(5)
    ends = by_name(memory.events, "llm_end")
    assert (ends[0]["model"], ends[0]["prompt_tokens"], ends[0]["completion_tokens"]) == ("claude-sonnet-4", 7, 3)
    assert "total_tokens" not in ends[0]  # not said by the provider: the receiver derives it
    assert (ends[1]["model"], ends[1]["prompt_tokens"], ends[1]["total_tokens"]) == ("gpt-4o", 11, 15)
    assert ends[2]["run_id"] == seen["id"]
    assert (ends[2]["model"], ends[2]["prompt_tokens"], ends[2]["completion_tokens"]) == ("gpt-4.1", 100, 50)
    assert ends[2]["output"] == "overridden"
    assert ends[2]["metadata"]["tags"] == ["manual"] and ends[2]["metadata"]["step"] == 1


def test_context_applies_to_nested_runs_and_events(memory) -> None:
    with observatory.context(user_email="a@example.com", tags=["vip"], metadata={"tenant": "t1"}):
        with observatory.context(tags=["beta"]):
            plain(1)
            observatory.track_event("chat", role="user", content="hi", thread_id="th")
    plain(2)
    observatory.flush(5)
    first, chat = memory.events[0], by_name(memory.events, "chat")[0]
    for event in (first, chat):
        assert event["metadata"]["user_email"] == "a@example.com"
        assert event["metadata"]["tags"] == ["vip", "beta"]
        assert event["metadata"]["tenant"] == "t1"
    assert "user_email" not in memory.events[-1]["metadata"]


def test_a_run_inside_an_otel_span_joins_its_trace_under_it(memory) -> None:
    trace = pytest.importorskip("opentelemetry.sdk.trace")
    provider = trace.TracerProvider()
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("outer") as span:
        plain(1)
        context = span.get_span_context()
    observatory.flush(5)
    start = memory.events[0]
    assert start["trace_id"] == f"{context.trace_id:032x}"
    assert start["parent_run_id"] == f"{context.span_id:016x}"
    assert "span_id" not in start  # the run is not a span of its own without otel=True


def test_runs_outside_otel_share_their_root_run_as_trace(memory) -> None:
    Service("p").method(1)
    with observatory.start_run("agent", "a", run_id="not-a-uuid").activate():
        plain(1)
    observatory.flush(5)
    method, root, child = (by_name(memory.events, n)[i] for n, i in
                           (("tool_start", 0), ("agent_start", 0), ("agent_start", 1)))
    assert method["trace_id"] == method["run_id"].replace("-", "")
    assert len(root["trace_id"]) == 32 and child["trace_id"] == root["trace_id"]
    assert method["parent_run_id"] is None


def test_start_run_by_hand_nests_decorated_code(memory) -> None:
    run = observatory.start_run("agent", "manual-agent", input={"q": 1}, run_id="lc-123")
    with run.activate():
        Service.static(1)
    run.end({"answer": 2})
    observatory.flush(5)
    tree = runs(memory.events)
    assert tree["lc-123"]["end"]["output"] == {"answer": 2}
    child = next(r for k, r in tree.items() if k != "lc-123")
    assert child["start"]["parent_run_id"] == "lc-123"
    assert child["start"]["metadata"]["agent"] == "manual-agent"


def test_disabled_sdk_is_a_cheap_no_op() -> None:
    observatory.init(enabled=False)
    before = threading.active_count()
    assert plain(1) == 3
    assert list(stream(2)) == [0, 1]
    observatory.track_event("chat", role="user", content="x")
    assert threading.active_count() == before
    assert observatory.stats()["sent"] == 0 and observatory.stats()["state"] == "idle"
    observatory.shutdown()
    from observatory import _state

    _state._clear()


def test_cached_tokens_from_handle_and_return_values(memory) -> None:
    @observatory.llm(model="gpt-4o")
    def openai_style() -> dict:
        return {"usage": {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 80}}}

    @observatory.llm(model="claude-sonnet-4")
    def anthropic_style() -> dict:
        return {"usage": {"input_tokens": 50, "output_tokens": 5, "cache_read_input_tokens": 40}}

    @observatory.llm(model="gpt-4o")
    def by_hand() -> None:
        observatory.current_run().set_usage(prompt_tokens=10, completion_tokens=1, cached_tokens=3)

    openai_style()
    anthropic_style()
    by_hand()
    observatory.flush(5)
    assert [e["cached_tokens"] for e in by_name(memory.events, "llm_end")] == [80, 40, 3]


def test_start_can_be_held_back_or_never_sent(memory) -> None:
    held = observatory.start_run("tool", "late-args", send_start=False)
    held.input = {"arguments": "known later"}
    held.send_start()
    held.end("done")
    resumed = observatory.start_run("agent", "elsewhere", run_id="wf-9", send_start=False)
    resumed.end("finished here")
    observatory.flush(5)
    assert [e["name"] for e in memory.events] == ["tool_start", "tool_end", "agent_end"]
    assert memory.events[0]["input"] == {"arguments": "known later"}
    assert memory.events[2]["run_id"] == "wf-9"
