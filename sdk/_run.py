"""A run: one agent step, LLM call or tool call, and the handle users get for it.

A :class:`Run` is created on the caller's thread with the least work possible:
an integer id, a timestamp and references to the arguments. Everything that
costs (binding arguments, formatting ids and times, serialising) happens later
on the background thread, in ``_encode``.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from time import time as _time
from typing import Any

from . import _ids
from ._context import RequestContext, current_run_var, request_context_var

START, END, CUSTOM = 0, 1, 2
"""Kinds of queue item: ``(START, run)``, ``(END, run)``,
``(CUSTOM, name, fields, timestamp, parent_run, request_context)``."""


class FunctionSpec:
    """What a decorator knows about the function it wraps (shared by all its calls)."""

    __slots__ = ("type", "name", "model", "tags", "metadata", "fn", "_binders")

    def __init__(
        self,
        run_type: str,
        name: str,
        fn: Callable[..., Any],
        model: str | None = None,
        tags: Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.type = run_type
        self.name = name
        self.fn = fn
        self.model = model
        self.tags = tuple(tags) if tags else ()
        self.metadata = dict(metadata) if metadata else None
        self._binders: tuple[_Binder, _Binder] | None = None

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any], bound_method: bool) -> dict[str, Any]:
        """The call's arguments by parameter name, ``self``/``cls`` left out."""
        if self._binders is None:
            self._binders = _binders(self.fn)
        return self._binders[1 if bound_method else 0].bind(args, kwargs)


class _Binder:
    """Maps a call's arguments to parameter names (defaults are not filled in).

    Plain signatures (positional-or-keyword parameters only, the common case)
    are bound by zipping names with arguments, about ten times faster than
    ``inspect.Signature.bind_partial``, which handles the rest.
    """

    __slots__ = ("signature", "names")

    def __init__(self, signature: inspect.Signature | None) -> None:
        self.signature = signature
        self.names: tuple[str, ...] | None = None
        if signature is not None and all(
            p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in signature.parameters.values()
        ):
            self.names = tuple(signature.parameters)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self.names
        if names is not None and len(args) <= len(names):
            bound = dict(zip(names, args, strict=False))
            if kwargs:
                bound.update(kwargs)
            return bound
        if self.signature is not None:
            try:
                return dict(self.signature.bind_partial(*args, **kwargs).arguments)
            except TypeError:
                pass
        return {"args": list(args), "kwargs": kwargs} if kwargs else {"args": list(args)}


def _binders(fn: Callable[..., Any]) -> tuple[_Binder, _Binder]:
    target = getattr(fn, "__func__", fn)
    try:
        full = inspect.signature(target)
    except (TypeError, ValueError):
        return _Binder(None), _Binder(None)
    params = list(full.parameters.values())
    without_first = full.replace(parameters=params[1:]) if params else full
    return _Binder(full), _Binder(without_first)


_modules = sys.modules


def _otel_ids() -> tuple[int, int] | None:
    # Only when the user's process already imported OpenTelemetry: importing it
    # ourselves would cost every user its import time.
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    try:
        span_context = trace.get_current_span().get_span_context()
    except Exception:
        return None
    if not span_context.is_valid:
        return None
    return span_context.trace_id, span_context.span_id


