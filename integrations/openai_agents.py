"""OpenAI Agents SDK: a tracing processor that turns traces and spans into Observatory runs.

    from observatory.integrations.openai_agents import install

    install()                       # next to the default processor (which exports to OpenAI)
    install(replace_default=True)   # instead of it: nothing leaves for OpenAI

    # or by hand:
    from agents import add_trace_processor
    add_trace_processor(ObservatoryTracingProcessor())

Mapping: a trace -> an ``agent`` root run (``group_id`` and trace metadata in
its metadata; nested under the current Observatory run when there is one);
agent spans -> ``agent`` runs; generation and response spans (and
transcription/speech) -> ``llm`` runs with model and usage; function and MCP
list-tools spans -> ``tool`` runs; a span with an error -> status ``error``.
Handoff, guardrail and custom spans are not runs: they become events on their
parent run (``handoff``, ``guardrail``, the custom span's own name). The SDK's
grouping task/turn spans are transparent: their children attach to the
enclosing run. Trace and span ids are the run ids. Each run is made
current while its span is, so ``@observatory.*`` code inside a function tool
nests under the tool run.

Per the Agents SDK's processor contract, every method is thread-safe, returns
quickly (it only queues) and never raises. ``set_tracing_disabled(True)``
silences every processor, this one included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from agents.tracing import Span, Trace, TracingProcessor

import observatory

from ._runs import RunMap, event_on, send_start, usage_counts

logger = logging.getLogger("observatory.integrations")

__all__ = ["ObservatoryTracingProcessor", "install"]

_RUN_TYPES = {
    "agent": "agent",
    "generation": "llm",
    "response": "llm",
    "transcription": "llm",
    "speech": "llm",
    "function": "tool",
    "mcp_tools": "tool",
}
"""Span types that become runs; every other span type becomes an event on its parent."""

_INPUT_AFTER_START = frozenset({"function", "generation", "response"})

_STRUCTURE_ONLY = frozenset({"task", "turn", "speech_group"})
"""Grouping spans (one Runner run, one loop turn): their children attach to the
enclosing run and they report nothing themselves (the runs below carry the usage)."""


class ObservatoryTracingProcessor(TracingProcessor):
    """Reports OpenAI Agents traces and spans to Observatory (see the module docstring)."""

    def __init__(self, *, activate_runs: bool = True, flush_timeout: float = 5.0, max_open: int = 10_000) -> None:
        self.activate_runs = activate_runs
        self.flush_timeout = flush_timeout
        self._runs = RunMap(max_open)
        self._inherited_errors: dict[str, str] = {}  # run id -> error of a grouping span inside it

    # -- traces -------------------------------------------------------------------

    def on_trace_start(self, trace: Trace) -> None:
        try:
            metadata: dict[str, Any] = {}
            group_id = getattr(trace, "group_id", None)
            if group_id:
                metadata["group_id"] = group_id
            extra = getattr(trace, "metadata", None)
            if isinstance(extra, Mapping):
                metadata.update(extra)
            self._runs.start(
                trace.trace_id, "agent", trace.name or "Agent workflow",
                activate_run=self.activate_runs, run_id=trace.trace_id, metadata=metadata or None,
            )
        except Exception:
            logger.debug("observatory: on_trace_start failed", exc_info=True)

    def on_trace_end(self, trace: Trace) -> None:
        try:
            entry = self._runs.pop(trace.trace_id)
            if entry is not None:
                error = self._inherited_errors.pop(entry.run.run_id or "", None)
                entry.run.end(error=error)
        except Exception:
            logger.debug("observatory: on_trace_end failed", exc_info=True)

    # -- spans --------------------------------------------------------------------

    def on_span_start(self, span: Span[Any]) -> None:
        try:
            data = span.span_data
            kind = data.type
            run_type = _RUN_TYPES.get(kind)
            parent_key = span.parent_id or span.trace_id
            if run_type is None:
                self._runs.alias(span.span_id, parent_key)
                return
            fields: dict[str, Any] = {}
            if kind == "agent":
                fields["metadata"] = {
                    k: v for k, v in (("tools", data.tools), ("handoffs", data.handoffs),
                                      ("output_type", data.output_type)) if v
                } or None
            elif kind == "function":
                fields["input"] = data.input
                if data.mcp_data:
                    fields["metadata"] = {"mcp": data.mcp_data}
            elif run_type == "llm":
                fields["input"] = getattr(data, "input", None)
                fields["model"] = getattr(data, "model", None)
                config = getattr(data, "model_config", None)
                if config:
                    fields["metadata"] = {"model_config": config}
            # Tool arguments and some models' messages are filled in after the
            # span starts: those runs send their start event with their end.
            self._runs.start(
                span.span_id, run_type, _span_name(data, kind),
                parent=self._runs.parent_of(parent_key), defer_start=kind in _INPUT_AFTER_START,
                activate_run=self.activate_runs, run_id=span.span_id, **fields,
            )
        except Exception:
            logger.debug("observatory: on_span_start failed", exc_info=True)

    def on_span_end(self, span: Span[Any]) -> None:
        try:
            entry = self._runs.pop(span.span_id)
            if entry is None:
                return
            data = span.span_data
            if entry.alias:
                if span.error and entry.run:
                    # A failure recorded on a grouping span (a tripped guardrail
                    # marks the current turn) belongs to the run it stands in for.
                    self._inherited_errors.setdefault(entry.run.run_id, _error_text(span.error))
                _span_event(entry.run, data)
                return
            run = entry.run
            kind = data.type
            output: Any = None
            if kind == "function":
                output = data.output
            elif kind == "mcp_tools":
                output = data.result
            elif kind in ("generation", "response", "transcription", "speech"):
                output = _record_model_call(run, data)
            if kind in _INPUT_AFTER_START:
                if run.input is None:
                    run.input = getattr(data, "input", None)
                send_start(run)
            inherited = self._inherited_errors.pop(run.run_id, None) if self._inherited_errors else None
            error = _error_text(span.error) if span.error else inherited
            run.end(output, error=error)
        except Exception:
            logger.debug("observatory: on_span_end failed", exc_info=True)

    # -- lifecycle ----------------------------------------------------------------

    def force_flush(self) -> None:
        """Send what is queued (bounded by ``flush_timeout``)."""
        observatory.flush(self.flush_timeout)

    def shutdown(self) -> None:
        """Flush; the SDK's own exit hook stops its sender."""
        observatory.flush(self.flush_timeout)


