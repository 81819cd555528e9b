"""Observatory: drop-in observability for AI agents.

Decorate agent steps, LLM calls and tool calls; events are queued in memory
and sent in batches by a background thread to ``{api_url}/api/report``. The
SDK never blocks the caller and never raises into user code.

    import observatory

    @observatory.agent
    def answer(question: str) -> str: ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._config import Config, RedactHook
from ._context import ThreadPoolExecutor, context, current_run_var, wrap_context
from ._decorators import agent, llm, tool
from ._events import track_event
from ._flushing import flush_after
from ._run import NOOP_RUN, NoopRun, Run
from ._state import configure, get_client
from ._transport import Transport

if TYPE_CHECKING:  # loaded on first use by __getattr__: httpx and pydantic stay out of import
    from ._read_client import AsyncClient, Client
    from ._read_errors import AuthError, InvalidRequest, NotFound, ObservatoryError

__all__ = [
    "AsyncClient",
    "AuthError",
    "Client",
    "Config",
    "InvalidRequest",
    "NotFound",
    "NoopRun",
    "ObservatoryError",
    "Run",
    "ThreadPoolExecutor",
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

_LAZY = {
    "Client": "._read_client",
    "AsyncClient": "._read_client",
    "ObservatoryError": "._read_errors",
    "AuthError": "._read_errors",
    "NotFound": "._read_errors",
    "InvalidRequest": "._read_errors",
}


def __getattr__(name: str) -> Any:
    """The read client and its errors, imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'observatory' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def init(
    api_url: str | None = None,
    api_key: str | None = None,
    app_id: str | None = None,
    *,
    release: str | None = None,
    enabled: bool | None = None,
    flush_interval: float | None = None,
    batch_size: int | None = None,
    max_batch_bytes: int | None = None,
    max_queue_size: int | None = None,
    max_buffer_bytes: int | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    retry_budget: float | None = None,
    shutdown_timeout: float | None = None,
    max_field_bytes: int | None = None,
    max_stream_items: int | None = None,
    gzip: bool | None = None,
    gzip_min_bytes: int | None = None,
    redact: RedactHook | None = None,
    capture_input: bool | None = None,
    capture_output: bool | None = None,
    otel: bool | None = None,
    transport: Transport | None = None,
) -> None:
    """Configure the SDK. Arguments left out come from ``OBSERVATORY_*`` variables, then defaults.

    Calling ``init()`` again flushes and replaces the previous configuration.
    ``transport`` replaces HTTP (e.g. :class:`InMemoryTransport` in tests).
    ``otel=True`` makes each run an OpenTelemetry span too (docs/otel.md).
    """
    options = {key: value for key, value in locals().items() if key != "transport"}
    configure(options, transport=transport)


def current_run() -> Run | NoopRun:
    """The innermost run in progress, or a no-op handle outside any run."""
    return current_run_var.get() or NOOP_RUN


def start_run(
    type: str,
    name: str,
    *,
    input: Any = None,
    parent: Run | str | None | Any = ...,
    run_id: str | None = None,
    model: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    start_time: float | None = None,
    send_start: bool = True,
) -> Run | NoopRun:
    """Start a run by hand (integrations use this); end it with ``run.end(output, error=)``.

    ``parent`` defaults to the current run; pass a run, a run id, or None for a
    root run. ``run.activate()`` makes it current so decorated code nests
    under it. ``send_start=False`` holds the start event back until
    ``run.send_start()`` (e.g. arguments known only later), or never (a handle
    to end a run whose start another process reported, given its ``run_id``).
    Never raises: on any problem a no-op handle is returned.
    """
    try:
        client = get_client()
        if not client.enabled:
            return NOOP_RUN
        if parent is ...:
            parent = current_run_var.get()
        run = Run(client, type, name, parent, run_id=run_id, start_time=start_time)
        run.input = input
        if model:
            run.model = model
        if tags:
            run.tags = [str(t) for t in tags]
        if metadata:
            run.metadata = dict(metadata)
        if send_start:
            client.put_start(run)
        return run
    except Exception:
        import logging

        logging.getLogger("observatory").debug("observatory: start_run failed", exc_info=True)
        return NOOP_RUN


def flush(timeout: float | None = None) -> bool:
    """Send everything queued so far; True when all of it was delivered within ``timeout``."""
    try:
        return get_client().flush(timeout)
    except Exception:
        return False


def shutdown(timeout: float | None = None) -> bool:
    """Flush within ``timeout`` (default ``shutdown_timeout``) and stop the background thread."""
    try:
        return get_client().shutdown(timeout)
    except Exception:
        return False


def stats() -> dict[str, Any]:
    """Counters: ``queued``, ``sent``, ``dropped`` (by reason), ``retries``, ``failed_requests``."""
    try:
        return get_client().stats_snapshot()
    except Exception:
        return {}

