"""LangChain and LangGraph: a callback handler that turns runs into Observatory runs.

    from observatory.integrations.langchain import ObservatoryCallbackHandler

    handler = ObservatoryCallbackHandler()
    chain.invoke(inputs, config={"callbacks": [handler]})      # or ainvoke/stream/astream

    # or, without passing callbacks around:
    from observatory.integrations import langchain as obs_langchain
    obs_langchain.install()             # every LangChain/LangGraph run in this process
    with obs_langchain.tracing():       # only runs started inside the block
        graph.invoke(state)

Mapping: chains, runnables and graph nodes -> ``agent`` runs named after the
runnable or node; chat models and LLMs -> ``llm`` runs with model and token
usage; tools and retrievers -> ``tool`` runs. LangChain's run ids are ours
(``str(uuid)``), its parent ids become parents; a root run nests under the
current Observatory run (an ``@observatory.agent`` function calling the
chain), and each run is made current while LangChain executes it, so
decorated code inside a tool or node nests under it. LangGraph's internal
plumbing (runs tagged ``langsmith:hidden``) is skipped, its children attached
to the nearest visible run, and its control-flow exceptions (``interrupt()``,
``Command(graph=PARENT)``) end a run successfully with ``metadata.interrupted``.

Importing this module imports ``langchain_core``; ``observatory.integrations``
itself does not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from ._runs import RunMap, event_on
from ._runs import usage_counts as _usage_in

logger = logging.getLogger("observatory.integrations")

__all__ = ["ObservatoryCallbackHandler", "install", "tracing", "uninstall"]

HIDDEN_TAG = "langsmith:hidden"
_NOISE_TAG_PREFIXES = ("seq:step:", "graph:step:", "langsmith:", "map:key:")
_NOISE_META = frozenset({
    "langgraph_path", "langgraph_triggers", "langgraph_checkpoint_ns", "checkpoint_ns",
    "ls_model_name", "ls_model_type", "ls_stop", "ls_max_tokens", "ls_temperature",
    "ls_integration", "lc_versions",
})
_CONTROL_FLOW = frozenset({"GraphBubbleUp", "GraphInterrupt", "NodeInterrupt", "ParentCommand", "GraphDrained"})

_MODEL_KEYS = ("model_name", "model", "model_id", "deployment_name")


class ObservatoryCallbackHandler(BaseCallbackHandler):
    """Reports LangChain/LangGraph runs to Observatory. Thread-safe; never raises into LangChain.

    ``activate_runs`` (default True) makes each LangChain run the current
    Observatory run while it executes, so ``@observatory.*`` code called from
    a tool, a lambda or a graph node nests under it. ``max_open`` bounds the
    runs kept open waiting for their end.
    """

    run_inline = True  # cheap and non-blocking: no thread-pool hop in async runs
    raise_error = False

    def __init__(self, *, activate_runs: bool = True, max_open: int = 10_000) -> None:
        super().__init__()
        self.activate_runs = activate_runs
        self._runs = RunMap(max_open)

    # -- chains, runnables, graph nodes ---------------------------------------

    def on_chain_start(
        self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
        parent_run_id: UUID | None = None, tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        try:
            if tags and HIDDEN_TAG in tags:
                self._runs.alias(run_id, parent_run_id)
                return
            self._start("agent", serialized, inputs, run_id, parent_run_id, tags, metadata, kwargs)
        except Exception:
            logger.debug("observatory: on_chain_start failed", exc_info=True)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            self._runs.end(run_id, outputs)
        except Exception:
            logger.debug("observatory: on_chain_end failed", exc_info=True)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._error(run_id, error)

    # -- models ---------------------------------------------------------------

    def on_chat_model_start(
        self, serialized: dict[str, Any] | None, messages: list[list[Any]], *, run_id: UUID,
        parent_run_id: UUID | None = None, tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        try:
            prompt = messages[0] if len(messages) == 1 else messages
            self._start("llm", serialized, prompt, run_id, parent_run_id, tags, metadata, kwargs)
        except Exception:
            logger.debug("observatory: on_chat_model_start failed", exc_info=True)

    def on_llm_start(
        self, serialized: dict[str, Any] | None, prompts: list[str], *, run_id: UUID,
        parent_run_id: UUID | None = None, tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        try:
            prompt = prompts[0] if len(prompts) == 1 else prompts
            self._start("llm", serialized, prompt, run_id, parent_run_id, tags, metadata, kwargs)
        except Exception:
            logger.debug("observatory: on_llm_start failed", exc_info=True)

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        entry = self._runs.get(run_id)
        if entry is not None and entry.extra is None:
            entry.extra = time.time()  # first token: time to first token

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            entry = self._runs.pop(run_id)
            if entry is None:
                return
            run = entry.run
            _record_llm_result(run, response, entry.extra)
            run.end(_llm_output(response))
        except Exception:
            logger.debug("observatory: on_llm_end failed", exc_info=True)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            entry = self._runs.get(run_id)
            response = kwargs.get("response")
            if entry is not None and response is not None:
                _record_llm_result(entry.run, response, entry.extra)
        except Exception:
            logger.debug("observatory: on_llm_error failed", exc_info=True)
        self._error(run_id, error)

    # -- tools and retrievers -------------------------------------------------

    def on_tool_start(
        self, serialized: dict[str, Any] | None, input_str: str, *, run_id: UUID,
        parent_run_id: UUID | None = None, tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            self._start("tool", serialized, input_str if inputs is None else inputs,
                        run_id, parent_run_id, tags, metadata, kwargs)
        except Exception:
            logger.debug("observatory: on_tool_start failed", exc_info=True)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            self._runs.end(run_id, output)
        except Exception:
            logger.debug("observatory: on_tool_end failed", exc_info=True)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._error(run_id, error)

    def on_retriever_start(
        self, serialized: dict[str, Any] | None, query: str, *, run_id: UUID,
        parent_run_id: UUID | None = None, tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        try:
            entry = self._start("tool", serialized, query, run_id, parent_run_id, tags, metadata, kwargs)
            if entry is not None and entry.run:
                entry.run.set_metadata(langchain_type="retriever")
        except Exception:
            logger.debug("observatory: on_retriever_start failed", exc_info=True)

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID, **kwargs: Any) -> None:
        try:
            self._runs.end(run_id, list(documents))
        except Exception:
            logger.debug("observatory: on_retriever_end failed", exc_info=True)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._error(run_id, error)

    # -- events on a run ------------------------------------------------------

    def on_agent_action(self, action: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, "agent_action", tool=getattr(action, "tool", None),
                    tool_input=getattr(action, "tool_input", None), log=getattr(action, "log", None))

    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        outcome = getattr(retry_state, "outcome", None)
        failure = outcome.exception() if outcome is not None and outcome.failed else None
        self._event(run_id, "retry", attempt=getattr(retry_state, "attempt_number", None),
                    error=None if failure is None else {"type": type(failure).__name__, "message": str(failure)})

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._event(run_id, str(name), data=data)

    # -- internals ------------------------------------------------------------

    def _start(
        self, run_type: str, serialized: Mapping[str, Any] | None, inputs: Any, run_id: UUID,
        parent_run_id: UUID | None, tags: list[str] | None, metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> Any:
        name = _name(serialized, kwargs, run_type)
        meta = {k: v for k, v in metadata.items() if k not in _NOISE_META} if metadata else {}
        model = None
        if run_type == "llm":
            model = _model_name(metadata, kwargs.get("invocation_params"), serialized)
            params = kwargs.get("invocation_params")
            if isinstance(params, Mapping):
                meta["invocation_params"] = params
        user_tags = [t for t in tags if not t.startswith(_NOISE_TAG_PREFIXES)] if tags else None
        return self._runs.start(
            run_id, run_type, name,
            parent=self._runs.parent_of(parent_run_id),
            activate_run=self.activate_runs,
            input=inputs,
            run_id=str(run_id),
            model=model,
            tags=user_tags,
            metadata=meta or None,
        )

    def _error(self, run_id: UUID, error: BaseException) -> None:
        try:
            if isinstance(error, GeneratorExit):
                # The consumer stopped reading a stream: it ended, it did not fail.
                entry = self._runs.get(run_id)
                if entry is not None and not entry.alias:
                    entry.run.set_metadata(stream_closed_early=True)
                self._runs.end(run_id)
            elif _is_control_flow(error):
                entry = self._runs.get(run_id)
                if entry is not None and not entry.alias:
                    entry.run.set_metadata(interrupted=True, control_flow=type(error).__name__)
                self._runs.end(run_id, error.args[0] if error.args else None, status="success")
            else:
                self._runs.end(run_id, error=error)
        except Exception:
            logger.debug("observatory: ending a failed run failed", exc_info=True)

    def _event(self, run_id: UUID, name: str, **fields: Any) -> None:
        try:
            entry = self._runs.get(run_id)
            event_on(entry.run if entry is not None else None, name, **fields)
        except Exception:
            logger.debug("observatory: event %s failed", name, exc_info=True)


# -- reading LangChain's objects ----------------------------------------------


def _name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if name:
        return str(name)
    if serialized:
        name = serialized.get("name")
        if name:
            return str(name)
        ids = serialized.get("id")
        if ids:
            return str(ids[-1])
    return default


def _model_name(metadata: Mapping[str, Any] | None, params: Any, serialized: Mapping[str, Any] | None) -> str | None:
    if metadata:
        name = metadata.get("ls_model_name")
        if isinstance(name, str) and name:
            return name
    for source in (params, (serialized or {}).get("kwargs")):
        if isinstance(source, Mapping):
            for key in _MODEL_KEYS:
                value = source.get(key)
                if isinstance(value, str) and value:
                    return value
    return None


def _record_llm_result(run: Any, response: Any, first_token_at: float | None) -> None:
    """Usage and model from an ``LLMResult``: whichever places the provider filled."""
    prompt = completion = 0
    total: int | None = 0  # None once a generation does not say it: the receiver derives it
    found = False
    model = None
    for generations in getattr(response, "generations", None) or ():
        for generation in generations:
            message = getattr(generation, "message", None)
            counts = _usage_in(getattr(message, "usage_metadata", None)) if message is not None else None
            if counts is None:
                counts = _usage_in(getattr(generation, "generation_info", None) or {})
            if counts is not None:
                found = True
                prompt += counts[0] or 0
                completion += counts[1] or 0
                total = None if total is None or counts[2] is None else total + counts[2]
            if model is None and message is not None:
                model = _model_name(None, getattr(message, "response_metadata", None), None)
    llm_output = getattr(response, "llm_output", None)
    if isinstance(llm_output, Mapping):
        if not found:
            counts = _usage_in(llm_output)
            if counts is not None:
                found = True
                prompt, completion, total = counts[0] or 0, counts[1] or 0, counts[2]
        model = model or _model_name(None, llm_output, None)
    if found:
        run.set_usage(model=model, prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)
    elif model:
        run.set_usage(model=model)
    if first_token_at is not None:
        run.set_metadata(time_to_first_token_ms=round((first_token_at - run.start_time) * 1000, 3))


def _llm_output(response: Any) -> Any:
    generations = [g for gens in getattr(response, "generations", None) or () for g in gens]
    outputs = [getattr(g, "message", None) or getattr(g, "text", None) for g in generations]
    return outputs[0] if len(outputs) == 1 else outputs


def _is_control_flow(error: BaseException) -> bool:
    return any(
        cls.__name__ in _CONTROL_FLOW and cls.__module__.startswith("langgraph")
        for cls in type(error).__mro__
    )


# -- attaching without passing callbacks ------------------------------------------

_scoped: ContextVar[ObservatoryCallbackHandler | None] = ContextVar("observatory_langchain", default=None)
_installed: ObservatoryCallbackHandler | None = None
_hook_registered = False


class _HookVar:
    """What langchain-core's configure hook reads with ``.get()``: the scoped handler, else the installed one."""

    def get(self) -> ObservatoryCallbackHandler | None:
        return _scoped.get() or _installed


