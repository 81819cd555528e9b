"""The module-level API: ``init``, ``start_run``, ``current_run``, ``flush``, ``shutdown``, ``stats``.

``observatory/__init__.py`` only re-exports these; each works on the process's
default client (``_state``) and never raises into the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ._config import RedactHook
from ._context import current_run_var
from ._run import NOOP_RUN, NoopRun, Run
from ._state import configure, get_client
from ._transport import Transport

logger = logging.getLogger("observatory")


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
        logger.debug("observatory: start_run failed", exc_info=True)
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

