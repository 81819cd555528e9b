"""Recording an argument or a return value never iterates, calls or mutates it, whatever its type."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import resource
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pydantic

import observatory

from .capture_server import CaptureServer
from .conftest import by_name


def test_a_generator_argument_is_left_for_the_function(memory) -> None:
    @observatory.tool
    def consume(items: Iterator[int]) -> int:
        assert observatory.flush(5)  # the start event (with the argument) is encoded and sent by now
        return sum(1 for _ in items)

    assert consume(x for x in range(100)) == 100
    observatory.flush(5)
    start = by_name(memory.events, "tool_start")[0]
    assert start["input"]["items"].startswith("<generator object ")  # its built-in repr, which does not run it
    assert "<genexpr> at 0x" in start["input"]["items"]


def test_iterators_streams_and_lazy_objects_are_described_not_read(memory) -> None:
    stream = io.StringIO("line 1\nline 2\n")
    iterator = iter([1, 2, 3])
    mapped = map(str, [1, 2, 3])
    view = {"a": 1}.keys()

    @observatory.tool
    def take(*things: Any) -> list[Any]:
        assert observatory.flush(5)
        return [stream.read(), list(iterator), list(mapped), list(view)]

    repeat = itertools.repeat(7, 2)  # (infinite ones run in a subprocess below, with a memory cap)
    assert take(stream, iterator, mapped, view, repeat, range(3)) == [
        "line 1\nline 2\n", [1, 2, 3], ["1", "2", "3"], ["a"],
    ]
    assert list(repeat) == [7, 7]
    observatory.flush(5)
    recorded = by_name(memory.events, "tool_start")[0]["input"]["things"]
    assert recorded[0].startswith("<_io.StringIO object at 0x")
    assert recorded[1].startswith("<list_iterator object at 0x")
    assert recorded[2].startswith("<map object at 0x")
    assert recorded[3].startswith("<dict_keys object at 0x")
    assert recorded[4].startswith("<itertools.repeat object at 0x")
    assert recorded[5] == "range(0, 3)"


def test_classes_functions_and_callbacks_are_named(memory) -> None:
    callback = Spy().__len__
    Spy.calls = []  # taking the bound method went through __getattribute__: only the SDK counts

    @observatory.tool
    def register(*callbacks: Any) -> None:
        pass

    register(Spy, Message, print, test_classes_functions_and_callbacks_are_named, callback)
    assert observatory.flush(5)
    assert Spy.calls == []
    assert by_name(memory.events, "tool_start")[0]["input"]["callbacks"] == [
        "<class 'tests.sdk.test_transparency.Spy'>",
        "<class 'tests.sdk.test_transparency.Message'>",
        "<built-in function print>",
        f"<function test_classes_functions_and_callbacks_are_named at {id(test_classes_functions_and_callbacks_are_named):#x}>",
        "<bound method Spy.__len__>",
    ]


class Spy:
    """Logs every special method and attribute access a recorder could make."""

    calls: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        Spy.calls.append(f"getattribute {name}")
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        Spy.calls.append(f"getattr {name}")
        raise AttributeError(name)

    def __iter__(self) -> Iterator[int]:
        Spy.calls.append("iter")
        return iter([1])

    def __len__(self) -> int:
        Spy.calls.append("len")
        return 1

    def __repr__(self) -> str:
        Spy.calls.append("repr")
        return "<spy>"

    def __str__(self) -> str:
        Spy.calls.append("str")
        return "spy"

    def __bool__(self) -> bool:
        Spy.calls.append("bool")
        return True

    def __eq__(self, other: object) -> bool:
        Spy.calls.append("eq")
        return False

    def __hash__(self) -> int:
        Spy.calls.append("hash")
        return 1

    def __reduce_ex__(self, protocol: Any) -> Any:
        Spy.calls.append("reduce")
        raise TypeError("no")


class SpyDict(dict):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        Spy.calls.append("dict iter")
        return super().__iter__()

    def items(self) -> Any:
        Spy.calls.append("dict items")
        return super().items()

    def keys(self) -> Any:
        Spy.calls.append("dict keys")
        return super().keys()


class SpyList(list):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        Spy.calls.append("list iter")
        return super().__iter__()


class Message(pydantic.BaseModel):
    role: str
    secret: str = pydantic.Field(default="s3cret", exclude=True)

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def shout(self) -> str:
        Spy.calls.append("computed field")
        return self.role.upper()

    @pydantic.field_serializer("role")
    def _role(self, value: str) -> str:
        Spy.calls.append("field serializer")
        return value


@dataclasses.dataclass
class Point:
    x: int
    y: Any


def test_user_objects_are_never_called(memory) -> None:
    spy = Spy()
    arguments = (
        spy,
        {"nested": [spy, (spy,)], spy: "a spy as a key"},
        SpyDict(a=SpyList([1, 2, spy])),
        Message(role="user"),
        Point(1, spy),
    )
    Spy.calls = []  # building the arguments hashed the spy: only what the SDK does counts

    @observatory.llm  # an llm run also looks for token usage on the return value
    def call(*args: Any) -> Any:
        observatory.current_run().set_metadata(spy=spy)
        observatory.track_event("seen", value=spy, metadata={"spy": spy})
        return spy

    assert call(*arguments) is spy
    with observatory.context(metadata={"spy": spy}):
        observatory.track_event("chat", role="user", content=[spy])
    assert observatory.flush(5)
    assert Spy.calls == []
    start = by_name(memory.events, "llm_start")[0]
    described = f"<tests.sdk.test_transparency.Spy object at {id(spy):#x}>"
    assert start["input"]["args"][0] == described
    assert start["input"]["args"][1] == {"nested": [described, [described]], described: "a spy as a key"}
    assert start["input"]["args"][2] == {"a": [1, 2, described]}
    assert start["input"]["args"][3] == {"role": "user"}  # stored fields; excluded ones left out
    assert start["input"]["args"][4] == {"x": 1, "y": described}
    assert by_name(memory.events, "llm_end")[0]["output"] == described
    assert by_name(memory.events, "seen")[0]["value"] == described


def test_a_mutable_argument_is_not_mutated_by_the_redact_hook(memory) -> None:
    def redact(event: dict[str, Any]) -> dict[str, Any]:
        if event.get("input"):
            event["input"]["config"]["api_key"] = "***"
        return event

    observatory.init(transport=memory, redact=redact, flush_interval=0.05)
    config = {"api_key": "sk-live", "model": "m"}

    @observatory.tool
    def connect(config: dict[str, str]) -> None:
        pass

    connect(config)
    assert observatory.flush(5)
    assert config == {"api_key": "sk-live", "model": "m"}
    assert by_name(memory.events, "tool_start")[0]["input"]["config"]["api_key"] == "***"


PROGRAM = """
import itertools, resource, sys
import observatory

