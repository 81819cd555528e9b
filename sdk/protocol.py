"""The wire protocol: one event object, and the batch that carries them.

This module is the single definition of what goes over ``POST /api/report``.
The SDK builds plain dicts on its background thread (pydantic is never on the
caller's path); the receiver validates every incoming event with :class:`Event`,
and ``schemas/event.schema.json`` is generated from it.

Event names:

* ``agent_start`` / ``agent_end`` / ``agent_error`` (and the same for ``llm``,
  ``tool``, ``span``): one run's beginning and end, sharing a ``run_id``.
* ``agent`` / ``llm`` / ``tool`` / ``span`` alone: a complete run in one event.
  ``span`` is any other traced step (an HTTP call, a framework chain), e.g. an
  OpenTelemetry span that is not a GenAI one (``POST /v1/traces``).
* ``chat``, ``feedback``, ``saved``: the three custom events with meaning.
* anything else: a custom event, stored and shown on its run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RUN_TYPES = ("agent", "llm", "tool", "span")
"""Event types that describe a run (a step with a start, an end and a latency)."""

PHASES = ("start", "end", "error")
"""Suffixes of a run event's name: ``<type>_<phase>``."""

MEANINGFUL_CUSTOM = ("chat", "feedback", "saved")
"""Custom event names the receiver gives meaning to."""

MAX_NAME_LENGTH = 200
MAX_ID_LENGTH = 200
MAX_COMMENT_LENGTH = 1_000_000
MAX_EMAIL_LENGTH = 320
MAX_TAGS = 100
"""Tags per event (``tags`` and ``metadata.tags`` together)."""
MAX_TAG_LENGTH = 200

MAX_TOKENS = 10**12
"""Largest token count (and sum of ``prompt_tokens + completion_tokens``): 100,000 times
the largest context window today, exact as a JSON number in every client, and small
enough that sums over millions of runs (the hourly rollups, ``SUM()`` in SQL) stay
within the store's 64-bit integers."""
MAX_LATENCY_S = 10 * 366 * 86_400.0
"""Ten years: a lone run event's ``latency_s`` at most (its start is computed from it)."""
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
"""Event times are accepted from the Unix epoch to the end of year 9999, in UTC after
applying the offset (``9999-12-31T23:59:59-14:00`` is in year 10000, so it is refused)."""
MAX_NESTING = 64
"""Objects and arrays inside an event nest at most this deep (the event object is
level 1); the receiver replaces anything deeper with a :data:`TRUNCATION_MARKER` object."""
TRUNCATION_MARKER = "_observatory_truncated"
"""Key of the object that stands in for a value cut short (too large or too deep)."""
MAX_BATCH_EVENTS = 10_000
"""Events per ``POST /api/report`` at most (the SDK sends 500 by default); a larger
batch is refused whole with 413."""
TRACE_ID_PATTERN = r"^[0-9a-f]{32}$"
"""A trace id as in W3C ``traceparent``: 32 lowercase hex digits."""
SPAN_ID_PATTERN = r"^[0-9a-f]{16}$"

Status = Literal["started", "success", "error"]
Rating = Literal["positive", "negative"]
Role = Literal["user", "assistant", "system", "tool", "developer"]
ROLES: tuple[str, ...] = get_args(Role)
"""The chat roles, in the order the docs list them."""

TokenCount = Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
"""A token count: a JSON integer (not a string, a boolean or 1.0) from 0 to MAX_TOKENS."""
Tag = Annotated[str, Field(max_length=MAX_TAG_LENGTH)]


def total_tokens(prompt: int | None, completion: int | None, total: int | None) -> int | None:
    """The total token count: ``total`` when sent, else ``prompt + completion`` when
    both are known (the one place it is derived)."""
    if total is None and prompt is not None and completion is not None:
        return prompt + completion
    return total


def split_name(name: str) -> tuple[str, str | None]:
    """``"llm_end"`` -> ``("llm", "end")``; ``"chat"`` -> ``("chat", None)``."""
    for run_type in RUN_TYPES:
        if name == run_type:
            return run_type, None
        if name.startswith(run_type + "_"):
            phase = name[len(run_type) + 1 :]
            if phase in PHASES:
                return run_type, phase
    return name, None


