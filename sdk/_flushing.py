"""``flush_after``: deliver before a short-lived handler returns (serverless, CLI jobs).

A frozen serverless container may never run the exit hook, so events queued
by one invocation would wait, or be lost, until the next. Wrapping the handler
flushes (within ``timeout``) every time it returns or raises.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, overload

from ._decorators import Wrapper
from ._state import get_client

F = TypeVar("F", bound=Callable[..., Any])


def _flush(timeout: float) -> bool:
    try:
        return get_client().flush(timeout)
    except Exception:
        return False


class FlushAfter:
    """Decorator and (async) context manager made by :func:`flush_after`."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.delivered: bool | None = None
        """After a ``with`` block: whether everything was delivered."""

    def __call__(self, fn: F) -> F:
        timeout = self.timeout
        if inspect.iscoroutinefunction(fn):

            async def async_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
                import asyncio

                try:
                    return await wrapped(*args, **kwargs)
                finally:
                    await asyncio.to_thread(_flush, timeout)

            return Wrapper(fn, async_wrapper)  # type: ignore[return-value]

        def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                return wrapped(*args, **kwargs)
            finally:
                _flush(timeout)

        return Wrapper(fn, wrapper)  # type: ignore[return-value]

    def __enter__(self) -> FlushAfter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.delivered = _flush(self.timeout)

    async def __aenter__(self) -> FlushAfter:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        import asyncio

        self.delivered = await asyncio.to_thread(_flush, self.timeout)


@overload
def flush_after(fn: F, /) -> F: ...
@overload
def flush_after(fn: None = None, /, *, timeout: float = 2.0) -> FlushAfter: ...
def flush_after(fn: Any = None, /, *, timeout: float = 2.0) -> Any:
    """Flush queued events when the decorated function (sync or async) or the block finishes.

    ``@flush_after``, ``@flush_after(timeout=2.0)``, ``with flush_after():`` or
    ``async with flush_after():``. Async functions flush in a worker thread so
    the event loop is not blocked. Returns even when the receiver is down,
    after at most ``timeout`` seconds.
    """
    helper = FlushAfter(timeout)
    return helper if fn is None else helper(fn)
