"""Settings: each declared once, with its environment variable and default."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger("observatory")

RedactHook = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""Called on the background thread with each wire event; return it (changed or
not) to send it, or ``None`` to drop it. Runs before anything leaves the process."""


@dataclasses.dataclass(frozen=True)
class Config:
    """Every SDK setting. Build one with :func:`from_env` (``init()`` does)."""

    api_url: str = "http://127.0.0.1:8787"
    api_key: str | None = None
    app_id: str | None = None
    release: str | None = None
    """The version or git sha of the code sending events (stamped on every event as
    ``release``; compare releases with ``observatory compare``). None: not sent."""
    enabled: bool = True
    flush_interval: float = 0.5
    """Seconds between background sends when batches are not full."""
    batch_size: int = 500
    """Events per request at most; a full batch is sent at once."""
    max_batch_bytes: int = 4 * 1024 * 1024
    """Encoded bytes per request at most (the reference receiver takes 5 MB)."""
    max_queue_size: int = 10_000
    """Events waiting to be encoded; past it new events are dropped and counted."""
    max_buffer_bytes: int = 16 * 1024 * 1024
    """Encoded bytes held while the receiver is slow or down; past it, dropped."""
    timeout: float = 5.0
    """Seconds for one HTTP request (connect and read)."""
    max_retries: int = 8
    """Extra attempts for a retryable failure (connection error, 408, 429, 5xx)."""
    retry_budget: float = 30.0
    """Seconds one batch may spend in retries before it is dropped."""
    shutdown_timeout: float = 2.0
    """Seconds the exit hook spends flushing before it gives up and counts drops."""
    max_field_bytes: int = 64 * 1024
    """Encoded size of ``input``/``output``/``content`` past which it is truncated."""
    max_stream_items: int = 100
    """Items of a generator's output kept for the recorded output."""
    gzip: bool = True
    """Compress request bodies larger than ``gzip_min_bytes``."""
    gzip_min_bytes: int = 8 * 1024
    redact: RedactHook | None = None
    capture_input: bool = True
    capture_output: bool = True
    otel: bool = False
    """Make each run an OpenTelemetry span of the configured tracer provider too
    (GenAI attributes, current while the run's function runs); costs what a span
    costs, and imports OpenTelemetry's tracing only when on."""


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {}


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _declare() -> None:
    casts: dict[type, Callable[[str], Any]] = {int: int, float: float, bool: _bool, str: str}
    for field in dataclasses.fields(Config):
        if field.name == "redact":
            continue
        kind = field.type if isinstance(field.type, type) else _type_from_str(str(field.type))
        _ENV[field.name] = (f"OBSERVATORY_{field.name.upper()}", casts.get(kind, str))


def _type_from_str(text: str) -> type:
    for name, kind in (("bool", bool), ("int", int), ("float", float)):
        if text.startswith(name):
            return kind
    return str


_declare()


def env_var(option: str) -> str:
    """The environment variable that sets ``option``."""
    return _ENV[option][0]


def from_env(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Settings from ``OBSERVATORY_*`` variables, then ``overrides`` (non-None wins).

    A malformed variable is logged and its default kept: a typo in the
    environment must not take the user's program down.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option, (var, cast) in _ENV.items():
        raw = env.get(var)
        if raw is None:
            continue
        try:
            values[option] = cast(raw)
        except ValueError as exc:
            logger.warning("observatory: ignoring %s=%r: %s", var, raw, exc)
    for option, value in (overrides or {}).items():
        if option not in _ENV and option != "redact":
            raise TypeError(f"init() got an unknown option {option!r}")
        if value is not None:
            values[option] = value
    values["api_url"] = str(values.get("api_url", Config.api_url)).rstrip("/")
    if "release" in values:
        values["release"] = _release(values["release"])
    return Config(**values)


MAX_RELEASE_LENGTH = 200
"""The receiver's limit: a longer ``release`` would get every event refused."""


def _release(value: Any) -> str | None:
    """A release the receiver accepts: text, stripped, empty as none (``OBSERVATORY_RELEASE=``
    from an unset CI variable), cut to 200 characters with a warning."""
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_RELEASE_LENGTH:
        logger.warning("observatory: release is longer than %d characters; cut", MAX_RELEASE_LENGTH)
        text = text[:MAX_RELEASE_LENGTH]
    return text
