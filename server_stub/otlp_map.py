"""OTLP spans → Observatory events (the wire events of ``POST /api/report``).

Each span becomes one complete run event (``<type>`` with ``latency_s``), so
it takes the same path as every reported event: validation, dedupe (the event
id is the span id), folding, costs. Around it:

* ``chat`` events for the new messages of a turn, when the span names a thread
  (``gen_ai.conversation.id`` or ``session.id``);
* ``feedback`` events for ``gen_ai.evaluation.result`` span events.

The run type comes from ``gen_ai.operation.name`` or
``openinference.span.kind``; any other span is a ``span`` run named after the
span, so the tree stays connected through HTTP and framework spans. Spans that
Observatory's own SDK made (attribute ``observatory.run_id``) are skipped: the
SDK reports those runs itself. docs/otel.md has the full table.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

OWN_SPAN_ATTRIBUTE = "observatory.run_id"
"""Set on the spans of ``observatory.init(otel=True)``; such spans are not ingested."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUS_ERROR = 2

GEN_AI_OPERATIONS = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "llm",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "execute_tool": "tool",
}
OPENINFERENCE_KINDS = {"LLM": "llm", "EMBEDDING": "llm", "AGENT": "agent", "TOOL": "tool"}

POSITIVE_LABELS = frozenset(
    "pass passed positive good correct true yes relevant faithful grounded helpful "
    "acceptable ok success thumbs_up".split()
)
NEGATIVE_LABELS = frozenset(
    "fail failed negative bad incorrect false no irrelevant unfaithful hallucinated "
    "hallucination unhelpful unacceptable error toxic thumbs_down".split()
)
SCORE_THRESHOLD = 0.5
"""An evaluation without a known label is positive when its score is at least this."""

# attributes that become fields (never copied into metadata: they can be large)
_FIELD_ATTRIBUTES = frozenset(
    (
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "input.value",
        "output.value",
        "gen_ai.agent.name",
        "user.id",
        "gen_ai.usage.cost",
        "llm.cost.total",
    )
)
_BULKY_PREFIXES = ("llm.input_messages.", "llm.output_messages.", "llm.tools.")


@dataclass
class Mapped:
    """The events of one request and which span each came from."""

    events: list[dict[str, Any]] = field(default_factory=list)
    run_event_span: dict[int, str] = field(default_factory=dict)
    """Index in ``events`` of each span's run event → the span id (hex)."""
    rejected: list[str] = field(default_factory=list)
    """Why each span refused before ingest was refused."""
    spans: int = 0


# -- values -----------------------------------------------------------------------------


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as a plain Python value."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return getattr(value, kind)


def attributes(key_values: Any) -> dict[str, Any]:
    """Repeated ``KeyValue`` → dict."""
    return {kv.key: any_value(kv.value) for kv in key_values}


def _json(value: Any) -> Any:
    """A JSON string attribute decoded (messages, tool arguments); anything else as is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0 and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


_ALIASES: dict[str, tuple[str, int]] = {
    name: (field, rank)
    for field, names in (
        ("prompt_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                           "llm.token_count.prompt")),
        ("completion_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                               "llm.token_count.completion")),
        ("total_tokens", ("gen_ai.usage.total_tokens", "llm.token_count.total")),
        ("cached_tokens", ("gen_ai.usage.cache_read.input_tokens",
                           "gen_ai.usage.cache_read_input_tokens",
                           "llm.token_count.prompt_details.cache_read")),
        ("model", ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name",
                   "embedding.model_name")),
        ("provider", ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")),
        ("thread", ("gen_ai.conversation.id", "session.id")),
        ("tool_name", ("gen_ai.tool.name", "tool.name")),
        ("given", ("gen_ai.input.messages", "gen_ai.prompt", "input.value")),
        ("made", ("gen_ai.output.messages", "gen_ai.completion", "output.value")),
        ("tool_in", ("gen_ai.tool.call.arguments", "input.value")),
        ("tool_out", ("gen_ai.tool.call.result", "output.value")),
    )
    for rank, name in enumerate(names)
}
"""Attribute → (what it says, preference: the lowest rank present wins). Current
GenAI names first, then the older ones, then OpenInference's."""
# input.value / output.value say two things (llm or tool input); the table keeps one
_TWICE = {"input.value": ("given", 2), "output.value": ("made", 2)}


