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
