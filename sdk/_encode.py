"""Queue items -> wire events -> JSON bytes. Runs on the background thread only.

Serialising never raises: anything pydantic-core cannot encode goes through a
fallback (``repr``), cycles are cut, invalid UTF-8 is base64-encoded, NaN and
infinities become ``null``. ``input``, ``output`` and ``content`` larger than
``max_field_bytes`` are replaced by a visible truncation marker.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import logging
import time
from collections.abc import Mapping
from typing import Any

from pydantic_core import to_json, to_jsonable_python

from ._config import Config
from ._ids import new_id_text
from ._run import CUSTOM, START, Run
from ._usage import usage_from

logger = logging.getLogger("observatory")


BIG_FIELDS = ("input", "output", "content")
TRUNCATION_MARKER = "_observatory_truncated"
_IDS_PER_PREFIX = 0x1000
_MAX_DEPTH = 32
_REPR_LIMIT = 1000


_last_second = [-1, ""]


def iso_timestamp(seconds: float) -> str:
    """``2026-05-29T08:42:11.123Z`` for a Unix time."""
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    cached = _last_second
    if cached[0] != whole:  # events come in bursts within one second: format it once
        cached[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        cached[0] = whole
    return f"{cached[1]}.{millis:03d}Z"


def _fallback(obj: Any) -> Any:
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    try:
        text = repr(obj)
    except Exception:
        text = f"<unrepresentable {type(obj).__name__}>"
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "..."


def _plain(obj: Any, seen: set[int], depth: int) -> Any:
    """A JSON-safe copy of ``obj`` for the slow path: cycles and depth cut."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, bytes | bytearray):
        try:
            return bytes(obj).decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(bytes(obj)).decode("ascii")
    if depth > _MAX_DEPTH:
        return "<max depth>"
    if id(obj) in seen:
        return "<cycle>"
    if isinstance(obj, enum.Enum):
        return _plain(obj.value, seen, depth + 1)
    seen.add(id(obj))
    try:
        if isinstance(obj, Mapping):
            return {str(k): _plain(v, seen, depth + 1) for k, v in list(obj.items())}
        if isinstance(obj, list | tuple | set | frozenset):
            return [_plain(v, seen, depth + 1) for v in list(obj)]
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: _plain(getattr(obj, f.name, None), seen, depth + 1) for f in dataclasses.fields(obj)}
        dump = getattr(obj, "model_dump", None)
        if callable(dump) and not isinstance(obj, type):
            return _plain(dump(), seen, depth + 1)
        try:
            return to_jsonable_python(obj, fallback=_fallback, serialize_unknown=True, inf_nan_mode="null")
        except Exception:
            return _fallback(obj)
    except Exception:
        return _fallback(obj)
    finally:
        seen.discard(id(obj))


def dumps(value: Any) -> bytes:
    """Compact JSON for any Python value; never raises."""
    try:
        return to_json(value, fallback=_fallback, serialize_unknown=True, inf_nan_mode="null")
    except Exception:
        # Cycles, invalid UTF-8, a dict mutated while we read it, a failing
        # model_dump...: walk it ourselves.
        try:
            return to_json(_plain(value, set(), 0), inf_nan_mode="null")
        except Exception:
            return to_json(_fallback(value))


