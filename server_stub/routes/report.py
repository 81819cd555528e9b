"""``POST /api/report``: the ingest endpoint."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import errors, ingest
from ..auth import AuthError, Principal
from ..ingest import BodyError
from ..schemas import ReportResult
from .deps import check_auth, receiver

router = APIRouter()

_ERRORS = errors.responses(400, *errors.AUTHENTICATED, 413, 415, 503)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"body is larger than the {limit}-byte limit")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"body is larger than the {limit}-byte limit")
        parts.append(chunk)
    return b"".join(parts)


def _prepare(
    data: bytes, encoding: str | None, limit: int, who: Principal
) -> ingest.Prepared:
    raw = ingest.parse_body(ingest.decompress(data, encoding, limit))
    return ingest.prepare(raw, who, ingest.received_now_us())


@router.post("/api/report", response_model=ReportResult, responses=_ERRORS)
async def report(request: Request) -> JSONResponse:
    """Ingest a batch ``{"events": [...]}``; answers after the batch is committed."""
    rx = receiver(request)
    started = time.perf_counter()
    limit = rx.settings.max_body_bytes
    try:
        who = await run_in_threadpool(check_auth, rx, request)
        data = await _read_body(request, limit)
        batch = await run_in_threadpool(
            _prepare, data, request.headers.get("content-encoding"), limit, who
        )
        result = await asyncio.wrap_future(rx.writer.submit(who, batch))
    except (AuthError, BodyError) as exc:
        exc.__traceback__ = None  # its frames hold the body, in a cycle only a GC pass frees
        rx.metrics.record_failure("client_error", time.perf_counter() - started)
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    except Exception:
        rx.metrics.record_failure("server_error", time.perf_counter() - started)
        raise
    if result.accepted:  # events were written: whatever kept the store read-only is fixed
        rx.store_problem = None
    rx.metrics.record_batch(
        result.accepted,
        result.duplicates,
        len(result.rejected),
        result.runs_created,
        time.perf_counter() - started,
    )
    return JSONResponse(result.as_dict())
