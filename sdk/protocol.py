"""The wire protocol: one event object, and the batch that carries them.

This module is the single definition of what goes over ``POST /api/report``.
The SDK builds plain dicts on its background thread (pydantic is never on the
caller's path); the receiver validates every incoming event with :class:`Event`,
and ``schemas/event.schema.json`` is generated from it.

Event names:

* ``agent_start`` / ``agent_end`` / ``agent_error`` (and the same for ``llm``,
  ``tool``): one run's beginning and end, sharing a ``run_id``.
* ``agent`` / ``llm`` / ``tool`` alone: a complete run in one event.
* ``chat``, ``feedback``, ``saved``: the three custom events with meaning.
* anything else: a custom event, stored and shown on its run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RUN_TYPES = ("agent", "llm", "tool")
"""Event types that describe a run (a step with a start, an end and a latency)."""

PHASES = ("start", "end", "error")
"""Suffixes of a run event's name: ``<type>_<phase>``."""

MEANINGFUL_CUSTOM = ("chat", "feedback", "saved")
"""Custom event names the receiver gives meaning to."""

MAX_NAME_LENGTH = 200
MAX_ID_LENGTH = 200
MAX_COMMENT_LENGTH = 1_000_000

Status = Literal["started", "success", "error"]
Rating = Literal["positive", "negative"]
Role = Literal["user", "assistant", "system", "tool", "developer"]


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
    timestamp: datetime | None = None
    metadata: dict[str, Any] | None = None
    input: Any = None
    output: Any = None
    status: Status | None = None
    error: Any = None
    model: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)
    total_tokens: int | None = Field(default=None, ge=0)
    # custom events with meaning
    thread_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    role: Role | None = None
    content: Any = None
    rating: Rating | None = None
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_LENGTH)
    message_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)

    @field_validator("prompt_tokens", "completion_tokens", "total_tokens", mode="before")
    @classmethod
    def _no_bool_tokens(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("token counts must be integers, not booleans")
        return value

    @field_validator("timestamp")
    @classmethod
    def _aware_timestamp(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp must carry a timezone (use ISO-8601 with Z)")
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
        if self.name == "chat":
            if self.role is None:
                raise ValueError("chat events need a role (user, assistant, system, tool or developer)")
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
