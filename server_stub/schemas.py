"""Request and response models of the HTTP API. The event model is the SDK's own
(:class:`observatory.protocol.Event`) and the response shapes are the read client's
(:mod:`observatory.api_models`): imported, never copied."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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

PriceOut = Price
"""One row of the cost table (the name the routes used before the shared models)."""


class PriceIn(BaseModel):
    """Body of ``PUT /api/costs/{model}``: USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, allow_inf_nan=False)
    output: float = Field(ge=0, allow_inf_nan=False)
    cached_input: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False)


__all__ = [
    "CostList",
    "Feedback",
    "Health",
    "Message",
    "Price",
    "PriceIn",
    "PriceOut",
    "RecalcResult",
    "Rejected",
    "ReportResult",
    "Run",
    "RunDetail",
    "RunPage",
    "Thread",
    "ThreadDetail",
    "ThreadPage",
]