observatory.init(api_url=sys.argv[1], app_id="transparency", flush_interval=0.05)

def forever():
    while True:
        yield 1

@observatory.tool
def first(items):
    return next(iter(items))

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(first(itertools.count()), first(forever()), flush=True)
assert observatory.flush(10), observatory.stats()
grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print("grown_kib", grown_kib, flush=True)
# no shutdown call: the exit hook must not hang on (or iterate) the infinite arguments
"""


def test_infinite_arguments_are_delivered_and_the_program_exits(server: CaptureServer) -> None:
    def cap_memory() -> None:  # without the fix the encoder grows ~330 MB/s: fail, not swap
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM), server.url],
        capture_output=True, text=True, timeout=60, preexec_fn=cap_memory,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "0 1"
    assert int(lines[1].split()[1]) < 20_000  # KiB: the arguments were never materialised
    starts = by_name(server.events, "tool_start")
    assert [s["input"]["items"].split(" object ")[0] for s in starts] == ["<itertools.count", "<generator"]
    assert len(by_name(server.events, "tool_end")) == 2
    assert json.dumps(server.events)  # plain JSON all the way


def test_usage_is_read_from_stored_attributes_only(memory) -> None:
    class Slotted:
        __slots__ = ("usage", "model")

        def __init__(self) -> None:
            self.usage = {"input_tokens": 7, "output_tokens": 3}
            self.model = "claude-x"

    class Lazy:
        @property
        def usage(self) -> dict[str, int]:
            Spy.calls.append("usage property")
            return {"prompt_tokens": 1}

    @observatory.llm
    def call(reply: object) -> object:
        return reply

    class Loose(pydantic.BaseModel, extra="allow"):
        id: str

    Spy.calls = []
    call(Slotted())
    call(Lazy())
    call(Loose(id="r1", usage={"prompt_tokens": 5, "completion_tokens": 1}))
    assert observatory.flush(5)
    slotted, lazy, loose = by_name(memory.events, "llm_end")
    assert (slotted["model"], slotted["prompt_tokens"], slotted["completion_tokens"]) == ("claude-x", 7, 3)
    assert "prompt_tokens" not in lazy and Spy.calls == []
    assert loose["prompt_tokens"] == 5 and loose["output"] == {"id": "r1", "usage": {"prompt_tokens": 5, "completion_tokens": 1}}


def test_custom_event_checks_never_call_user_objects(memory, caplog) -> None:
    spy = Spy()
    Spy.calls = []
    with caplog.at_level("WARNING", logger="observatory"):
        observatory.track_event("feedback", run_id="r1", rating=spy)
        observatory.track_event("chat", role=spy, content="hi")
        observatory.track_event(spy, value=1)  # type: ignore[arg-type]
        observatory.track_event("custom_thing", timestamp=spy, value=spy)
    assert observatory.flush(5)  # (the three invalid ones were dropped before the flush)
    assert Spy.calls == []
    assert observatory.stats()["dropped"] == {"invalid": 3}
    assert "feedback needs rating='positive' or 'negative', got a Spy" in caplog.text
    assert by_name(memory.events, "custom_thing")[0]["value"].startswith("<tests.sdk.test_transparency.Spy object")
