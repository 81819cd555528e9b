"""``/api/costs``: the cost table (USD per 1M tokens) and recalculation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from .. import costs, errors
from ..auth import is_loopback
from ..schemas import CostList, PriceIn, PriceOut, RecalcResult
from .deps import Caller, ReadConn, WriteConn, receiver

router = APIRouter()


def _from_the_host(request: Request, who: Caller) -> None:
    """FastAPI dependency: refuse edits of the shared table from other machines (403),
    after the caller's key is checked and before a write transaction is opened.

    The cost table is one for the whole receiver: a key of one project must not
    change what another is charged. Edits come from the operator, on the
    receiver's host: ``observatory costs set``, or this API over loopback."""
    if not is_loopback(request.client.host if request.client else None):
        raise HTTPException(
            403,
            "the cost table is shared by every project on this receiver: change it from "
            "the receiver's host (`observatory costs set ...`, or this API over loopback)",
        )


_AUTH = errors.AUTHENTICATED

# the same rule in the schema and the check: one character that is not a blank
ModelName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=300,
        pattern="[^ \t\r\n]",
        description="model name, 1-300 characters, not only blanks",
    ),
]


@router.get("/api/costs", response_model=CostList, responses=errors.responses(*_AUTH))
def list_costs(who: Caller, conn: ReadConn) -> dict[str, Any]:
    """Every row of the cost table."""
    return {"costs": [p.as_dict() for p in costs.list_prices(conn)]}


@router.post(
    "/api/costs/recalc", response_model=RecalcResult, responses=errors.responses(*_AUTH, 503)
)
def recalc(request: Request, who: Caller, conn: WriteConn) -> dict[str, int]:
    """Recompute the stored costs of the caller's project with the current table."""
    rx = receiver(request)
    rx.db.store.lock_store(conn, exclusive=True)  # no ingest meanwhile
    rx.costs.refresh_if_changed(conn)
    return {"updated": costs.recalc(conn, rx.costs, who.project_id)}


@router.get(
    "/api/costs/{model:path}", response_model=PriceOut, responses=errors.responses(*_AUTH, 404)
)
def get_cost(model: str, request: Request, who: Caller, conn: ReadConn) -> dict[str, Any]:
    """The row a model name resolves to (exact, date-suffixed, provider-prefixed...)."""
    rx = receiver(request)
    rx.costs.refresh_if_changed(conn)
    price = rx.costs.resolve(model)
    if price is None:
        raise HTTPException(404, f"no cost row matches model {model!r}")
    return price.as_dict()


@router.put(
    "/api/costs/{model:path}",
    response_model=PriceOut,
    responses=errors.responses(400, *_AUTH, 404, 422, 503),
    dependencies=[Depends(_from_the_host)],
)
def put_cost(
    model: ModelName, body: PriceIn, request: Request, who: Caller, conn: WriteConn
) -> dict[str, Any]:
    """Create or replace a row (from the receiver's host only); stored costs change
    only after a recalc."""
    price = costs.Price(model, body.input, body.output, body.cached_input, body.total, "user")
    costs.set_price(conn, price)
    receiver(request).costs.load(conn)
    return price.as_dict()


@router.delete(
    "/api/costs/{model:path}",
    status_code=204,
    responses=errors.responses(*_AUTH, 404, 503),
    dependencies=[Depends(_from_the_host)],
)
def delete_cost(model: str, request: Request, who: Caller, conn: WriteConn) -> Response:
    """Delete a row (exact name; from the receiver's host only)."""
    if not costs.delete_price(conn, model):
        raise HTTPException(404, f"no cost row named {model!r}")
    receiver(request).costs.load(conn)
    return Response(status_code=204)
