"""OTLP/HTTP encodings: request bodies in, ``ExportTraceServiceResponse`` and
``google.rpc.Status`` out, in protobuf or JSON as the request was.

OTLP's JSON is proto3's JSON mapping with two differences (OTLP specification,
"JSON Protobuf Encoding"): trace and span ids are hex strings, not base64, and
enums are integers. Ids are turned into what the protobuf parser expects, so
one mapper (:mod:`.otlp_map`) reads both encodings; an id that is not valid hex
becomes empty, and the span is then refused alone.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .ingest import BodyError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ID_LENGTHS = {"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8,
               "parentSpanId": 8, "parent_span_id": 8}


def media_type(content_type: str | None) -> str | None:
    """``PROTOBUF`` or ``JSON`` for a ``Content-Type`` header, None if neither."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in (PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if kind == JSON:
        return JSON
    return None


def decode(data: bytes, kind: str) -> ExportTraceServiceRequest:
    """The export request in ``data``, or :class:`BodyError` (400) saying what is wrong."""
    request = ExportTraceServiceRequest()
    if kind == PROTOBUF:
        try:
            request.ParseFromString(data)
        except DecodeError as exc:
            raise BodyError(400, f"body is not an OTLP ExportTraceServiceRequest: {exc}") from exc
        return request
    try:
        body = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BodyError(400, "body must be a JSON object like {\"resourceSpans\": [...]}")
    _hex_ids_to_base64(body)
    try:
        json_format.ParseDict(body, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BodyError(400, f"body is not an OTLP ExportTraceServiceRequest: {exc}") from exc
    return request


def _hex_ids_to_base64(body: dict[str, Any]) -> None:
    for resource_spans in _list(body, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            for span in _list(scope_spans, "spans"):
                _fix_ids(span)
                for link in _list(span, "links"):
                    _fix_ids(link)


def _list(obj: Any, *keys: str) -> list[Any]:
    if not isinstance(obj, dict):
        return []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return []


def _fix_ids(obj: Any) -> None:
    if not isinstance(obj, dict):
        return
    for key, size in _ID_LENGTHS.items():
        value = obj.get(key)
        if not isinstance(value, str):
            continue
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = b""
        if len(raw) != size:
            raw = b""
        obj[key] = base64.b64encode(raw).decode("ascii")


def response(kind: str, rejected: int, message: str) -> bytes:
    """An ``ExportTraceServiceResponse`` (partial success only when spans were refused)."""
    answer = ExportTraceServiceResponse()
    if rejected:
        answer.partial_success.rejected_spans = rejected
        answer.partial_success.error_message = message
    if kind == PROTOBUF:
        data: bytes = answer.SerializeToString()
        return data
    return json.dumps(json_format.MessageToDict(answer)).encode()


def status(kind: str | None, code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` (the OTLP/HTTP error body); ``code`` is a gRPC code.

    Encoded by hand (field 1 ``code``, field 2 ``message``): the message type lives
    in googleapis-common-protos, a package for two fields."""
    if kind != PROTOBUF:
        return json.dumps({"code": code, "message": message}).encode()
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14}
"""HTTP status → gRPC code in the error body (INVALID_ARGUMENT, UNAUTHENTICATED, ...)."""
