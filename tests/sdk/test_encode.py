"""Serialising arbitrary objects never raises; big fields are truncated visibly; redaction."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import uuid
from decimal import Decimal

import pydantic

import observatory
from observatory._config import Config
from observatory._encode import TRUNCATION_MARKER, Encoder, dumps, iso_timestamp
from observatory._limits import MAX_DEPTH
from observatory._plain import plain
from observatory._run import CUSTOM

from .conftest import by_name


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Model(pydantic.BaseModel):
    name: str
    when: datetime.datetime


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_dumps_handles_everything() -> None:
    cyclic: dict = {"a": 1}
    cyclic["self"] = cyclic
    value = {
        "model": Model(name="m", when=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)),
        "point": Point(1, 2),
        "uuid": uuid.UUID(int=1),
        "enum": Color.RED,
        "set": {1},
        "bytes": b"text",
        "bad_bytes": b"\xff\xfe",
        "exception": ValueError("bad"),
        "decimal": Decimal("1.5"),
        "nan": float("nan"),
        "cycle": cyclic,
        "unprintable": Unprintable(),
        "object": object(),
        (1, 2): "tuple key",
    }
    decoded = json.loads(dumps(value))
    assert decoded["point"] == {"x": 1, "y": 2}
    assert decoded["uuid"] == "00000000-0000-0000-0000-000000000001"
    assert decoded["enum"] == "red"
    assert decoded["bytes"] == "text"
    assert decoded["bad_bytes"].startswith("base64:")
    assert decoded["exception"] == "ValueError: bad"
    assert decoded["nan"] is None
    assert decoded["cycle"]["self"] == "<cycle>"
    assert decoded["unprintable"].startswith("<tests.sdk.test_encode.Unprintable object at 0x")
    assert decoded["model"]["name"] == "m"


def test_root_models_are_their_root_value() -> None:
    assert json.loads(dumps({"ids": pydantic.RootModel[list[int]]([1, 2])})) == {"ids": [1, 2]}


def test_dumps_fast_path_types() -> None:
    assert json.loads(dumps({"d": datetime.date(2026, 1, 2), "s": {3}})) == {"d": "2026-01-02", "s": [3]}


def test_big_fields_are_truncated_with_marker() -> None:
    encoder = Encoder(Config(max_field_bytes=100))
    encoded = encoder.encode({"name": "tool_end", "output": "x" * 10_000, "input": {"small": 1}})
    event = json.loads(encoded)
    assert event["input"] == {"small": 1}
    assert event["output"][TRUNCATION_MARKER] is True
    assert event["output"]["original_bytes"] == 10_002
    assert len(event["output"]["preview"]) <= 100
    assert len(encoded) < 400


def test_iso_timestamp_has_millis_and_z() -> None:
    assert iso_timestamp(0.1234) == "1970-01-01T00:00:00.123Z"
    assert iso_timestamp(1780000000.5) == "2026-05-28T20:26:40.500Z"


def test_redact_hook_masks_and_drops(memory) -> None:
    def redact(event: dict) -> dict | None:
        if event["name"] == "chat":
            return None
        if event.get("input"):
            event["input"] = {k: ("***" if k == "password" else v) for k, v in event["input"].items()}
        return event

    observatory.init(transport=memory, redact=redact, flush_interval=0.05)

    @observatory.tool
    def login(user: str, password: str) -> bool:
        return True

    login("ann", "hunter2")
    observatory.track_event("chat", role="user", content="secret")
    assert observatory.flush(5) is False  # one event was dropped by the hook
    start = by_name(memory.events, "tool_start")[0]
    assert start["input"] == {"user": "ann", "password": "***"}
    assert not by_name(memory.events, "chat")
    assert observatory.stats()["dropped"] == {"redacted": 1}


def test_redact_hook_that_raises_drops_the_event(memory) -> None:
    def redact(event: dict) -> dict:
        raise RuntimeError("oops")

    observatory.init(transport=memory, redact=redact, flush_interval=0.05)
    observatory.track_event("custom_thing", value=1)
    observatory.flush(5)
    assert memory.events == []
    assert observatory.stats()["dropped"] == {"redact_error": 1}


def test_unserialisable_input_never_raises_into_user_code(memory) -> None:
    class Weird:
        def __getattr__(self, name: str):
            raise RuntimeError("no attributes")

        def __repr__(self) -> str:
            return "<weird>"

    @observatory.llm
    def call(x: object) -> object:
        return x

    weird = Weird()
    assert call(weird) is weird
    observatory.flush(5)
    # described by its type, like Python's default repr: its own __repr__ is not called
    assert by_name(memory.events, "llm_start")[0]["input"]["x"].endswith(f"Weird object at {id(weird):#x}>")
    assert by_name(memory.events, "llm_end")[0]["output"].endswith(f"Weird object at {id(weird):#x}>")


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def depth_of(value: object) -> int:
    levels = 0
    while isinstance(value, list) and value:
        value, levels = value[0], levels + 1
    return levels


def test_deep_values_are_cut_with_a_marker() -> None:
    decoded = json.loads(dumps({"deep": nested(5000)}))
    assert depth_of(decoded["deep"]) == MAX_DEPTH - 1
    cut = decoded["deep"]
    for _ in range(MAX_DEPTH - 1):
        cut = cut[0]
    assert cut == {TRUNCATION_MARKER: True, "reason": "max_depth", "max_depth": MAX_DEPTH, "type": "list"}
    assert depth_of(json.loads(dumps(nested(10)))) == 10


def test_numbers_outside_json_and_int64_become_text_or_null() -> None:
    decoded = json.loads(dumps({
        "huge": 10**5000, "big": 2**63, "edge": 2**63 - 1, "low": -(2**63), "lower": -(2**63) - 1,
        "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), 10**30: "int key",
    }))
    assert decoded["huge"] == "<int of 16610 bits>"
    assert decoded["big"] == str(2**63)
    assert decoded["edge"] == 2**63 - 1
    assert decoded["low"] == -(2**63)
    assert decoded["lower"] == str(-(2**63) - 1)
    assert decoded["nan"] is None and decoded["inf"] is None and decoded["ninf"] is None
    assert decoded[str(10**30)] == "int key"


def test_huge_containers_are_read_only_up_to_the_budget() -> None:
    assert plain(list(range(10)), budget=4) == [0, 1, 2, 3, {TRUNCATION_MARKER: True, "reason": "size", "omitted_items": 6}]
    assert plain({str(i): i for i in range(5)}, budget=2) == {"0": 0, "1": 1, TRUNCATION_MARKER: {"reason": "size", "omitted_items": 3}}
    encoder = Encoder(Config(max_field_bytes=1000))
    event = encoder.event((CUSTOM, "big", {"content": list(range(10**6))}, 0.0, None, None))
    encoded = encoder.encode(event)
    assert len(encoded) < 2000
    assert json.loads(encoded)["content"][TRUNCATION_MARKER] is True


def test_lone_surrogates_are_replaced() -> None:
    assert json.loads(dumps({"text": "a\ud800b", "pair": "\ud83d\ude00"})) == {"text": "a\ufffdb", "pair": "\U0001f600"}


def test_token_counts_that_are_not_counts_are_left_out(memory, caplog) -> None:
    class Reply:
        def __init__(self) -> None:
            self.usage = {"prompt_tokens": float("inf"), "completion_tokens": 5}

    @observatory.llm
    def bad_handle() -> str:
        observatory.current_run().set_usage(
            model="m", prompt_tokens=10**12 + 1, completion_tokens="12", cached_tokens=-1, total_tokens=7,  # type: ignore[arg-type]
        )
        return "ok"

    @observatory.llm
    def bad_reply() -> Reply:
        return Reply()

    @observatory.llm
    def overflowing_sum() -> None:  # each count is fine, their sum is not
        observatory.current_run().set_usage(prompt_tokens=6 * 10**11, completion_tokens=6 * 10**11)

    with caplog.at_level("WARNING", logger="observatory"):
        bad_handle()
        bad_reply()
        overflowing_sum()
        assert observatory.flush(5)
    ends = by_name(memory.events, "llm_end")
    assert {k: ends[0].get(k) for k in ("model", "prompt_tokens", "completion_tokens", "cached_tokens", "total_tokens")} == {
        "model": "m", "prompt_tokens": None, "completion_tokens": None, "cached_tokens": None, "total_tokens": 7,
    }
    assert ends[1]["completion_tokens"] == 5 and "prompt_tokens" not in ends[1]
    assert not {"prompt_tokens", "completion_tokens", "total_tokens"} & set(ends[2])
    assert observatory.stats()["dropped"] == {}
    assert f"left out prompt_tokens={10**12 + 1} of llm run 'bad_handle'" in caplog.text
    assert "left out the token counts of llm run 'overflowing_sum'" in caplog.text
