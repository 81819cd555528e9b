"""``GET /api/run/export``: every run a filter matches, as NDJSON, in constant memory.

The answer streams one run per line (the shape of ``GET /api/run/``'s runs),
newest first. It is read a keyset page at a time, each page in its own short
read, so memory stays flat at any count and no read transaction is held open
for the whole transfer (SQLite could not checkpoint its WAL meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from .. import errors, queries
from ..db import Database
from ..folding import dumps
from .deps import Caller, receiver
from .runs import _PARAMS

router = APIRouter()
_FILTER_PARAMS = [p for p in _PARAMS if p["name"] in queries.FILTERS]  # the listing's, minus paging

PAGE = 1000
"""Runs per read: a page is ~1-2 MB of rows at most, and 1,000 reads per million runs."""


try:  # stored JSON text is written as is, not decoded and encoded again (~2x faster)
    from orjson import Fragment as _Fragment
    from orjson import dumps as _dumps

    def _raw(text: str | None) -> Any:
        return _Fragment(text) if text else None

    def _run_line(row: Any) -> bytes:
        return _dumps(queries.run_out(row, loads=_raw)) + b"\n"

except ImportError:  # pragma: no cover - orjson is in the server extra

    def _run_line(row: Any) -> bytes:
        return dumps(queries.run_out(row)).encode() + b"\n"


def export_lines(db: Database, project: int, filters: Mapping[str, list[str]]) -> Iterator[bytes]:
    """NDJSON chunks (one page of runs each) until the filter is exhausted."""
    cursor: str | None = None
    while True:
        params = {**filters, "limit": [str(PAGE)], **({"cursor": [cursor]} if cursor else {})}
        with db.read.connect() as conn:
            page = queries.list_runs(conn, project, params, out=_run_line)
        if page["runs"]:
            yield b"".join(page["runs"])
        cursor = page["next_cursor"]
        if cursor is None:
            return


@router.get(
    "/api/run/export",
    response_class=StreamingResponse,
    openapi_extra={"parameters": _FILTER_PARAMS},
    responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "one run per line"},
        **errors.responses(*errors.AUTHENTICATED, 422),
    },
)
def export_runs(request: Request, who: Caller) -> StreamingResponse:
    """Every run of the caller's project that the filters match (the filters of
    ``GET /api/run/``, no ``limit``/``cursor``), newest first, one JSON object per line."""
    params = {key: request.query_params.getlist(key) for key in request.query_params.keys()}
    paging = sorted(set(params) & set(queries.PAGING))
    if paging:
        raise HTTPException(422, f"export takes filters only, not {', '.join(paging)}")
    try:
        queries.parse_run_query(params)  # a bad filter is a 422 before the stream starts
    except queries.QueryError as exc:
        raise HTTPException(422, str(exc)) from exc
    return StreamingResponse(
        export_lines(receiver(request).db, who.project_id, params),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="runs.ndjson"'},
    )
