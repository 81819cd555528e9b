"""The read client: :class:`Client` (sync) and :class:`AsyncClient`, one wire.

Both build the same :class:`Call` for each method (path, query, body) and parse
the same models from :mod:`observatory.api_models`; only the sending differs.
Reads retry transient failures (connection errors, timeouts, 429/502/503/504);
writes (feedback, save) retry only when the connection could not be made, and
carry an ``event_id`` so the receiver drops a copy it already has.

    with observatory.Client() as client:
        for run in client.runs(status="error", from_=datetime(2026, 5, 1)):
            print(run.name, run.latency_s)
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, Self, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from . import api_models as m
from ._config import Config, env_var
from ._read_errors import InvalidRequest, ObservatoryError, error_for

DEFAULT_TIMEOUT = 30.0
"""Seconds per request (connect, and between two reads of a streamed answer)."""
DEFAULT_RETRIES = 2
"""Extra attempts after a transient failure."""
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
"""The receiver's largest page."""
_RETRY_STATUS = frozenset({429, 502, 503, 504})
_BACKOFF_S = 0.2
_BACKOFF_CAP_S = 5.0

Rating = Literal["positive", "negative"]


class RunFilters(TypedDict, total=False):
    """Every filter of ``GET /api/run/``; ``from_`` is the query's ``from``.

    Times are datetimes (naive means UTC, as on the receiver) or ISO-8601 text;
    latencies are seconds, costs USD (including the run's subtree)."""

    status: Literal["started", "success", "error"]
    type: Literal["agent", "llm", "tool", "span"]
    model: str
    agent: str
    user_email: str
    app_id: str
    release: str
    parent_run_id: str
    trace_id: str
    """Every run of one trace: 32 hex digits, as in ``traceparent``."""
    min_latency_s: float
    max_latency_s: float
    min_cost: float
    max_cost: float
    tags: str | Sequence[str]
    """Runs with any of these tags."""
    from_: datetime | str
    """Start time at or after."""
    to: datetime | str
    """Start time at or before."""


FILTER_NAMES = frozenset(RunFilters.__annotations__)


class CompareOptions(TypedDict, total=False):
    """Every option of ``GET /api/compare`` besides the releases; ``from_`` is ``from``.

    Give ``window`` (``"7d"``: the last stretch until now) or ``from_``/``to``; the
    thresholds make a policy (without any, a ``regressed`` metric fails it)."""

    agent: str
    type: Literal["agent", "llm", "tool"]
    """Compare runs of this type instead of root runs."""
    from_: datetime | str
    to: datetime | str
    window: str
    """``30m``, ``24h``, ``7d``, ``2w``; with ``around``, the width of each side."""
    seed: int
    """The bootstrap's seed (the same data and seed give the same intervals)."""
    max_cost_increase_pct: float
    max_p95_latency_increase_pct: float
    max_error_rate_increase_pp: float
    min_runs: int


COMPARE_OPTIONS = frozenset(CompareOptions.__annotations__)


def _wire_name(name: str) -> str:
    return name[:-1] if name.endswith("_") else name


