"""Request and response models of the HTTP API (the event model is the SDK's own:
:class:`observatory.protocol.Event`, imported, never copied)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """Every error answer (4xx and 503): what is wrong, in one sentence."""

    detail: str


class Rejected(BaseModel):
    """One event the receiver refused, by its index in the batch."""

    index: int
    error: str


class ReportResult(BaseModel):
    """Answer to ``POST /api/report``."""

    accepted: int
    duplicates: int
    rejected: list[Rejected]


class PriceIn(BaseModel):
    """Body of ``PUT /api/costs/{model}``: USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid")

    # strict: lax mode reads `false` as 0.0 and "1" as 1.0, which the schema forbids
    input: float = Field(ge=0, allow_inf_nan=False, strict=True)
    output: float = Field(ge=0, allow_inf_nan=False, strict=True)
    cached_input: float | None = Field(default=None, ge=0, allow_inf_nan=False, strict=True)
    total: float | None = Field(default=None, ge=0, allow_inf_nan=False, strict=True)


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
