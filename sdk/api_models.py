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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


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


class Release(Answer):
    """One release seen for one agent, with its first and last run start."""

    release: str
    agent: str | None = None
    first_seen: Timestamp
    last_seen: Timestamp
    runs: int
    root_runs: int
    """Runs without a parent: the unit ``GET /api/compare`` compares by default."""


class ReleaseList(Answer):
    """Answer to ``GET /api/releases``: most recently seen first."""

    releases: list[Release]


ChangeKind = Literal["code", "runtime", "prompt", "policy", "config"]
"""What changed: a deploy or commit, a dependency/model/infrastructure bump, a prompt,
a guardrail policy, a configuration."""


class Change(Answer):
    """One recorded change (a deploy or an edit): a marker on time series."""

    id: int
    kind: str
    ref: str
    summary: str
    at: Timestamp
    created_at: Timestamp


class ChangeList(Answer):
    """Answer to ``GET /api/changes``: oldest first."""

    changes: list[Change]


Verdict = Literal["improved", "regressed", "no_significant_change", "insufficient_data"]


class MetricResult(Answer):
    """One metric of a compare. Differences are candidate minus baseline; ``ci`` is
    the 95% interval of ``abs_diff``; ``verdict`` uses ``p_adjusted`` (Holm)."""

    baseline: float | None
    candidate: float | None
    abs_diff: float | None
    rel_diff: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    p_adjusted: float | None
    n_baseline: int
    n_candidate: int
    verdict: Verdict
    test: str
    ci_method: str


class CompareSide(Answer):
    """Which runs one side of a compare took: a release and/or ``[from, to)``."""

    model_config = ConfigDict(populate_by_name=True)

    release: str | None
    from_: Timestamp | None = Field(alias="from")
    to: Timestamp | None
    runs: int
    truncated: bool
    """More than ``max_sample`` runs matched: the newest were compared."""


class PolicyResult(Answer):
    """The policy check: ``passed`` and the reasons it failed."""

    passed: bool
    reasons: list[str]
    thresholds: dict[str, float]


class CompareResult(Answer):
    """Answer to ``GET /api/compare``: five metrics (``latency_p50``, ``latency_p95``,
    ``cost``, ``tokens``, ``error_rate``; lower is better for all) and the policy."""

    baseline: CompareSide
    candidate: CompareSide
    agent: str | None
    unit: str
    change: Change | None
    """The change ``around`` named, if any."""
    min_sample: int
    max_sample: int
    confidence: float
    bootstrap: dict[str, int]
    metrics: dict[str, MetricResult]
    policy: PolicyResult
    distributions: dict[str, dict[str, list[float]]]
    """``latency`` and ``cost``: ``baseline`` and ``candidate`` as percentiles 0-100."""


__all__ = [
    "Answer",
    "Change",
    "ChangeKind",
    "ChangeList",
    "CompareResult",
    "CompareSide",
    "CostList",
    "Feedback",
    "Health",
    "Message",
    "MetricResult",
    "PolicyResult",
    "Price",
    "RecalcResult",
    "Rejected",
    "Release",
    "ReleaseList",
    "ReportResult",
    "Run",
    "RunDetail",
    "RunPage",
    "Thread",
    "ThreadDetail",
    "ThreadPage",
    "Timestamp",
    "Verdict",
]