def _wire_value(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat()
    if isinstance(value, bool):
        raise TypeError("a filter value cannot be a boolean")
    return str(value)


def run_query(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters of a run listing or export (``None`` values left out)."""
    unknown = sorted(set(filters) - FILTER_NAMES)
    if unknown:
        raise TypeError(
            f"unknown run filter(s) {', '.join(unknown)}; filters are {', '.join(sorted(FILTER_NAMES))}"
        )
    params: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None:
            continue
        if name == "tags" and not isinstance(value, str):
            params.extend(("tags", _wire_value(tag)) for tag in value)
        else:
            params.append((_wire_name(name), _wire_value(value)))
    return params


def _options(options: Mapping[str, Any], known: frozenset[str], what: str) -> list[tuple[str, str]]:
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"unknown {what} option(s) {', '.join(unknown)}; options are {', '.join(sorted(known))}"
        )
    return [(_wire_name(k), _wire_value(v)) for k, v in options.items() if v is not None]


def _page_size(size: int) -> str:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {size!r}")
    return str(size)


def _segment(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, got {value!r}")
    return quote(value, safe="")


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Call:
    """One request, as both clients send it."""

    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    body: dict[str, Any] | None = None

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


def _event(name: str, **fields: Any) -> Call:
    event = {"name": name, "event_id": uuid.uuid4().hex, **fields}
    return Call("POST", "/api/report", body={"events": [{k: v for k, v in event.items() if v is not None}]})


def _check_report(result: m.ReportResult) -> None:
    if result.rejected:
        raise InvalidRequest(result.rejected[0].error, 200)


def _parse(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda resp: model.model_validate_json(resp.content)


Target = str | os.PathLike[str] | BinaryIO
"""Where an export goes: a file name, or a binary file object (left open)."""


def _opened(target: Target) -> AbstractContextManager[BinaryIO]:
    if isinstance(target, str | os.PathLike):
        return Path(target).open("wb")
    return nullcontext(target)


class _Base:
    """Settings and the request plans shared by both clients."""

    def __init__(
        self,
        api_url: str | None,
        api_key: str | None,
        timeout: float,
        max_retries: int,
    ) -> None:
        url = api_url or os.environ.get(env_var("api_url")) or Config.api_url
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https://, got {url!r}")
        self.api_url = url.rstrip("/")
        self.api_key = api_key or os.environ.get(env_var("api_key")) or None
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries!r}")
        self.timeout = timeout
        self.max_retries = max_retries

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _url(self, path: str) -> str:
        return self.api_url + path

    def _should_retry(self, call: Call, exc: httpx.TransportError | None, status: int | None) -> bool:
        if exc is not None:
            return call.is_read or isinstance(exc, httpx.ConnectError)
        return call.is_read and status in _RETRY_STATUS

    @staticmethod
    def _backoff(attempt: int) -> float:
        return float(min(_BACKOFF_CAP_S, _BACKOFF_S * 2**attempt))

    def _unreachable(self, exc: httpx.TransportError) -> ObservatoryError:
        return ObservatoryError(f"cannot reach the receiver at {self.api_url}: {exc!r}")

    # -- the calls (one definition for both clients) -----------------------------------

    @staticmethod
    def _runs_page(filters: RunFilters, page_size: int, cursor: str | None) -> Call:
        params = [*run_query(filters), ("limit", _page_size(page_size))]
        return Call("GET", "/api/run/", params + ([("cursor", cursor)] if cursor else []))

    @staticmethod
    def _threads_page(
        agent: str | None, user_email: str | None, page_size: int, cursor: str | None
    ) -> Call:
        params = [("limit", _page_size(page_size))]
        params += [(k, v) for k, v in (("agent", agent), ("user_email", user_email)) if v]
        return Call("GET", "/api/threads", params + ([("cursor", cursor)] if cursor else []))

    @staticmethod
    def _export(filters: RunFilters) -> Call:
        return Call("GET", "/api/run/export", run_query(filters))

    @staticmethod
    def _feedback(
        run_id: str | None, message_id: str | None, rating: Rating, comment: str | None
    ) -> Call:
        if run_id is None and message_id is None:
            raise ValueError("add_feedback needs run_id= or message_id=")
        return _event(
            "feedback", run_id=run_id, message_id=message_id, rating=rating, comment=comment
        )

    @staticmethod
    def _compare(
        baseline: str | None, candidate: str | None, around: str | None, options: CompareOptions
    ) -> Call:
        if around is None and (baseline is None or candidate is None):
            raise ValueError("compare needs baseline and candidate, or around=REF")
        sides = [(k, v) for k, v in (("baseline", baseline), ("candidate", candidate),
                                     ("around", around)) if v is not None]
        return Call("GET", "/api/compare", sides + _options(options, COMPARE_OPTIONS, "compare"))

    @staticmethod
    def _releases(agent: str | None) -> Call:
        return Call("GET", "/api/releases", [("agent", agent)] if agent is not None else [])

    @staticmethod
    def _changes(
        from_: datetime | str | None,
        to: datetime | str | None,
        kind: m.ChangeKind | None,
        ref: str | None,
        limit: int | None,
    ) -> Call:
        given = {"from": from_, "to": to, "kind": kind, "ref": ref, "limit": limit}
        params = [(k, _wire_value(v)) for k, v in given.items() if v is not None]
        return Call("GET", "/api/changes", params)

    @staticmethod
    def _add_change(kind: m.ChangeKind, ref: str, summary: str, at: datetime | str | None) -> Call:
        body: dict[str, Any] = {"kind": kind, "ref": ref, "summary": summary}
        if at is not None:
            body["at"] = _wire_value(at)
        return Call("POST", "/api/changes", body=body)


class Client(_Base):
    """Read runs, threads and costs from a receiver; add feedback; keep runs.

    ``api_url``/``api_key`` default to ``OBSERVATORY_API_URL``/``OBSERVATORY_API_KEY``.
    ``http_client`` is used as given (proxies, certificates) and not closed by
    :meth:`close`. Errors are :class:`~observatory.ObservatoryError` subclasses."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(api_url, api_key, timeout, max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the connection pool (not an injected ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        """The answer (status 2xx, body unread when ``stream``), after retries."""
        for attempt in range(1 + self.max_retries):
            last = attempt == self.max_retries
            request = self._http.build_request(
                call.method, self._url(call.path), params=tuple(call.params), json=call.body,
                headers=self._headers(),
            )
            try:
                resp = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if last or not self._should_retry(call, exc, None):
                    raise self._unreachable(exc) from exc
                time.sleep(self._backoff(attempt))
                continue
            if resp.is_success:
                return resp
            body = resp.read()
            resp.close()
            if last or not self._should_retry(call, None, resp.status_code):
                raise error_for(resp.status_code, body)
            time.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, call: Call, parse: Callable[[httpx.Response], T]) -> T:
        return parse(self._send(call))

    def runs(self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Unpack[RunFilters]) -> Iterator[m.Run]:
        """Every matching run, newest first, fetched ``page_size`` (≤ 1000) at a time."""
        first = self._runs_page(filters, page_size, None)  # bad arguments raise here, not later
        return self._pages(first, lambda c: self._runs_page(filters, page_size, c), m.RunPage, "runs")

    def threads(
        self,
        *,
        agent: str | None = None,
        user_email: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[m.Thread]:
        """Every conversation, most recently active first, ``page_size`` at a time."""
        first = self._threads_page(agent, user_email, page_size, None)
        return self._pages(
            first, lambda c: self._threads_page(agent, user_email, page_size, c), m.ThreadPage,
            "threads",
        )

    def _pages(
        self, call: Call, next_call: Callable[[str], Call], model: type[Any], items: str
    ) -> Iterator[Any]:
        while True:
            page = self._get(call, _parse(model))
            yield from getattr(page, items)
            if page.next_cursor is None:
                return
            call = next_call(page.next_cursor)

    def run(self, run_id: str) -> m.RunDetail:
        """One run with its events, direct children and feedback (:class:`NotFound` if unknown)."""
        return self._get(Call("GET", f"/api/run/{_segment(run_id)}"), _parse(m.RunDetail))

    def thread(self, thread_id: str) -> m.ThreadDetail:
        """A conversation's messages in time order, each with its feedback."""
        return self._get(Call("GET", f"/api/threads/{_segment(thread_id)}"), _parse(m.ThreadDetail))

    def export(self, **filters: Unpack[RunFilters]) -> Iterator[m.Run]:
        """Every matching run, newest first, streamed from ``GET /api/run/export``."""
        call = self._export(filters)
        return self._export_runs(call)

    def _export_runs(self, call: Call) -> Iterator[m.Run]:
        resp = self._send(call, stream=True)
        try:
            for line in resp.iter_lines():
                if line:
                    yield m.Run.model_validate_json(line)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            resp.close()

    def export_to(
        self,
        path: Target,
        *,
        on_progress: Callable[[int], None] | None = None,
        **filters: Unpack[RunFilters],
    ) -> int:
        """Write the export as NDJSON to ``path`` (a file name, or a binary file
        object left open); the number of runs written. ``on_progress(count)`` is
        called as chunks arrive."""
        resp = self._send(self._export(filters), stream=True)
        count = 0
        try:
            with _opened(path) as out:
                for chunk in resp.iter_bytes():
                    out.write(chunk)
                    count += chunk.count(b"\n")
                    if on_progress is not None:
                        on_progress(count)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            resp.close()
        return count

    def add_feedback(
        self,
        run_id: str | None = None,
        message_id: str | None = None,
        *,
        rating: Rating,
        comment: str | None = None,
    ) -> None:
        """Rate a run or a chat message (``"positive"`` or ``"negative"``)."""
        _check_report(self._get(self._feedback(run_id, message_id, rating, comment),
                                _parse(m.ReportResult)))

    def save(self, run_id: str) -> None:
        """Keep a run (and its subtree) past retention."""
        _check_report(self._get(_event("saved", run_id=run_id), _parse(m.ReportResult)))

    def compare(
        self,
        baseline: str | None = None,
        candidate: str | None = None,
        *,
        around: str | None = None,
        **options: Unpack[CompareOptions],
    ) -> m.CompareResult:
        """Compare two releases (or the windows before and after the change ``around``
        names): five metrics with intervals, Holm-adjusted p-values, verdicts and the policy."""
        call = self._compare(baseline, candidate, around, options)
        return self._get(call, _parse(m.CompareResult))

    def releases(self, *, agent: str | None = None) -> list[m.Release]:
        """The releases seen, per agent, most recently seen first."""
        return self._get(self._releases(agent), _parse(m.ReleaseList)).releases

    def changes(
        self,
        *,
        from_: datetime | str | None = None,
        to: datetime | str | None = None,
        kind: m.ChangeKind | None = None,
        ref: str | None = None,
        limit: int | None = None,
    ) -> list[m.Change]:
        """Recorded changes, oldest first (``from_``/``to`` inclusive)."""
        return self._get(self._changes(from_, to, kind, ref, limit), _parse(m.ChangeList)).changes

    def add_change(
        self, kind: m.ChangeKind, ref: str, summary: str = "", *, at: datetime | str | None = None
    ) -> m.Change:
        """Record a change (``at`` defaults to the receiver's now; naive means UTC)."""
        return self._get(self._add_change(kind, ref, summary, at), _parse(m.Change))

    def costs(self) -> list[m.Price]:
        """The cost table, USD per 1M tokens."""
        return self._get(Call("GET", "/api/costs"), _parse(m.CostList)).costs

    def health(self) -> m.Health:
        """Whether the receiver and its store answer (no API key needed)."""
        return self._get(Call("GET", "/health"), _parse(m.Health))


class AsyncClient(_Base):
    """:class:`Client` with coroutines and async iterators: the same calls, the same wire."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(api_url, api_key, timeout, max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        """Close the connection pool (not an injected ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        for attempt in range(1 + self.max_retries):
            last = attempt == self.max_retries
            request = self._http.build_request(
                call.method, self._url(call.path), params=tuple(call.params), json=call.body,
                headers=self._headers(),
            )
            try:
                resp = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if last or not self._should_retry(call, exc, None):
                    raise self._unreachable(exc) from exc
                await asyncio.sleep(self._backoff(attempt))
                continue
            if resp.is_success:
                return resp
            body = await resp.aread()
            await resp.aclose()
            if last or not self._should_retry(call, None, resp.status_code):
                raise error_for(resp.status_code, body)
            await asyncio.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(self, call: Call, parse: Callable[[httpx.Response], T]) -> T:
        return parse(await self._send(call))

    def runs(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Unpack[RunFilters]
    ) -> AsyncIterator[m.Run]:
        """Every matching run, newest first (``async for``)."""
        first = self._runs_page(filters, page_size, None)
        return self._pages(first, lambda c: self._runs_page(filters, page_size, c), m.RunPage, "runs")

    def threads(
        self,
        *,
        agent: str | None = None,
        user_email: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[m.Thread]:
        """Every conversation, most recently active first (``async for``)."""
        first = self._threads_page(agent, user_email, page_size, None)
        return self._pages(
            first, lambda c: self._threads_page(agent, user_email, page_size, c), m.ThreadPage,
            "threads",
        )

    async def _pages(
        self, call: Call, next_call: Callable[[str], Call], model: type[Any], items: str
    ) -> AsyncIterator[Any]:
        while True:
            page = await self._get(call, _parse(model))
            for item in getattr(page, items):
                yield item
            if page.next_cursor is None:
                return
            call = next_call(page.next_cursor)

    async def run(self, run_id: str) -> m.RunDetail:
        """One run with its events, direct children and feedback."""
        return await self._get(Call("GET", f"/api/run/{_segment(run_id)}"), _parse(m.RunDetail))

    async def thread(self, thread_id: str) -> m.ThreadDetail:
        """A conversation's messages in time order, each with its feedback."""
        return await self._get(
            Call("GET", f"/api/threads/{_segment(thread_id)}"), _parse(m.ThreadDetail)
        )

    def export(self, **filters: Unpack[RunFilters]) -> AsyncIterator[m.Run]:
        """Every matching run, newest first, streamed (``async for``)."""
        return self._export_runs(self._export(filters))

    async def _export_runs(self, call: Call) -> AsyncIterator[m.Run]:
        resp = await self._send(call, stream=True)
        try:
            async for line in resp.aiter_lines():
                if line:
                    yield m.Run.model_validate_json(line)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            await resp.aclose()

    async def export_to(
        self,
        path: Target,
        *,
        on_progress: Callable[[int], None] | None = None,
        **filters: Unpack[RunFilters],
    ) -> int:
        """Write the export as NDJSON to ``path`` (a file name, or a binary file
        object left open); the number of runs written."""
        resp = await self._send(self._export(filters), stream=True)
        count = 0
        try:
            with _opened(path) as out:
                async for chunk in resp.aiter_bytes():
                    out.write(chunk)
                    count += chunk.count(b"\n")
                    if on_progress is not None:
                        on_progress(count)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            await resp.aclose()
        return count

    async def add_feedback(
        self,
        run_id: str | None = None,
        message_id: str | None = None,
        *,
        rating: Rating,
        comment: str | None = None,
    ) -> None:
        """Rate a run or a chat message (``"positive"`` or ``"negative"``)."""
        _check_report(await self._get(self._feedback(run_id, message_id, rating, comment),
                                      _parse(m.ReportResult)))

    async def save(self, run_id: str) -> None:
        """Keep a run (and its subtree) past retention."""
        _check_report(await self._get(_event("saved", run_id=run_id), _parse(m.ReportResult)))

    async def compare(
        self,
        baseline: str | None = None,
        candidate: str | None = None,
        *,
        around: str | None = None,
        **options: Unpack[CompareOptions],
    ) -> m.CompareResult:
        """Compare two releases (or the windows around a change), as :meth:`Client.compare`."""
        call = self._compare(baseline, candidate, around, options)
        return await self._get(call, _parse(m.CompareResult))

    async def releases(self, *, agent: str | None = None) -> list[m.Release]:
        """The releases seen, per agent, most recently seen first."""
        return (await self._get(self._releases(agent), _parse(m.ReleaseList))).releases

    async def changes(
        self,
        *,
        from_: datetime | str | None = None,
        to: datetime | str | None = None,
        kind: m.ChangeKind | None = None,
        ref: str | None = None,
        limit: int | None = None,
    ) -> list[m.Change]:
        """Recorded changes, oldest first (``from_``/``to`` inclusive)."""
        call = self._changes(from_, to, kind, ref, limit)
        return (await self._get(call, _parse(m.ChangeList))).changes

    async def add_change(
        self, kind: m.ChangeKind, ref: str, summary: str = "", *, at: datetime | str | None = None
    ) -> m.Change:
        """Record a change (``at`` defaults to the receiver's now; naive means UTC)."""
        return await self._get(self._add_change(kind, ref, summary, at), _parse(m.Change))

    async def costs(self) -> list[m.Price]:
        """The cost table, USD per 1M tokens."""
        return (await self._get(Call("GET", "/api/costs"), _parse(m.CostList))).costs

    async def health(self) -> m.Health:
        """Whether the receiver and its store answer (no API key needed)."""
        return await self._get(Call("GET", "/health"), _parse(m.Health))
