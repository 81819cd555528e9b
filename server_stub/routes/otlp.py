"""``POST /v1/traces``: OTLP/HTTP trace ingest (protobuf or JSON, gzip or not).

Spans become ordinary events (:mod:`..otlp_map`) and take the ``/api/report``
path: same auth, body limit, bounded decompression, validation, dedupe and
acknowledge-after-commit. The answer is in the request's encoding: an
``ExportTraceServiceResponse`` with a partial success counting refused spans,
or a ``google.rpc.Status`` for a refused request.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from .. import ingest, otlp_wire
from ..auth import AuthError, Principal
from ..ingest import BodyError, IngestResult, Prepared
from ..otlp_map import Mapped, map_request
from .deps import check_auth, receiver
from .report import _read_body

router = APIRouter()

MAX_REASONS = 5
"""Reasons quoted in a partial success's ``error_message`` (the count is exact)."""


def _prepare(
    data: bytes, encoding: str | None, kind: str, limit: int, who: Principal
) -> tuple[Mapped, Prepared]:
    request = otlp_wire.decode(ingest.decompress(data, encoding, limit), kind)
    mapped = map_request(request)
    return mapped, ingest.prepare(mapped.events, who, ingest.received_now_us())


def _refused_spans(mapped: Mapped, result: IngestResult) -> list[str]:
    reasons = list(mapped.rejected)
    for item in result.rejected:
        span = mapped.run_event_span.get(item["index"])
        if span is not None:
            reasons.append(f"span {span}: {item['error']}")
    return reasons


_SPAN_LIST = {"type": "array", "items": {"type": "object"}}
_REQUEST_BODY = {
    "required": True,
    "description": "An OTLP ExportTraceServiceRequest (gzip allowed: Content-Encoding: gzip)",
    "content": {
        "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "resourceSpans": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "resource": {"type": "object"},
                                "scopeSpans": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {"spans": _SPAN_LIST},
                                    },
                                },
                            },
                        },
                    }
                },
            }
        },
    },
}


@router.post(
    "/v1/traces",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={
        200: {"description": "ExportTraceServiceResponse (partial success counts refused spans)"},
        400: {"description": "not an OTLP trace export / bad gzip"},
        401: {"description": "missing, unknown or revoked API key"},
        413: {"description": "body larger than the limit (after decompression)"},
        415: {"description": "Content-Type other than application/x-protobuf or application/json"},
    },
)
async def traces(request: Request) -> Response:
    """Ingest an OTLP trace export; answers after its spans are committed."""
    rx = receiver(request)
    started = time.perf_counter()
    kind = otlp_wire.media_type(request.headers.get("content-type"))
    try:
        if kind is None:
            raise BodyError(
                415, "Content-Type must be application/x-protobuf or application/json"
            )
        who = await run_in_threadpool(check_auth, rx, request)
        data = await _read_body(request, rx.settings.max_body_bytes)
        mapped, batch = await run_in_threadpool(
            _prepare,
            data,
            request.headers.get("content-encoding"),
            kind,
            rx.settings.max_body_bytes,
            who,
        )
        result = await asyncio.wrap_future(rx.writer.submit(who, batch))
    except (AuthError, BodyError) as exc:
        rx.metrics.record_failure("client_error", time.perf_counter() - started)
        code = otlp_wire.GRPC_CODES.get(exc.status, 2)
        return Response(
            otlp_wire.status(kind, code, exc.message),
            status_code=exc.status,
            media_type=kind or otlp_wire.JSON,
        )
    except Exception:
        rx.metrics.record_failure("server_error", time.perf_counter() - started)
        raise
    refused = _refused_spans(mapped, result)
    rx.metrics.record_batch(
        result.accepted,
        result.duplicates,
        len(result.rejected) + len(mapped.rejected),
        result.runs_created,
        time.perf_counter() - started,
    )
    message = "; ".join(refused[:MAX_REASONS])
    if len(refused) > MAX_REASONS:
        message += f"; and {len(refused) - MAX_REASONS} more"
    return Response(
        otlp_wire.response(kind, len(refused), message), media_type=kind
    )
