"""Request and response models of the HTTP API. The event model is the SDK's own
(:class:`observatory.protocol.Event`) and the response shapes are the read client's
(:mod:`observatory.api_models`): imported, never copied."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from observatory.api_models import (
    CostList,
    Feedback,
    Health,
    Message,
    Price,
    RecalcResult,
    Rejected,
    ReportResult,
    Run,
    RunDetail,
    RunPage,
    Thread,
    ThreadDetail,
    ThreadPage,
)

from .nul import NUL, REPLACEMENT


class ErrorBody(BaseModel):
    """Every error answer (4xx and 503): what is wrong, in one sentence."""

    detail: str


PriceOut = Price
"""One row of the cost table (the name the routes used before the shared models)."""


class PriceIn(BaseModel):
    """Body of ``PUT /api/costs/{model}``: USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid")

    # strict: lax mode reads `false` as 0.0 and "1" as 1.0, which the schema forbids
    input: float = Field(ge=0, allow_inf_nan=False, strict=True)
    output: float = Field(ge=0, allow_inf_nan=False, strict=True)
    cached_input: float | None = Field(default=None, ge=0, allow_inf_nan=False, strict=True)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False, strict=True)


class ReleaseOut(BaseModel):
    """One release seen for one agent."""

    release: str
    agent: str | None
    first_seen: str
    last_seen: str
    runs: int
    root_runs: int


class ReleaseList(BaseModel):
    """Answer to ``GET /api/releases``: most recently seen first."""

    releases: list[ReleaseOut]


class ChangeIn(BaseModel):
    """Body of ``POST /api/changes``; ``at`` defaults to now."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["code", "runtime", "prompt", "policy", "config"]
    ref: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=10_000)
    at: datetime | None = None

    @field_validator("ref", "summary")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        return value.replace(NUL, REPLACEMENT)  # PostgreSQL refuses U+0000 (see .nul)

    @field_validator("at", mode="before")
    @classmethod
    def _text_only(cls, value: Any) -> Any:
        # lax mode would read 0 as 1970-01-01; the schema says a date-time string
        if value is not None and not isinstance(value, str):
            raise ValueError("at must be an ISO-8601 date-time string")
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("at must carry a timezone (use ISO-8601 with Z)")
        return value


class ChangeOut(BaseModel):
    """One recorded change."""

    id: int
    kind: str
    ref: str
    summary: str
    at: str
    created_at: str


class ChangeList(BaseModel):
    """Answer to ``GET /api/changes``: oldest first."""

    changes: list[ChangeOut]


Verdict = Literal["improved", "regressed", "no_significant_change", "insufficient_data"]


class MetricResult(BaseModel):
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


class CompareSide(BaseModel):
    """Which runs one side of a compare took: a release and/or ``[from, to)``."""

    model_config = ConfigDict(populate_by_name=True)

    release: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    runs: int
    truncated: bool


class PolicyResult(BaseModel):
    """The policy check: ``passed`` and the reasons it failed."""

    passed: bool
    reasons: list[str]
    thresholds: dict[str, float]


class CompareResult(BaseModel):
    """Answer to ``GET /api/compare``."""

    baseline: CompareSide
    candidate: CompareSide
    agent: str | None
    unit: str
    change: ChangeOut | None
    min_sample: int
    max_sample: int
    confidence: float
    bootstrap: dict[str, int]
    metrics: dict[str, MetricResult]
    policy: PolicyResult
    distributions: dict[str, dict[str, list[float]]]
    """``latency`` and ``cost``: ``baseline`` and ``candidate`` as percentiles 0-100."""


class Me(BaseModel):
    """Answer to ``GET /api/me``: the caller's project."""

    project: str


class Trace(BaseModel):
    """Answer to ``GET /api/trace/{run_id}``: the runs of the trace, root first
    (at most 5,000; ``truncated`` says some were left out)."""

    run_id: str
    root_run_id: str
    runs: list[dict[str, Any]]
    truncated: bool


class StatsSummary(BaseModel):
    """Answer to ``GET /api/stats/summary``: totals of the runs started in the window."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    runs: int
    errors: int
    cost_usd: float
    llm_runs: int
    total_tokens: int


class ModelCost(BaseModel):
    """One model's llm cost per bucket (USD)."""

    model: str
    cost_usd: list[float]


class StatsSeries(BaseModel):
    """Answer to ``GET /api/stats/timeseries``: one value per bucket in each list."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    bucket_s: int
    times: list[int]
    runs: list[int]
    errors: list[int]
    latency_p50_s: list[float | None]
    latency_p95_s: list[float | None]
    cost_by_model: list[ModelCost]


class TopItem(BaseModel):
    """An agent or model and its cost in the window."""

    key: str
    cost_usd: float
    runs: int


class StatsTop(BaseModel):
    """Answer to ``GET /api/stats/top``."""

    by: str
    items: list[TopItem]


class ZeroCostGroup(BaseModel):
    """llm runs that cost 0 for one reason, and the models involved (up to 20)."""

    cost_status: str
    runs: int
    models: list[str]


class StatsZeroCost(BaseModel):
    """Answer to ``GET /api/stats/zero-cost``."""

    items: list[ZeroCostGroup]


__all__ = [
    "CostList",
    "Feedback",
    "Health",
    "Me",
    "Message",
    "ModelCost",
    "Price",
    "PriceIn",
    "PriceOut",
    "RecalcResult",
    "Rejected",
    "ReportResult",
    "Run",
    "RunDetail",
    "RunPage",
    "StatsSeries",
    "StatsSummary",
    "StatsTop",
    "StatsZeroCost",
    "Thread",
    "ThreadDetail",
    "ThreadPage",
    "TopItem",
    "Trace",
    "ZeroCostGroup",
]
