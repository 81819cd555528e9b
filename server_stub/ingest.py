"""Ingest, before the store: body → events → validated, pre-folded batch.

Everything here runs on the request's worker thread, outside the writer's
lock: decompression with a size bound, JSON parsing, per-event validation, and
folding each run's events of the batch (:class:`Draft`). :mod:`.writer` then
dedupes, merges with stored runs and commits.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from observatory.protocol import MAX_BATCH_EVENTS, MAX_NESTING, RUN_TYPES, Event

from . import folding, nesting
from .auth import Principal
from .folding import Extras
from .nul import replace_nul

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
MAX_LISTED_REJECTIONS = 1000
"""An answer lists this many rejected events at most (lowest indexes first) and then
says how many there were in ``rejected_total``: the answer stays small whatever the
batch holds."""


class BodyError(Exception):
    """A request body refused as a whole (400, 413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- body -------------------------------------------------------------------------


def decompress(data: bytes, encoding: str | None, limit: int) -> bytes:
    """The body after ``Content-Encoding``, never inflating past ``limit`` bytes."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("identity", ""):
        if len(data) > limit:
            raise BodyError(413, f"body is larger than the {limit}-byte limit")
        return data
    if enc in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif enc == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise BodyError(415, f"unsupported Content-Encoding {encoding!r}; use gzip or none")
    out: list[bytes] = []
    total = 0
    pending = data
    try:
        while pending:
            inflater = zlib.decompressobj(wbits)
            buf = pending
            while True:
                chunk = inflater.decompress(buf, limit + 1 - total)
                total += len(chunk)
                out.append(chunk)
                if total > limit:
                    raise BodyError(
                        413, f"body is larger than the {limit}-byte limit after decompression"
                    )
                buf = inflater.unconsumed_tail
                if not buf:
                    break
            tail = inflater.flush(limit + 1 - total)
            total += len(tail)
            out.append(tail)
            if total > limit:
                raise BodyError(
                    413, f"body is larger than the {limit}-byte limit after decompression"
                )
            if not inflater.eof:
                raise BodyError(400, f"body is not valid {enc}: the stream is truncated")
            pending = inflater.unused_data  # concatenated gzip members
    except zlib.error as exc:
        raise BodyError(400, f"body is not valid {enc}: {exc}") from exc
    return b"".join(out)


def parse_body(data: bytes) -> list[Any]:
    """The ``events`` list of a JSON body, or :class:`BodyError` saying what is wrong."""
    if not data.strip():
        raise BodyError(400, 'body is empty; send a JSON object like {"events": [...]}')
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"body is not UTF-8 text: {exc}") from exc
    try:
        body = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise BodyError(
            400, f"body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise BodyError(
            400,
            "body nests arrays or objects too deeply to parse; "
            f"keep events under {MAX_NESTING} levels",
        ) from exc
    if not isinstance(body, dict):
        raise BodyError(
            400, f'body must be a JSON object like {{"events": [...]}}, got {_json_type(body)}'
        )
    if "events" not in body:
        raise BodyError(400, 'body has no "events" field; send {"events": [...]}')
    events = body["events"]
    if not isinstance(events, list):
        raise BodyError(400, f'"events" must be a list, got {_json_type(events)}')
    if len(events) > MAX_BATCH_EVENTS:
        raise BodyError(
            413,
            f"batch has {len(events)} events; send at most {MAX_BATCH_EVENTS} per request",
        )
    return events


_MAX_DIGITS = 4300
"""Python refuses to read longer integers (``sys.get_int_max_str_digits``)."""
LONG_INTEGER = "__observatory_integer_too_long__"
"""Stands in for such an integer while parsing, so that only its event is rejected."""


def _valid_unicode(raw: Any, body: str) -> tuple[Any, str]:
    """``raw`` and its JSON text with lone surrogates (``"\\ud800"`` is valid JSON, not
    valid Unicode, and no store takes it) replaced by U+FFFD."""
    if body.isascii():  # a flag lookup: the common case costs nothing
        return raw, body
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        body = body.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return json.loads(body), body
    return raw, body


_NUL_IN_JSON = "\\u0000"
"""How U+0000 appears in JSON text (the encoder escapes every control character)."""


def _without_nul(raw: Any, body: str) -> tuple[Any, str]:
    """``raw`` and its JSON text with U+0000 replaced by U+FFFD (see :mod:`.nul`): a NUL
    would fail the event's whole group of batches on PostgreSQL. The substring test
    is all an event without one costs (a literal backslash-u0000 only looks like one)."""
    if _NUL_IN_JSON not in body:
        return raw, body
    clean = replace_nul(raw)
    return clean, folding.dumps(clean)


def _parse_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_DIGITS else LONG_INTEGER


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


# -- events -----------------------------------------------------------------------


@dataclass(slots=True)
class Item:
    """One valid event of a batch."""

    index: int
    event: Event
    extras: Extras
    ts: int
    body: str
    """The event as stored (compact JSON), encoded before it reaches the writer."""
    app: str | None
    """The app the event names: its ``app_id``, else ``metadata.app_id``."""


def _error_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def validate(
    raw_events: Sequence[Any], received_us: int
) -> tuple[list[Item], list[dict[str, Any]]]:
    """Validate each event on its own with the SDK's :class:`Event` (what nests deeper
    than :data:`~observatory.protocol.MAX_NESTING` is cut first)."""
    items: list[Item] = []
    rejected: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            rejected.append(
                {"index": index, "error": f"event must be a JSON object, got {_json_type(raw)}"}
            )
            continue
        raw, body = _without_nul(*_valid_unicode(*nesting.bounded(raw)))
        if LONG_INTEGER in body:
            rejected.append(
                {"index": index, "error": f"holds an integer longer than {_MAX_DIGITS} digits"}
            )
            continue
        try:
            ev = Event.model_validate(raw)
            extras = folding.read_extras(ev)
        except ValidationError as exc:
            rejected.append({"index": index, "error": _error_text(exc)})
            continue
        except ValueError as exc:
            rejected.append({"index": index, "error": str(exc)})
            continue
        ts = (ev.timestamp - _EPOCH) // _US if ev.timestamp is not None else received_us
        items.append(Item(index, ev, extras, ts, body, ev.app_id or extras.app_id))
    return items, rejected


@dataclass(slots=True)
class Draft:
    """One run folded from its events in this batch alone, as if nothing about it
    were stored: what the writer uses as is when the run is new (the common case),
    so the folding happens outside the writer's lock."""

    type: str
    """The run's type: that of its first event in the batch."""
    items: list[Item]
    """All of the run's events in the batch, in arrival order."""
    state: dict[str, Any]
    """Folded from the items of ``type`` and finished (cost not yet derived)."""
    conflicts: list[Item]
    """Items of another type: rejected if the run turns out to be new."""


