"""What the receiver answers: one definition shared by the receiver and the read client.

The receiver's routes declare these as their ``response_model``; the read client
(:class:`observatory.Client`) parses its answers with them. Every model keeps
fields it does not know (``extra="allow"``), so a newer receiver that adds a field
never breaks an older client. Times are timezone-aware UTC ``datetime`` values in
Python and ISO-8601 with ``Z`` on the wire (milliseconds unless finer).

This module imports pydantic: ``import observatory`` does not load it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer


def _iso_z(moment: datetime) -> str:
    """The receiver's wire form: UTC, ``Z``, milliseconds unless microseconds matter."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.isoformat(timespec=spec) + "Z"


Timestamp = Annotated[datetime, PlainSerializer(_iso_z, return_type=str, when_used="json")]
"""A UTC moment; serialized as the receiver writes it (``2026-05-29T08:00:00.123Z``)."""


class Answer(BaseModel):
    """Base of every response model: unknown fields are kept, not refused."""

    model_config = ConfigDict(extra="allow")


class Run(Answer):
    """One run (an agent step, an LLM call or a tool call) as listed by ``GET /api/run/``."""

    run_id: str
    parent_run_id: str | None = None
    app_id: str | None = None
    type: str
    """``agent``, ``llm`` or ``tool``."""
    name: str | None = None
    agent: str | None = None
    status: str
    """``started``, ``success`` or ``error``."""
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    latency_s: float | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None
    cost: float | None = None
    """USD of this run alone."""
    cost_status: str | None = None
    subtree_cost: float | None = None
    """USD of this run and every run under it."""
    tags: list[str] = []
    user_email: str | None = None
    saved: bool = False
    input: Any = None
    output: Any = None
    error: Any = None
    metadata: dict[str, Any] = {}
    release: str | None = None
    """The release (version or git sha) the run was reported by."""
    trace_id: str | None = None
    """The 32-hex-digit trace the run belongs to (as in ``traceparent``)."""


class Feedback(Answer):
    """A rating of a run or of a chat message."""

    run_id: str | None = None
    message_id: str | None = None
    rating: str
    """``positive`` or ``negative``."""
    comment: str | None = None
    user_email: str | None = None
    timestamp: Timestamp | None = None


class RunDetail(Run):
    """Answer to ``GET /api/run/{run_id}``: the run, its events, direct children and feedback."""

    events: list[dict[str, Any]] = []
    children: list[Run] = []
    feedback: list[Feedback] = []


class RunPage(Answer):
    """Answer to ``GET /api/run/``: runs newest first and the cursor of the next page."""

    runs: list[Run]
    next_cursor: str | None = None


class Thread(Answer):
    """One conversation in ``GET /api/threads``."""

    thread_id: str
    message_count: int
    first_time: Timestamp | None = None
    last_time: Timestamp | None = None
    agent: str | None = None
    user_email: str | None = None
    grouped_by: str
    """``thread_id`` (sent by the app) or ``agent_user_window`` (grouped by the receiver)."""


class ThreadPage(Answer):
    """Answer to ``GET /api/threads``: most recently active first, and the next cursor."""

    threads: list[Thread]
    next_cursor: str | None = None


class Message(Answer):
    """One chat message of a thread, with its feedback."""

    message_id: str
    thread_id: str | None = None
    role: str
    content: Any = None
    run_id: str | None = None
    app_id: str | None = None
    agent: str | None = None
    user_email: str | None = None
    timestamp: Timestamp | None = None
    feedback: list[Feedback] = []


class ThreadDetail(Answer):
    """Answer to ``GET /api/threads/{thread_id}``: the messages in time order."""

    thread_id: str
    messages: list[Message]


class Price(Answer):
    """One row of the cost table, USD per 1M tokens."""

    model: str
    input: float
    output: float
    cached_input: float | None = None
    total: float | None = None
    source: str


class CostList(Answer):
    """Answer to ``GET /api/costs``."""

    costs: list[Price]


class RecalcResult(Answer):
    """Answer to ``POST /api/costs/recalc``."""

    updated: int


class Health(Answer):
    """Answer to ``GET /health``."""

    status: str
    db: str | None = None
    cost_rows: int | None = None


class Rejected(Answer):
    """One event the receiver refused, by its index in the batch."""

    index: int
    error: str


class ReportResult(Answer):
    """Answer to ``POST /api/report``."""

    accepted: int
    duplicates: int
    rejected: list[Rejected]
    """The first 1000 rejected events, by index."""
    rejected_total: int | None = None
    """How many events were rejected, present only when ``rejected`` does not list them all."""


__all__ = [
    "Answer",
    "CostList",
    "Feedback",
    "Health",
    "Message",
    "Price",
    "RecalcResult",
    "Rejected",
    "ReportResult",
    "Run",
    "RunDetail",
    "RunPage",
    "Thread",
    "ThreadDetail",
    "ThreadPage",
    "Timestamp",
]
