"""``@agent``, ``@llm``, ``@tool``: transparent wrappers for every kind of callable.

Built on wrapt, so the wrapped object keeps its name, docstring, signature,
``inspect.iscoroutinefunction``/``isgeneratorfunction`` and method binding
(instance, class and static methods). Each call becomes a run: a start event
when it begins and an end event when it returns, raises, or (for generators)
when the stream is exhausted, closed or collected. The SDK's own failures are
logged and swallowed; the user's exceptions pass through untouched.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from time import time as _time
from typing import Any, SupportsIndex, TypeVar, overload

import wrapt

from . import _state
from ._context import current_run_var
from ._run import END, START, FunctionSpec, Run
from ._state import get_client

logger = logging.getLogger("observatory")

F = TypeVar("F", bound=Callable[..., Any])


_CURRENT: Any = object()


def _begin(
    spec: FunctionSpec, args: tuple[Any, ...], kwargs: dict[str, Any], instance: Any, parent: Any = _CURRENT
) -> Run | None:
    """Start a run for one call; None when disabled or when the SDK itself failed."""
    try:
        client = _state._default or get_client()
        if not client.enabled:
            return None
        if parent is _CURRENT:
            parent = current_run_var.get()
        run = Run(client, spec.type, spec.name, parent, spec)
        run.args = args
        run.kwargs = kwargs
        if instance is not None and not isinstance(spec.fn, staticmethod):
            run.bound_method = True
        client.put_start(run)
        return run
    except Exception:
        logger.debug("observatory: could not start a run", exc_info=True)
        return None


def _attach(client: Any, run: Run) -> object | None:
    """Make the run's OTel span current (``init(otel=True)``); None when it has none."""
    if run.span is None:
        return None
    try:
        return client.otel.attach(run.span)  # type: ignore[no-any-return]
    except Exception:
        logger.debug("observatory: could not activate the run's span", exc_info=True)
        return None


def _detach(client: Any, token: object) -> None:
    try:
        client.otel.detach(token)
    except Exception:
        logger.debug("observatory: could not restore the OTel context", exc_info=True)


def _enabled() -> bool:
    try:
        return get_client().enabled
    except Exception:
        return False


def _finish(run: Run, output: Any, error: BaseException | None) -> None:
    try:
        run.end(output, error=error)
    except Exception:
        logger.debug("observatory: could not end a run", exc_info=True)


def _stream_output(items: list[Any], count: int, returned: Any) -> Any:
    if count > len(items):
        items = [*items, f"... {count - len(items)} more items not recorded"]
    if returned is not None:
        return {"items": items, "return": returned}
    return items


def _call(spec: FunctionSpec) -> Callable[..., Any]:
    # The hot path: kept flat on purpose (each extra Python call costs ~0.1 µs).
    static = isinstance(spec.fn, staticmethod)
    get_run = current_run_var.get
    set_run = current_run_var.set
    reset_run = current_run_var.reset

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            client = _state._default or get_client()
            if not client.enabled:
                return wrapped(*args, **kwargs)
            run = Run(client, spec.type, spec.name, get_run(), spec)
            run.args = args
            run.kwargs = kwargs
            if instance is not None and not static:
                run.bound_method = True
            client.put((START, run))
            token = set_run(run)
            span_token = _attach(client, run) if run.span is not None else None
        except Exception:
            logger.debug("observatory: could not start a run", exc_info=True)
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            if span_token is not None:
                _detach(client, span_token)
            reset_run(token)
            _finish(run, None, exc)
            raise
        if span_token is not None:
            _detach(client, span_token)
        reset_run(token)
        try:
            run.ended = True
            run.end_time = _time()
            run.status = "success"
            if not run._output_set:
                run.output = result
            if run.span is not None:
                client.otel.end(run)  # type: ignore[union-attr]
            client.put((END, run))
        except Exception:
            logger.debug("observatory: could not end a run", exc_info=True)
        return result

    return wrapper


def _coroutine(spec: FunctionSpec) -> Callable[..., Any]:
    # wrapt returns whatever the wrapper returns: an ``async def`` wrapper
    # hands back the coroutine directly, one call layer less on the hot path.
    reset_run = current_run_var.reset

    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        run = _begin(spec, args, kwargs, instance)
        if run is None:
            return await wrapped(*args, **kwargs)
        token = current_run_var.set(run)
        client = run._client
        span_token = _attach(client, run)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            if span_token is not None:
                _detach(client, span_token)
            reset_run(token)
            _finish(run, None, exc)
            raise
        if span_token is not None:
            _detach(client, span_token)
        reset_run(token)
        try:
            run.ended = True
            run.end_time = _time()
            run.status = "success"
            if not run._output_set:
                run.output = result
            if run.span is not None:
                client.otel.end(run)
            client.put((END, run))
        except Exception:
            logger.debug("observatory: could not end a run", exc_info=True)
        return result

    return wrapper


