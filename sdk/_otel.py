"""``init(otel=True)``: each run is also an OpenTelemetry span of the user's tracer provider.

Imported only when the option is on. The span is started on the caller's
thread (that is what an OTel span costs), with GenAI attributes, and a
decorated function runs with it as the current span, so the user's
instrumented HTTP and database calls nest under the run in their tracing
backend. The run's id becomes the span's id (16 hex digits), and its events
carry the trace id: spans of the same trace sent to ``/v1/traces`` nest under
the run there too. The span carries ``observatory.run_id``, which tells the
receiver not to ingest it a second time. Without a recording tracer provider
(``opentelemetry-sdk`` not configured) runs are reported as without the option.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from ._usage import usage_from

if TYPE_CHECKING:
    from ._run import Run

logger = logging.getLogger("observatory")

OWN_SPAN_ATTRIBUTE = "observatory.run_id"
"""Marks a span that an Observatory run made (the receiver skips such spans)."""

OPERATIONS = {"agent": "invoke_agent", "llm": "chat", "tool": "execute_tool"}
"""``gen_ai.operation.name`` of each run type."""


class Tracing:
    """Starts, activates and ends the span of each run."""

    def __init__(self) -> None:
        # a ProxyTracer: it follows a provider set after init() as well
        self._tracer = trace.get_tracer("observatory")

    def start(self, run: Run, parent: Any, explicit_id: bool) -> None:
        """Start ``run``'s span under its parent run's span (else the current span);
        never raises (the run is then reported without a span)."""
        try:
            self._start(run, parent, explicit_id)
        except Exception:
            logger.debug("observatory: could not start the run's span", exc_info=True)

    def _start(self, run: Run, parent: Any, explicit_id: bool) -> None:
        parent_span = getattr(parent, "span", None)
        ctx = trace.set_span_in_context(parent_span) if parent_span is not None else None
        operation = OPERATIONS.get(run.type)
        attributes: dict[str, Any] = {"observatory.run_type": run.type}
        if operation is not None:
            attributes["gen_ai.operation.name"] = operation
        if run.type == "agent":
            attributes["gen_ai.agent.name"] = run.name
        elif run.type == "tool":
            attributes["gen_ai.tool.name"] = run.name
        if run.model:
            attributes["gen_ai.request.model"] = run.model
        label = run.model if run.type == "llm" and run.model else run.name
        span = self._tracer.start_span(
            f"{operation} {label}" if operation else run.name,
            context=ctx,
            attributes=attributes,
            start_time=int(run.start_time * 1e9),
        )
        if not span.is_recording():  # no SDK provider: behave as without the option
            current = trace.get_current_span().get_span_context()
            if current.is_valid:
                run.otel = (current.trace_id, current.span_id)
            return
        own = span.get_span_context()
        up = getattr(span, "parent", None)
        run.otel = (own.trace_id, up.span_id if up is not None else 0)
        run.span = span
        if not explicit_id:
            run._id = f"{own.span_id:016x}"
        span.set_attribute(OWN_SPAN_ATTRIBUTE, run.run_id)

    def attach(self, span: Any) -> object:
        """Make ``span`` current; returns the token for :meth:`detach`."""
        return otel_context.attach(trace.set_span_in_context(span))

    def detach(self, token: object) -> None:
        """Undo :meth:`attach`."""
        otel_context.detach(token)  # type: ignore[arg-type]

    def end(self, run: Run) -> None:
        """Set the outcome's attributes and end the span; never raises."""
        try:
            self._end(run)
        except Exception:
            logger.debug("observatory: could not end the run's span", exc_info=True)

    def _end(self, run: Run) -> None:
        span = run.span
        if span is None:
            return
        if run.type == "llm":
            usage, model = run.usage, run.model
            if not usage:
                usage, found = usage_from(run.output)
                model = model or found
            if model:
                span.set_attribute("gen_ai.response.model", model)
            for key, attribute in (
                ("prompt_tokens", "gen_ai.usage.input_tokens"),
                ("completion_tokens", "gen_ai.usage.output_tokens"),
                ("cached_tokens", "gen_ai.usage.cache_read.input_tokens"),
            ):
                if usage and usage.get(key) is not None:
                    span.set_attribute(attribute, usage[key])
        error = run.error
        if error is not None:
            if isinstance(error, BaseException):
                span.record_exception(error)
                span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        end = run.end_time
        span.end(end_time=int(end * 1e9) if end is not None else None)