@dataclass(slots=True)
class Prepared:
    """A validated batch, ready for the writer."""

    items: list[Item]
    rejected: list[dict[str, Any]]
    drafts: dict[str, Draft]
    """Run events grouped by ``run_id``, pre-folded."""


def prepare(raw_events: Sequence[Any], principal: Principal, received_us: int) -> Prepared:
    """Validate ``raw_events`` and pre-fold their runs (everything that needs no store)."""
    items, rejected = validate(raw_events, received_us)
    by_run: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.event.type in RUN_TYPES:
            assert item.event.run_id is not None
            by_run[item.event.run_id].append(item)
    drafts: dict[str, Draft] = {}
    for run_id, run_items in by_run.items():
        run_type = run_items[0].event.type
        assert run_type is not None
        drafts[run_id] = fold_draft(principal, run_id, run_type, run_items, None)
    return Prepared(items, rejected, drafts)


def fold_draft(
    principal: Principal,
    run_id: str,
    run_type: str,
    run_items: list[Item],
    stored: dict[str, Any] | None,
) -> Draft:
    """Fold ``run_items`` (arrival order) into ``stored`` (a runs row) or a new run."""
    state = (
        folding.from_row(stored)
        if stored is not None
        else folding.new_run(principal.project_id, run_id, run_type, run_items[0].ts)
    )
    conflicts: list[Item] = []
    for item in sorted(run_items, key=_by_time):
        if item.event.type != run_type:
            conflicts.append(item)
            continue
        folding.merge_event(
            state, item.event, item.extras, item.ts, item.app, principal.default_app
        )
    folding.finish(state)
    return Draft(run_type, run_items, state, conflicts)


def _by_time(item: Item) -> int:
    return item.ts


@dataclass
class IngestResult:
    """The answer to one batch."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    runs_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the 200 answer."""
        answer: dict[str, Any] = {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": sorted(self.rejected, key=_by_index)[:MAX_LISTED_REJECTIONS],
        }
        if len(self.rejected) > MAX_LISTED_REJECTIONS:
            answer["rejected_total"] = len(self.rejected)
        return answer


def _by_index(rejection: dict[str, Any]) -> int:
    return int(rejection["index"])


def received_now_us() -> int:
    """Receive time used for events without a timestamp."""
    return time.time_ns() // 1000