class Encoder:
    """Turns queue items into wire events (dicts), then into JSON bytes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._id_prefix = ""
        self._id_count = _IDS_PER_PREFIX

    def event_id(self) -> str:
        """A unique, time-ordered event id: a UUIDv7 prefix renewed every 4096 events, then a counter.

        Formatting a whole UUID per event was a tenth of the worker's time.
        Ids are fixed once encoded, so retries resend the same ids.
        """
        count = self._id_count
        if count >= _IDS_PER_PREFIX:
            self._id_prefix = new_id_text()
            count = 0
        self._id_count = count + 1
        return f"{self._id_prefix}-{count:03x}"

    # -- items -> dicts -------------------------------------------------------

    def event(self, item: tuple[Any, ...]) -> dict[str, Any]:
        """The wire event for one queue item."""
        kind = item[0]
        if kind == CUSTOM:
            return self._custom(*item[1:])
        return self._run_event(item[1], kind == START)

    def _metadata(self, run: Run | None, context: Any, run_name: str | None) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        if run_name is not None:
            meta["run_name"] = run_name
        if run is not None and run.agent is not None:
            meta["agent"] = run.agent
        if context is not None:
            if context.user_email:
                meta["user_email"] = context.user_email
            if context.metadata:
                meta.update(context.metadata)
            tags = list(context.tags)
        else:
            tags = []
        if run is not None:
            spec = run.spec
            if spec is not None:
                if spec.metadata:
                    meta.update(spec.metadata)
                tags.extend(t for t in spec.tags if t not in tags)
            if run.metadata:
                meta.update(run.metadata)
            if run.tags:
                tags.extend(t for t in run.tags if t not in tags)
            if run.otel is not None:
                meta["trace_id"] = f"{run.otel[0]:032x}"
                meta["span_id"] = f"{run.otel[1]:016x}"
        if tags:
            meta["tags"] = tags
        return meta

    def _run_event(self, run: Run, is_start: bool) -> dict[str, Any]:
        config = self.config
        when = run.start_time if is_start else (run.end_time or run.start_time)
        event: dict[str, Any] = {
            "event_id": self.event_id(),
            "name": f"{run.type}_{'start' if is_start else 'end'}",
            "type": run.type,
            "app_id": config.app_id,
            "run_id": run.run_id,
            "parent_run_id": run.parent_run_id,
            "timestamp": iso_timestamp(when),
            "metadata": self._metadata(run, run.context, run.name),
        }
        if is_start:
            if config.capture_input:
                if run.spec is not None and run.kwargs is not None:
                    event["input"] = run.spec.bind(run.args, run.kwargs, run.bound_method)
                else:
                    event["input"] = run.input
            if run.model:
                event["model"] = run.model
            return event
        event["status"] = run.status or "success"
        if config.capture_output:
            event["output"] = run.output
        if run.error is not None:
            error = run.error
            if isinstance(error, BaseException):
                event["error"] = {"type": type(error).__name__, "message": str(error)}
            else:
                event["error"] = {"type": "Error", "message": str(error)}
        if run.type == "llm":
            self._add_usage(run, event)
        elif run.model:
            event["model"] = run.model
        return event

    def _add_usage(self, run: Run, event: dict[str, Any]) -> None:
        usage = run.usage
        model = run.model
        if not usage:
            found, found_model = usage_from(run.output)
            usage = found
            model = model or found_model
        if model:
            event["model"] = model
        if usage:
            for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"):
                if key in usage:  # the receiver derives a missing total
                    event[key] = usage[key]

    def _custom(self, name: str, fields: dict[str, Any], when: float, parent: Run | None, context: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": self.event_id(),
            "name": name,
            "type": name if name in ("chat", "feedback", "saved") else "custom",
            "app_id": self.config.app_id,
            "timestamp": iso_timestamp(when),
            "parent_run_id": parent.run_id if parent is not None else None,
        }
        metadata = self._metadata(parent, context, None)
        extra_meta = fields.get("metadata")
        for key, value in fields.items():
            if key == "metadata":
                continue
            event[key] = value.run_id if isinstance(value, Run) else value
        if isinstance(extra_meta, Mapping):
            metadata.update(extra_meta)
        event["metadata"] = metadata
        return event

    # -- dicts -> bytes -----------------------------------------------------

    def encode(self, event: dict[str, Any]) -> bytes:
        """JSON bytes of one event, big fields truncated past ``max_field_bytes``."""
        limit = self.config.max_field_bytes
        big: list[tuple[str, bytes]] = []
        for key in BIG_FIELDS:
            if key in event:
                value = event.pop(key)
                encoded = dumps(value)
                if len(encoded) > limit:
                    encoded = dumps({
                        TRUNCATION_MARKER: True,
                        "original_bytes": len(encoded),
                        "preview": encoded[:limit].decode("utf-8", "ignore"),
                    })
                big.append((key, encoded))
        head = dumps(event)
        if not big:
            return head
        tail = b"".join(b',"' + key.encode() + b'":' + value for key, value in big)
        return head[:-1] + tail + b"}" if head != b"{}" else b"{" + tail[1:] + b"}"
