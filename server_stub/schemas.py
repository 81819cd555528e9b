"""Request and response models of the HTTP API. The event model is the SDK's own
(:class:`observatory.protocol.Event`) and the response shapes are the read client's
(:mod:`observatory.api_models`): imported, never copied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from observatory import api_models as m
from observatory.api_models import (
    ChangeList,
    CompareResult,
    CompareSide,
    CostList,
    Feedback,
    Health,
    Message,
    MetricResult,
    PolicyResult,
    Price,
    RecalcResult,
    Rejected,
    ReleaseList,
    ReportResult,
    Run,
    RunDetail,
    RunPage,
    Thread,
    ThreadDetail,
    ThreadPage,
    Verdict,
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


ReleaseOut = m.Release
"""One release seen for one agent (the name the routes used before the shared models)."""

ChangeOut = m.Change
"""One recorded change (the name the routes used before the shared models)."""


class ChangeIn(BaseModel):
    """Body of ``POST /api/changes``; ``at`` defaults to now."""

    model_config = ConfigDict(extra="forbid")

    kind: m.ChangeKind
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
    "ChangeIn",
    "ChangeList",
    "ChangeOut",
    "CompareResult",
    "CompareSide",
    "CostList",
    "Feedback",
    "Health",
    "Me",
    "Message",
    "MetricResult",
    "ModelCost",
    "PolicyResult",
    "Price",
    "PriceIn",
    "PriceOut",
    "RecalcResult",
    "Rejected",
    "ReleaseList",
    "ReleaseOut",
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
    "Verdict",
    "ZeroCostGroup",
]
