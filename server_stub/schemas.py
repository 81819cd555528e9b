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