def _generator(spec: FunctionSpec) -> Callable[..., Any]:
    def traced(gen: Generator[Any, Any, Any], call: tuple[Any, ...]) -> Generator[Any, Any, Any]:
        # PEP 380's expansion of ``yield from``, with the run made current
        # while the inner generator runs and the yielded items recorded. The
        # run starts at the first ``next()``: a generator never iterated is
        # never run, and could not be seen to end.
        run = _begin(*call)
        if run is None:
            return (yield from gen)
        max_items = run._client.config.max_stream_items
        items: list[Any] = []
        count = 0
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                token = current_run_var.set(run)
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = gen.throw(exc)
                    else:
                        item = gen.send(to_send)
                finally:
                    current_run_var.reset(token)
                count += 1
                if len(items) < max_items:
                    items.append(item)
                try:
                    to_send = yield item
                except GeneratorExit:
                    token = current_run_var.set(run)
                    try:
                        gen.close()
                    finally:
                        current_run_var.reset(token)
                    raise
                except BaseException as exc:
                    to_throw = exc
        except StopIteration as stop:
            _finish(run, _stream_output(items, count, stop.value), None)
            return stop.value
        except GeneratorExit:
            _finish(run, _stream_output(items, count, None), None)
            raise
        except BaseException as exc:
            _finish(run, _stream_output(items, count, None), exc)
            raise

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        gen = wrapped(*args, **kwargs)
        if not _enabled():
            return gen
        return traced(gen, (spec, args, kwargs, instance, current_run_var.get()))

    return wrapper


def _async_generator(spec: FunctionSpec) -> Callable[..., Any]:
    async def traced(agen: AsyncGenerator[Any, Any], call: tuple[Any, ...]) -> AsyncGenerator[Any, Any]:
        # The ``yield from`` expansion for async generators (which have none).
        run = _begin(*call)
        max_items = run._client.config.max_stream_items if run is not None else 0
        items: list[Any] = []
        count = 0
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                token = current_run_var.set(run) if run is not None else None
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = await agen.athrow(exc)
                    else:
                        item = await agen.asend(to_send)
                finally:
                    if token is not None:
                        current_run_var.reset(token)
                count += 1
                if len(items) < max_items:
                    items.append(item)
                try:
                    to_send = yield item
                except GeneratorExit:
                    token = current_run_var.set(run) if run is not None else None
                    try:
                        await agen.aclose()
                    finally:
                        if token is not None:
                            current_run_var.reset(token)
                    raise
                except BaseException as exc:
                    to_throw = exc
        except StopAsyncIteration:
            if run is not None:
                _finish(run, _stream_output(items, count, None), None)
        except GeneratorExit:
            if run is not None:
                _finish(run, _stream_output(items, count, None), None)
            raise
        except BaseException as exc:
            if run is not None:
                _finish(run, _stream_output(items, count, None), exc)
            raise

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        agen = wrapped(*args, **kwargs)
        if not _enabled():
            return agen
        return traced(agen, (spec, args, kwargs, instance, current_run_var.get()))

    return wrapper


class Wrapper(wrapt.FunctionWrapper):  # type: ignore[type-arg]
    """A ``FunctionWrapper`` that pickles by reference, like the function it wraps.

    ``multiprocessing.Pool.map`` and ``ProcessPoolExecutor`` pickle the
    callable; a decorated module-level function must travel as its name.
    """

    def __reduce_ex__(self, protocol: SupportsIndex) -> str:
        return str(self.__wrapped__.__qualname__)


def _wrap(fn: Any, run_type: str, name: str | None, model: str | None,
          tags: Iterable[str] | None, metadata: Mapping[str, Any] | None) -> Any:
    inner = fn.__func__ if isinstance(fn, classmethod | staticmethod) else fn
    spec = FunctionSpec(run_type, name or getattr(inner, "__qualname__", None) or repr(inner), fn, model, tags, metadata)
    if name is None:
        spec.name = getattr(inner, "__name__", spec.name)
    if inspect.isasyncgenfunction(inner):
        wrapper = _async_generator(spec)
    elif inspect.isgeneratorfunction(inner):
        wrapper = _generator(spec)
    elif inspect.iscoroutinefunction(inner):
        wrapper = _coroutine(spec)
    else:
        wrapper = _call(spec)
    return Wrapper(fn, wrapper)


def _decorator_for(run_type: str) -> Any:
    @overload
    def decorate(fn: F, /) -> F: ...

    @overload
    def decorate(
        fn: None = None, /, *, name: str | None = None, model: str | None = None,
        tags: Iterable[str] | None = None, metadata: Mapping[str, Any] | None = None,
    ) -> Callable[[F], F]: ...

    def decorate(
        fn: Any = None, /, *, name: str | None = None, model: str | None = None,
        tags: Iterable[str] | None = None, metadata: Mapping[str, Any] | None = None,
    ) -> Any:
        if fn is None:
            return lambda f: _wrap(f, run_type, name, model, tags, metadata)
        return _wrap(fn, run_type, name, model, tags, metadata)

    return decorate


agent = _decorator_for("agent")
agent.__doc__ = """Record each call as an ``agent`` run: ``@agent`` or ``@agent(name=, tags=, metadata=)``."""
llm = _decorator_for("llm")
llm.__doc__ = """Record each call as an ``llm`` run: ``@llm`` or ``@llm(model=, name=, tags=, metadata=)``.

Usage comes from ``current_run().set_usage(...)`` or, when none was set, from
the return value (OpenAI ``usage.prompt_tokens``, Anthropic ``usage.input_tokens``)."""
tool = _decorator_for("tool")
tool.__doc__ = """Record each call as a ``tool`` run: ``@tool`` or ``@tool(name=, tags=, metadata=)``."""