class Run:
    """A run in progress. ``observatory.current_run()`` returns the innermost one.

    Changing a run (usage, output, tags, metadata) is safe from any thread and
    never raises; what is set before the run ends is reported with it.
    """

    # Class-level defaults: __init__ sets only what every run needs, so the
    # decorated call pays for a handful of attribute stores, not two dozen.
    model: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    spec: FunctionSpec | None = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] | None = None
    bound_method = False
    input: Any = None
    output: Any = None
    _output_set = False
    status: str | None = None
    error: BaseException | Any = None
    usage: dict[str, int] | None = None
    end_time: float | None = None
    otel: tuple[int, int] | None = None
    """(trace id, id of the OTel span the run started under, or 0)."""
    span: Any = None
    """The run's own OTel span (``init(otel=True)`` only)."""
    _trace: str | None = None
    ended = False

    def __init__(
        self,
        client: Any,
        run_type: str,
        name: str,
        parent: Run | str | None,
        spec: FunctionSpec | None = None,
        *,
        run_id: int | str | None = None,
        start_time: float | None = None,
    ) -> None:
        now = _time() if start_time is None else start_time
        self.start_time = now
        self._id: int | str = next(_ids.counter) if run_id is None else run_id
        self._client = client
        self.parent = parent
        self.type = run_type
        self.name = name
        if run_type == "agent":
            self.agent: str | None = name
        elif parent.__class__ is Run:
            self.agent = parent.agent
        else:
            self.agent = None
        if spec is not None:
            self.spec = spec
            if spec.model is not None:
                self.model = spec.model
        self.context: RequestContext = request_context_var.get()
        tracing = client.otel
        if tracing is not None:
            tracing.start(self, parent, run_id is not None)
        elif "opentelemetry.trace" in _modules:
            self.otel = _otel_ids()

    # -- the public handle -------------------------------------------------

    @property
    def run_id(self) -> str:
        """This run's id, as sent in ``run_id`` (pass it to ``saved``/``feedback``)."""
        run_id = self._id
        if isinstance(run_id, str):
            return run_id
        text = self._id = _ids.uuid_text(run_id, self.start_time)  # format once
        return text

    @property
    def parent_run_id(self) -> str | None:
        """The enclosing run's id; for a root run started inside an OpenTelemetry
        span, that span's id (its run when the span is sent to ``/v1/traces``)."""
        parent = self.parent
        if parent is None:
            otel = self.otel
            return f"{otel[1]:016x}" if otel is not None and otel[1] else None
        return parent.run_id if isinstance(parent, Run) else parent

    @property
    def trace_id(self) -> str | None:
        """32 hex digits: the OpenTelemetry trace the run started in, else its root
        run's id as hex (a run id that is not a UUID is hashed); None under a parent
        known only by id. Computed on the background thread, once."""
        found = self._trace
        if found is not None:
            return found
        otel = self.otel
        parent = self.parent
        if otel is not None:
            found = f"{otel[0]:032x}"
        elif isinstance(parent, Run):
            found = parent.trace_id
        elif parent is None:
            found = _ids.trace_hex(self.run_id)
        self._trace = found
        return found

    def set_output(self, output: Any) -> None:
        """Report ``output`` instead of the function's return value."""
        self.output = output
        self._output_set = True

    def set_usage(
        self,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
        cached_tokens: int | None = None,
    ) -> None:
        """Token usage (and model) of this LLM call; overrides what the return value says.

        ``cached_tokens`` is the part of ``prompt_tokens`` served from a prompt
        cache (priced at the cached-input rate where the cost table has one).
        Counts are whole numbers from 0 to 10**12: another value is left out of
        the event (and logged) on the background thread, never raised here.
        """
        usage = dict(self.usage or {})
        for key, value in (
            ("prompt_tokens", prompt_tokens),
            ("completion_tokens", completion_tokens),
            ("total_tokens", total_tokens),
            ("cached_tokens", cached_tokens),
        ):
            if value is not None:
                usage[key] = value
        self.usage = usage
        if model:
            self.model = model

    def add_tags(self, *tags: str) -> None:
        """Add tags to this run."""
        self.tags = [*(self.tags or ()), *(str(t) for t in tags)]

    def set_metadata(self, **metadata: Any) -> None:
        """Add keys to this run's metadata."""
        self.metadata = {**(self.metadata or {}), **metadata}

    def send_start(self) -> None:
        """Send the start event of a run made with ``start_run(..., send_start=False)``."""
        self._client.put((START, self))

    @contextmanager
    def activate(self) -> Iterator[Run]:
        """Make this the current run inside the block, so runs started there nest under it
        (and, with ``init(otel=True)``, its span the current OpenTelemetry span)."""
        token = current_run_var.set(self)
        tracing = self._client.otel if self.span is not None else None
        span_token = tracing.attach(self.span) if tracing is not None else None
        try:
            yield self
        finally:
            if tracing is not None and span_token is not None:
                tracing.detach(span_token)
            current_run_var.reset(token)

    def end(
        self,
        output: Any = None,
        *,
        error: BaseException | str | None = None,
        status: str | None = None,
        end_time: float | None = None,
    ) -> None:
        """End the run (once; later calls are ignored) and report it."""
        if self.ended:
            return
        self.ended = True
        self.end_time = time.time() if end_time is None else end_time
        if output is not None and not self._output_set:
            self.output = output
        if error is not None:
            self.error = error
            self.status = status or "error"
        else:
            self.status = status or "success"
        if self.span is not None:
            self._client.otel.end(self)
        self._client.put((END, self))

    def __repr__(self) -> str:
        return f"<Run {self.type} {self.name!r} {self.run_id}>"


class NoopRun:
    """What ``current_run()`` returns outside any run: every method does nothing."""

    run_id: str | None = None
    parent_run_id: str | None = None
    trace_id: str | None = None

    def set_output(self, output: Any) -> None:
        """Do nothing."""

    def set_usage(
        self,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
        cached_tokens: int | None = None,
    ) -> None:
        """Do nothing."""

    def send_start(self) -> None:
        """Do nothing."""

    def add_tags(self, *tags: str) -> None:
        """Do nothing."""

    def set_metadata(self, **metadata: Any) -> None:
        """Do nothing."""

    def end(self, output: Any = None, **_: Any) -> None:
        """Do nothing."""

    @contextmanager
    def activate(self) -> Iterator[NoopRun]:
        """Do nothing."""
        yield self

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<NoopRun>"


NOOP_RUN = NoopRun()