def pick(attrs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One pass over a span's attributes: what they say by :data:`_ALIASES`, and the
    attributes kept as metadata (all but the bulky ones that became fields)."""
    picked: dict[str, tuple[int, Any]] = {}
    kept: dict[str, Any] = {}
    for key, value in attrs.items():
        alias = _ALIASES.get(key)
        if alias is not None and value is not None and value != "":
            for field_name, rank in (alias, _TWICE[key]) if key in _TWICE else (alias,):
                old = picked.get(field_name)
                if old is None or rank < old[0]:
                    picked[field_name] = (rank, value)
        if key not in _FIELD_ATTRIBUTES and not key.startswith(_BULKY_PREFIXES):
            kept[key] = value
    return {name: value for name, (_, value) in picked.items()}, kept


def _moment(unix_nano: int) -> datetime:
    return _EPOCH + timedelta(microseconds=unix_nano // 1000)


# -- one span ---------------------------------------------------------------------------


def run_type(attrs: dict[str, Any]) -> str:
    """``llm``, ``agent``, ``tool`` or ``span`` from the GenAI or OpenInference attributes."""
    operation = attrs.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation in GEN_AI_OPERATIONS:
        return GEN_AI_OPERATIONS[operation]
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.upper() in OPENINFERENCE_KINDS:
        return OPENINFERENCE_KINDS[kind.upper()]
    return "span"


_USAGE = ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens")


def _io(run: str, attrs: dict[str, Any], said: dict[str, Any],
        span_events: list[tuple[str, dict[str, Any]]]) -> tuple[Any, Any]:
    if run == "tool":
        return _json(said.get("tool_in")), _json(said.get("tool_out"))
    given, made = said.get("given"), said.get("made")
    for name, event_attrs in span_events:  # the older conventions' span events
        if given is None and name == "gen_ai.content.prompt":
            given = event_attrs.get("gen_ai.prompt")
        elif made is None and name == "gen_ai.content.completion":
            made = event_attrs.get("gen_ai.completion")
    given = _json(given)
    system = attrs.get("gen_ai.system_instructions")
    if system is not None and isinstance(given, list):
        given = {"system_instructions": _json(system), "messages": given}
    return given, _json(made)


def _error(attrs: dict[str, Any], status: Any, span_events: list[tuple[str, dict[str, Any]]]) -> Any:
    for name, event_attrs in span_events:
        if name == "exception":
            return {
                "type": event_attrs.get("exception.type"),
                "message": event_attrs.get("exception.message") or status.message or "",
            }
    if status.code == _STATUS_ERROR:
        return {"type": attrs.get("error.type"), "message": status.message or "span status ERROR"}
    return None


def _message_content(message: dict[str, Any]) -> Any:
    parts = message.get("parts")
    if isinstance(parts, list):
        texts = [p.get("content") for p in parts if isinstance(p, dict) and p.get("type") == "text"]
        strings = [t for t in texts if isinstance(t, str)]
        if strings and len(strings) == len(parts):
            return "\n".join(strings)
        return parts or None
    return message.get("content")


_ROLES = ("user", "assistant", "system", "tool", "developer")


def turn_messages(given: Any, made: Any) -> list[dict[str, Any]]:
    """The messages a call added to its thread: the input after the last assistant
    message (earlier ones were sent by previous calls), then the output."""
    if isinstance(given, dict):
        given = given.get("messages")
    inputs = [m for m in given if isinstance(m, dict)] if isinstance(given, list) else []
    last = max((i for i, m in enumerate(inputs) if m.get("role") == "assistant"), default=-1)
    outputs = [m for m in made if isinstance(m, dict)] if isinstance(made, list) else []
    out = []
    for message in [*inputs[last + 1 :], *outputs]:
        role, content = message.get("role"), _message_content(message)
        if role in _ROLES and content is not None:
            out.append({"role": role, "content": content})
    return out


def evaluation_rating(event_attrs: dict[str, Any]) -> str | None:
    """``positive``/``negative`` for a ``gen_ai.evaluation.result``: a known label
    decides, else the score against :data:`SCORE_THRESHOLD`; None if neither."""
    label = event_attrs.get("gen_ai.evaluation.score.label")
    if isinstance(label, str):
        key = label.strip().lower().replace(" ", "_").replace("-", "_")
        if key in POSITIVE_LABELS:
            return "positive"
        if key in NEGATIVE_LABELS:
            return "negative"
    score = event_attrs.get("gen_ai.evaluation.score.value")
    if isinstance(score, int | float) and not isinstance(score, bool):
        return "positive" if score >= SCORE_THRESHOLD else "negative"
    return None


def _evaluation_comment(event_attrs: dict[str, Any]) -> str:
    bits = [
        f"{key}={event_attrs[attr]}"
        for key, attr in (
            ("name", "gen_ai.evaluation.name"),
            ("label", "gen_ai.evaluation.score.label"),
            ("score", "gen_ai.evaluation.score.value"),
        )
        if event_attrs.get(attr) is not None
    ]
    explanation = event_attrs.get("gen_ai.evaluation.explanation")
    text = " ".join(bits)
    return f"{text}: {explanation}" if explanation else text


def span_events(
    span: Any,
    attrs: dict[str, Any],
    trace: str,
    resource: dict[str, Any],
    scope: str,
    enclosing_agent: str | None = None,
) -> list[dict[str, Any]]:
    """The events of one span (its run event first); ids already checked.
    ``enclosing_agent`` names the agent of a span without ``gen_ai.agent.name``."""
    span_id = span.span_id.hex()
    parent = span.parent_span_id.hex() if len(span.parent_span_id) == 8 else None
    if parent == "0000000000000000":
        parent = None
    said, kept = pick(attrs)
    events_of_span = [(e.name, attributes(e.attributes)) for e in span.events]
    kind = run_type(attrs)
    start, end = span.start_time_unix_nano, span.end_time_unix_nano or span.start_time_unix_nano
    ended = _moment(end)
    agent = attrs.get("gen_ai.agent.name") or enclosing_agent
    if kind == "tool":
        name = said.get("tool_name") or span.name
    elif kind == "agent":
        name = attrs.get("gen_ai.agent.name") or span.name
    else:
        name = span.name
    thread = said.get("thread")
    user = attrs.get("user.id")
    meta: dict[str, Any] = {"run_name": str(name)[:200] or kind}
    if isinstance(agent, str) and agent:
        meta["agent"] = agent
    if isinstance(user, str) and user:
        meta["user_email"] = user
    if isinstance(thread, str | int):
        meta["thread_id"] = thread = str(thread)
    else:
        thread = None
    provider = said.get("provider")
    if provider is not None:
        meta["provider"] = provider
    service = resource.get("service.name")
    if service is not None:
        meta["service.name"] = service
    if scope:
        meta["otel.scope"] = scope
    meta["otel.kind"] = span.kind
    if kept:
        meta["attributes"] = kept
    given, made = _io(kind, attrs, said, events_of_span)
    error = _error(attrs, span.status, events_of_span)
    run: dict[str, Any] = {
        "event_id": span_id,
        "name": kind,
        "run_id": span_id,
        "parent_run_id": parent,
        "trace_id": trace,
        "span_id": span_id,
        "timestamp": ended,
        "latency_s": max(0, end - start) / 1e9,
        "status": "error" if error is not None else "success",
        "metadata": meta,
    }
    model = said.get("model")
    if isinstance(model, str):
        run["model"] = model[:200]
    for key in _USAGE:
        count = _int(said.get(key))
        if count is not None:
            run[key] = count
    if given is not None:
        run["input"] = given
    if made is not None:
        run["output"] = made
    if error is not None:
        run["error"] = error
    out = [run]
    if thread is not None and kind == "llm":
        for i, message in enumerate(turn_messages(given, made)):
            out.append({
                "event_id": f"{span_id}.m{i}",
                "message_id": f"{span_id}.m{i}",
                "name": "chat",
                "parent_run_id": span_id,
                "thread_id": thread,
                "timestamp": _moment(start) if message["role"] != "assistant" else ended,
                "metadata": {k: meta[k] for k in ("agent", "user_email") if k in meta},
                **message,
            })
    for i, (event_name, event_attrs) in enumerate(events_of_span):
        if event_name != "gen_ai.evaluation.result":
            continue
        rating = evaluation_rating(event_attrs)
        if rating is None:
            continue
        out.append({
            "event_id": f"{span_id}.f{i}",
            "name": "feedback",
            "run_id": span_id,
            "rating": rating,
            "comment": _evaluation_comment(event_attrs),
            "timestamp": _moment(span.events[i].time_unix_nano or end),
        })
    return out


def _check_ids(span: Any) -> str | None:
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return "trace_id must be 16 bytes (32 hex digits), not all zero"
    if len(span.span_id) != 8 or not any(span.span_id):
        return "span_id must be 8 bytes (16 hex digits), not all zero"
    return None


MAX_AGENT_DEPTH = 100
"""Ancestors searched for an enclosing agent (also cuts parent cycles)."""


def _enclosing_agents(
    spans: list[tuple[Any, dict[str, Any], dict[str, Any], str]],
) -> dict[bytes, str | None]:
    """Span id → the ``gen_ai.agent.name`` of its nearest ancestor in this request that
    has one: runs inside an agent carry its name, as the SDK's runs do."""
    parents = {span.span_id: span.parent_span_id for span, _, _, _ in spans}
    names = {
        span.span_id: name
        for span, attrs, _, _ in spans
        if isinstance(name := attrs.get("gen_ai.agent.name"), str) and name
    }
    found: dict[bytes, str | None] = {}
    for span, _, _, _ in spans:
        node, depth = parents.get(span.span_id), 0
        while node and node not in names and depth < MAX_AGENT_DEPTH:
            node, depth = parents.get(node), depth + 1
        found[span.span_id] = names.get(node) if node else None
    return found


def map_request(request: ExportTraceServiceRequest) -> Mapped:
    """Every span of an export request as events; spans with bad ids are refused alone."""
    mapped = Mapped()
    events = mapped.events
    spans: list[tuple[Any, dict[str, Any], dict[str, Any], str]] = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                mapped.spans += 1
                problem = _check_ids(span)
                if problem is not None:
                    mapped.rejected.append(f"span {span.name!r}: {problem}")
                    continue
                attrs = attributes(span.attributes)
                if OWN_SPAN_ATTRIBUTE in attrs:
                    continue  # an Observatory run: the SDK reports it itself
                spans.append((span, attrs, resource, scope))
    agents = _enclosing_agents(spans)
    for span, attrs, resource, scope in spans:
        try:
            made = span_events(
                span, attrs, span.trace_id.hex(), resource, scope, agents[span.span_id]
            )
        except Exception as exc:  # one odd span never costs the request
            mapped.rejected.append(f"span {span.span_id.hex()}: cannot be read: {exc!r}")
            continue
        mapped.run_event_span[len(events)] = span.span_id.hex()
        events.extend(made)
    return mapped
