"""Request and response models of the HTTP API (the event model is the SDK's own:
:class:`observatory.protocol.Event`, imported, never copied)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Rejected(BaseModel):
    """One event the receiver refused, by its index in the batch."""

    index: int
    error: str


class ReportResult(BaseModel):
    """Answer to ``POST /api/report``."""

    accepted: int
    duplicates: int
    rejected: list[Rejected]
    """The first 1000 rejected events, by index."""
    rejected_total: int | None = None
    """How many events were rejected, present only when ``rejected`` does not list them all."""


class PriceIn(BaseModel):
    """Body of ``PUT /api/costs/{model}``: USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, allow_inf_nan=False)
    output: float = Field(ge=0, allow_inf_nan=False)
    cached_input: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class PriceOut(BaseModel):
    """One row of the cost table."""

    model: str
    input: float
    output: float
    cached_input: float | None
    total: float | None
    source: str


class CostList(BaseModel):
    """Answer to ``GET /api/costs``."""

    costs: list[PriceOut]


class RecalcResult(BaseModel):
    """Answer to ``POST /api/costs/recalc``."""

    updated: int


class RunPage(BaseModel):
    """Answer to ``GET /api/run/``: runs newest first and the cursor of the next page."""

    runs: list[dict[str, Any]]
    next_cursor: str | None


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
