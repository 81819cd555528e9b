"""Queue items -> wire events -> JSON bytes. Runs on the background thread only.

Every value that came from the user (arguments, return values, metadata,
custom fields) is first copied by :func:`~._plain.plain`, which never runs the
user's code and bounds depth and size; the redact hook and the JSON encoder
only ever see that copy. Serialising never raises. ``input``, ``output`` and
``content`` larger than ``max_field_bytes`` are replaced by a visible
truncation marker; token counts that are not whole numbers from 0 to
``MAX_TOKENS`` (10**12) are left out (and logged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import to_json

from ._config import Config
from ._ids import new_id_text
from ._limits import MAX_TOKENS, token_count
from ._plain import TRUNCATION_MARKER, describe, plain, repair_text
from ._run import CUSTOM, START, Run
from ._usage import usage_from

logger = logging.getLogger("observatory")


BIG_FIELDS = ("input", "output", "content")
__all__ = ["BIG_FIELDS", "TRUNCATION_MARKER", "Encoder", "dumps", "iso_timestamp"]
_IDS_PER_PREFIX = 0x1000
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens")

Warn = Callable[..., None]
"""``warn(key, message, *args)``: a warning, logged at most once a minute per key."""


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


def _json(value: Any) -> bytes:
    """Compact JSON for a value :func:`plain` returned."""
    try:
        return to_json(value, inf_nan_mode="null")
    except Exception:  # lone surrogates in a string cannot be UTF-8
        try:
            return to_json(repair_text(value), inf_nan_mode="null")
        except Exception:
            return to_json(describe(value))


def dumps(value: Any) -> bytes:
    """Compact JSON for any Python value, read without running its code; never raises."""
    return _json(plain(value))


def _log_warning(key: str, message: str, *args: Any) -> None:
    logger.warning(message, *args)


class Encoder:
    """Turns queue items into wire events (dicts), then into JSON bytes."""

    def __init__(self, config: Config, warn: Warn | None = None) -> None:
        self.config = config
        self.warn = warn or _log_warning
        self.budget = max(config.max_field_bytes, 1)
        """Values read from one recorded value at most: past it, the encoding exceeds
        ``max_field_bytes`` anyway, and the walk stops with a marker."""
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
        if tags:
            meta["tags"] = tags
        return plain(meta, self.budget)  # type: ignore[no-any-return]

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
        trace_id = run.trace_id
        if trace_id is not None:
            event["trace_id"] = trace_id
        if run.span is not None:
            event["span_id"] = f"{run.span.get_span_context().span_id:016x}"
        if config.release is not None:
            event["release"] = config.release
        if is_start:
            if config.capture_input:
                if run.spec is not None and run.kwargs is not None:
                    event["input"] = plain(run.spec.bind(run.args, run.kwargs, run.bound_method), self.budget)
                else:
                    event["input"] = plain(run.input, self.budget)
            if run.model:
                event["model"] = plain(run.model)
            return event
        event["status"] = run.status or "success"
        if config.capture_output:
            event["output"] = plain(run.output, self.budget)
        if run.error is not None:
            error = run.error
            if isinstance(error, BaseException):
                event["error"] = {"type": type(error).__name__, "message": str(error)}
            else:
                event["error"] = {"type": "Error", "message": str(error)}
        if run.type == "llm":
            self._add_usage(run, event)
        elif run.model:
            event["model"] = plain(run.model)
        return event

    def _add_usage(self, run: Run, event: dict[str, Any]) -> None:
        usage = run.usage
        model = run.model
        if not usage:
            found, found_model = usage_from(run.output)
            usage = found
            model = model or found_model
        if model:
            event["model"] = plain(model)
        if usage:
            for key in _USAGE_KEYS:
                if key in usage:  # the receiver derives a missing total
                    count = token_count(usage[key])
                    if count is None:
                        shown = str(plain(usage[key]))
                        self.warn(
                            "usage", "observatory: left out %s=%s of llm run %r: token counts are whole "
                            "numbers from 0 to %d", key, shown[:40] + "..." if len(shown) > 40 else shown,
                            run.name, MAX_TOKENS,
                        )
                        continue
                    event[key] = count
            if event.get("prompt_tokens", 0) + event.get("completion_tokens", 0) > MAX_TOKENS:
                self.warn(
                    "usage-sum", "observatory: left out the token counts of llm run %r: prompt_tokens + "
                    "completion_tokens is past %d", run.name, MAX_TOKENS,
                )
                for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                    event.pop(key, None)

    def _custom(self, name: str, fields: dict[str, Any], when: float, parent: Run | None, context: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": self.event_id(),
            "name": name,
            "type": name if name in ("chat", "feedback", "saved") else "custom",
            "app_id": self.config.app_id,
            "timestamp": iso_timestamp(when),
            "parent_run_id": parent.run_id if parent is not None else None,
        }
        if self.config.release is not None:  # a custom event's own ``release`` field wins
            event["release"] = self.config.release
        metadata = self._metadata(parent, context, None)
        budget = self.budget
        for key, value in fields.items():
            if key == "metadata":
                extra_meta = plain(value, budget)
                if type(extra_meta) is dict:
                    metadata.update(extra_meta)
                continue
            event[key] = value.run_id if type(value) is Run else plain(value, budget)
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
                encoded = _json(value)
                if len(encoded) > limit:
                    encoded = _json({
                        TRUNCATION_MARKER: True,
                        "original_bytes": len(encoded),
                        "preview": encoded[:limit].decode("utf-8", "ignore"),
                    })
                big.append((key, encoded))
        head = _json(event)
        if not big:
            return head
        tail = b"".join(b',"' + key.encode() + b'":' + value for key, value in big)
        return head[:-1] + tail + b"}" if head != b"{}" else b"{" + tail[1:] + b"}"
