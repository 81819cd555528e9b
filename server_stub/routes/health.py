"""``GET /health`` and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from .. import errors
from ..auth import AuthError, is_loopback
from ..metrics import render
from ..schemas import Health
from .deps import ReadConn, check_auth, receiver

router = APIRouter()


@router.get("/health", response_model=Health, responses=errors.responses(503))
def health(request: Request, conn: ReadConn) -> Any:
    """Liveness and store reachability (no auth): 200 ``{"status": "ok", ...}``, or
    503 with ``detail`` saying why events cannot be stored (reads still work)."""
    rx = receiver(request)
    conn.execute(text("SELECT 1"))
    if rx.store_problem:
        return JSONResponse({"status": "read_only", "detail": rx.store_problem}, status_code=503)
    return {"status": "ok", "db": rx.db.store.name, "cost_rows": len(rx.costs)}


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses=errors.responses(*errors.AUTHENTICATED, 503),
)
def metrics(request: Request) -> PlainTextResponse:
    """Ingest counters and latency histogram; loopback, or any valid API key."""
    rx = receiver(request)
    if not is_loopback(request.client.host if request.client else None):
        try:
            check_auth(rx, request)
        except AuthError as exc:
            raise HTTPException(exc.status, exc.message) from exc
    rx.metrics.flush_now(rx.db.write)
    with rx.db.read.connect() as conn:
        text_out = render(conn)
    return PlainTextResponse(text_out, media_type="text/plain; version=0.0.4; charset=utf-8")
