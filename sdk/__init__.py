"""Observatory: drop-in observability for AI agents.

Decorate agent steps, LLM calls and tool calls; events are queued in memory
and sent in batches by a background thread to ``{api_url}/api/report``. The
SDK never blocks the caller and never raises into user code.

    import observatory

    @observatory.agent
    def answer(question: str) -> str: ...

This module only re-exports: every public name is listed in ``__all__`` (a test
checks both directions). Framework integrations build on
``observatory.instrumentation``.
"""

import typing as _typing

from ._api import current_run, flush, init, shutdown, start_run, stats
from ._config import Config, RedactHook
from ._context import ThreadPoolExecutor, context, wrap_context
from ._decorators import agent, llm, tool
from ._events import track_event
from ._flushing import flush_after
from ._lazy import module_getattr as __getattr__  # noqa: F401  (the module-level lookup hook, PEP 562)
from ._run import NoopRun, Run
from ._transport import Transport

if _typing.TYPE_CHECKING:  # loaded on first use (``_lazy``): httpx and pydantic stay out of import
    from ._read_client import AsyncClient, Client
    from ._read_errors import AuthError, InvalidRequest, NotFound, ObservatoryError

__all__ = [
    "AsyncClient",
    "AuthError",
    "Client",
    "Config",
    "InvalidRequest",
    "NoopRun",
    "NotFound",
    "ObservatoryError",
    "RedactHook",
    "Run",
    "ThreadPoolExecutor",
    "Transport",
    "agent",
    "context",
    "current_run",
    "flush",
    "flush_after",
    "init",
    "llm",
    "shutdown",
    "start_run",
    "stats",
    "tool",
    "track_event",
    "wrap_context",
]

__version__ = "0.1.0"