class Event(BaseModel):
    """One event as posted to ``/api/report``.

    Unknown top-level fields are kept (custom events put their fields at the
    top level). ``cost`` sent by a client is accepted but never trusted: the
    receiver derives cost from ``model`` and token counts.
    """

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    type: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    event_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH)
    app_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    release: str | None = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH)
    run_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH)
    parent_run_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    timestamp: datetime | None = Field(
        default=None,
        description="ISO-8601 with a timezone, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC",
    )
    metadata: dict[str, Any] | None = None
    input: Any = None
    output: Any = None
    status: Status | None = None
    error: Any = None
    model: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    prompt_tokens: TokenCount | None = None
    completion_tokens: TokenCount | None = None
    total_tokens: TokenCount | None = None
    cached_tokens: TokenCount | None = Field(
        default=None, description="the part of prompt_tokens served from a prompt cache"
    )
    latency_s: float | None = Field(
        default=None,
        ge=0,
        le=MAX_LATENCY_S,
        strict=True,
        allow_inf_nan=False,
        description="a lone run event only: seconds from the run's start to timestamp",
    )
    # also accepted in metadata, with the same meaning
    tags: Tag | Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = None
    user_email: str | None = Field(default=None, max_length=MAX_EMAIL_LENGTH)
    run_name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    # OpenTelemetry: the run's trace, and its own span when it is one (otel=True, /v1/traces)
    trace_id: str | None = Field(default=None, pattern=TRACE_ID_PATTERN)
    span_id: str | None = Field(default=None, pattern=SPAN_ID_PATTERN)
    # custom events with meaning
    thread_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    role: Role | None = None
    content: Any = None
    rating: Rating | None = None
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_LENGTH)
    message_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)

    @field_validator("timestamp")
    @classmethod
    def _aware_timestamp(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamp must carry a timezone (use ISO-8601 with Z)")
        # the year alone settles it but at the edges (comparing is ~10x slower)
        if not 1970 < value.year < 9999 and not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP:
            raise ValueError(
                f"{value.isoformat()} is outside the supported range "
                "1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z (UTC)"
            )
        return value

    @model_validator(mode="after")
    def _check_kind(self) -> Event:
        base, phase = split_name(self.name)
        if self.type is None:
            self.type = base if (phase or base in RUN_TYPES or base in MEANINGFUL_CUSTOM) else "custom"
        if base in RUN_TYPES and self.type != base:
            raise ValueError(f"name {self.name!r} does not match type {self.type!r}")
        if self.type in RUN_TYPES and self.run_id is None:
            raise ValueError(f"{self.type} events need a run_id")
        if (
            self.prompt_tokens is not None
            and self.completion_tokens is not None
            and self.prompt_tokens + self.completion_tokens > MAX_TOKENS
        ):
            raise ValueError(f"prompt_tokens + completion_tokens must be at most {MAX_TOKENS}")
        if self.name == "chat":
            if self.role is None:
                raise ValueError(f"chat events need a role ({', '.join(ROLES[:-1])} or {ROLES[-1]})")
            if self.content is None:
                raise ValueError("chat events need content")
        elif self.name == "feedback":
            if self.run_id is None and self.message_id is None:
                raise ValueError("feedback events need a run_id (or message_id)")
            if self.rating is None:
                raise ValueError("feedback events need a rating: 'positive' or 'negative'")
        elif self.name == "saved" and self.run_id is None:
            raise ValueError("saved events need the run_id of the run to keep")
        return self

    @property
    def phase(self) -> str | None:
        """``start``, ``end``, ``error``, or None for a one-event run / custom event."""
        return split_name(self.name)[1]


class Batch(BaseModel):
    """The request body of ``POST /api/report``."""

    events: list[Event]


def json_schema() -> dict[str, Any]:
    """JSON Schema of one event (published as ``schemas/event.schema.json``)."""
    return Event.model_json_schema()
