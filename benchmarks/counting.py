"""Count the items in one request body, whatever SDK sent it.

Formats: Observatory ``{"events": [...]}``, PostHog ``{"batch": [...]}``,
LangSmith ``{"post": [...], "patch": [...]}`` or multipart ``post.<id>`` parts,
and OTLP traces (protobuf or JSON; Langfuse and OpenTelemetry) counted by span.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib

_MULTIPART_RUN = re.compile(rb'name="post\.[0-9a-fA-F-]+"')


def decode_body(body: bytes, encoding: str) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, zstd when installed)."""
    encoding = encoding.strip().lower()
    if encoding == "gzip" or body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "zstd":
        import zstandard  # only LangSmith sends it, and only when asked to

        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


def count_items(content_type: str, body: bytes) -> int:
    """Items (events, spans, runs) carried by one decoded request body."""
    content_type = content_type.lower()
    if "protobuf" in content_type:
        return count_otlp_spans(body)
    if "multipart" in content_type:
        return len(_MULTIPART_RUN.findall(body))
    try:
        doc = json.loads(body)
    except ValueError:
        return 0
    return _count_json(doc)


def _count_json(doc: object) -> int:
    if isinstance(doc, list):
        return len(doc)
    if not isinstance(doc, dict):
        return 0
    for key in ("events", "batch"):
        if isinstance(doc.get(key), list):
            return len(doc[key])
    if "post" in doc or "patch" in doc:
        return len(doc.get("post") or [])
    if "resourceSpans" in doc:
        return sum(
            len(scope.get("spans", []))
            for rs in doc["resourceSpans"]
            for scope in rs.get("scopeSpans", [])
        )
    return 1 if doc else 0


def count_otlp_spans(body: bytes) -> int:
    """Spans in an ``ExportTraceServiceRequest`` without a protobuf library.

    resource_spans = 1 → scope_spans = 2 → spans = 2: walk only those fields.
    """
    total = 0
    for rs in _fields(body, 1):
        for ss in _fields(rs, 2):
            total += sum(1 for _ in _fields(ss, 2))
    return total


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes, wanted: int):
    """Yield the payloads of length-delimited field ``wanted`` in ``buf``."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if number == wanted:
                yield buf[pos : pos + size]
            pos += size
        else:
            return