def _span_name(data: Any, kind: str) -> str:
    if kind in ("agent", "function"):
        return str(data.name)
    if kind == "mcp_tools":
        return f"mcp_list_tools:{data.server}" if data.server else "mcp_list_tools"
    model = getattr(data, "model", None)
    if kind == "response":
        response = getattr(data, "response", None)
        model = getattr(response, "model", None) or model
    return str(model) if model else kind


def _record_model_call(run: Any, data: Any) -> Any:
    """Model and usage of a generation/response span onto its run; returns the output."""
    model = getattr(data, "model", None)
    usage = getattr(data, "usage", None)
    output = getattr(data, "output", None)
    response = getattr(data, "response", None)
    if response is not None:
        model = getattr(response, "model", None) or model
        usage = usage or getattr(response, "usage", None)
        output = getattr(response, "output", None)
    counts = usage_counts(usage) if usage is not None else None
    if counts is not None:
        prompt, completion, total = counts
        run.set_usage(model=model, prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)
    elif model:
        run.set_usage(model=model)
    return output


def _error_text(error: Mapping[str, Any]) -> str:
    message = str(error.get("message") or "error")
    data = error.get("data")
    detail = data.get("error") if isinstance(data, Mapping) else None
    return f"{message}: {detail}" if detail else message


def _span_event(run: Any, data: Any) -> None:
    """Spans that are not runs: an event on the run they belong to."""
    kind = data.type
    if kind == "handoff":
        event_on(run, "handoff", from_agent=data.from_agent, to_agent=data.to_agent)
    elif kind == "guardrail":
        event_on(run, "guardrail", guardrail=data.name, triggered=bool(data.triggered))
    elif kind == "custom":
        event_on(run, str(data.name), data=data.data)
    elif kind in _STRUCTURE_ONLY:
        return
    else:  # span types newer than this module
        exported = data.export() or {}
        fields = exported.get("data") if isinstance(exported.get("data"), Mapping) else exported
        event_on(run, f"agents.{kind}", **{k: v for k, v in fields.items() if k not in ("type", "name")})


_installed: ObservatoryTracingProcessor | None = None


def install(*, replace_default: bool = False) -> ObservatoryTracingProcessor:
    """Register the processor with the Agents SDK (once) and return it.

    ``replace_default=False`` adds it next to the processors already
    registered (by default OpenAI's exporter); ``True`` makes it the only one,
    so no trace is sent to OpenAI.
    """
    global _installed
    from agents.tracing import add_trace_processor, set_trace_processors

    processor = _installed or ObservatoryTracingProcessor()
    if replace_default:
        set_trace_processors([processor])
    elif _installed is None:
        add_trace_processor(processor)
    _installed = processor
    return processor
