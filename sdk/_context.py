"""Context carried with the code: the current run and the request context.

Both live in contextvars, so they follow ``await``, ``asyncio`` tasks and
``gather``. Threads start with an empty context; :func:`wrap_context` and
:class:`ThreadPoolExecutor` carry it into them.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from ._run import Run

P = ParamSpec("P")
R = TypeVar("R")

current_run_var: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "observatory_run", default=None
)


class RequestContext:
    """What ``with observatory.context(...)`` adds to every event inside it."""

    __slots__ = ("user_email", "tags", "metadata")

    def __init__(
        self,
        user_email: str | None,
        tags: tuple[str, ...],
        metadata: Mapping[str, Any],
    ) -> None:
        self.user_email = user_email
        self.tags = tags
        self.metadata = metadata

    def merged(
        self,
        user_email: str | None,
        tags: Iterable[str] | None,
        metadata: Mapping[str, Any] | None,
    ) -> RequestContext:
        """A new context: inner values win, tags accumulate, metadata merges."""
        new_tags = self.tags
        for tag in tags or ():
            if tag not in new_tags:
                new_tags = (*new_tags, str(tag))
        new_meta = {**self.metadata, **metadata} if metadata else self.metadata
        return RequestContext(user_email or self.user_email, new_tags, new_meta)


EMPTY_CONTEXT = RequestContext(None, (), {})

request_context_var: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "observatory_request_context", default=EMPTY_CONTEXT
)


class context:  # noqa: N801 - used like a function: ``with observatory.context(...)``
    """Add ``user_email``, ``tags`` and ``metadata`` to every event inside the block.

    Nested blocks merge: the inner ``user_email`` wins, tags accumulate and
    metadata keys are merged. Works with ``with`` and ``async with``.
    """

    __slots__ = ("_values", "_token")

    def __init__(
        self,
        user_email: str | None = None,
        tags: Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._values = (user_email, tags, metadata)
        self._token: contextvars.Token[RequestContext] | None = None

    def __enter__(self) -> context:
        merged = request_context_var.get().merged(*self._values)
        self._token = request_context_var.set(merged)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            request_context_var.reset(self._token)
            self._token = None

    async def __aenter__(self) -> context:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def wrap_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Return ``fn`` bound to the caller's current run and context.

    Use it for work handed to another thread, so runs started there nest under
    the run that handed it over: ``threading.Thread(target=wrap_context(work))``.
    The wrapper may be called many times, from several threads at once.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_context


class ThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in the submitter's context."""

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> concurrent.futures.Future[R]:
        return super().submit(wrap_context(fn), *args, **kwargs)