def _register_hook() -> None:
    global _hook_registered
    if _hook_registered:
        return
    from langchain_core.tracers.context import register_configure_hook

    # handle_class: a run that already has an ObservatoryCallbackHandler
    # (passed explicitly) gets no second one, so no run is reported twice.
    register_configure_hook(_HookVar(), True, ObservatoryCallbackHandler)  # type: ignore[arg-type]
    _hook_registered = True


def install(handler: ObservatoryCallbackHandler | None = None) -> ObservatoryCallbackHandler:
    """Attach a handler to every LangChain/LangGraph run in this process, in every thread.

    Idempotent: returns the handler already installed unless a new one is given.
    """
    global _installed
    _register_hook()
    if handler is not None or _installed is None:
        _installed = handler or ObservatoryCallbackHandler()
    return _installed


def uninstall() -> None:
    """Undo :func:`install` (scopes opened with :func:`tracing` are unaffected)."""
    global _installed
    _installed = None


@contextmanager
def tracing(handler: ObservatoryCallbackHandler | None = None) -> Iterator[ObservatoryCallbackHandler]:
    """Attach a handler to every LangChain/LangGraph run started inside the block.

    The scope is a context variable: it follows ``await`` and asyncio tasks,
    and threads that copy the context (LangChain's own executors do).
    """
    _register_hook()
    handler = handler or ObservatoryCallbackHandler()
    token = _scoped.set(handler)
    try:
        yield handler
    finally:
        _scoped.reset(token)
