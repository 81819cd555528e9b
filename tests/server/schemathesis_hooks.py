"""Schemathesis hooks for the receiver's contract run (CI's `.ci/run` and
tests/server/test_openapi_contract.py): the two rules of a listing that a JSON
Schema cannot state.

- ``cursor`` is opaque: only a ``next_cursor`` the server issued is valid (a
  forged one is a 422, tested in test_errors.py), so a generated cursor that the
  schema allows is dropped; one the schema forbids is kept, and must be refused.
- A range whose low end is above its high end is a 422 ("nothing can match"), so
  of such a pair of valid values only the low end is kept.
- ``/api/compare`` takes ``baseline`` and ``candidate``, or ``around`` (and
  ``window`` or ``from``/``to``, not both): a valid value that breaks this is dropped,
  and a missing side is filled in.
- A dashboard window (``/api/stats/*``) must run forwards and span at most 400
  days (``to`` defaults to now, ``from`` to 24 h before ``to``): valid times that
  break this are dropped.

``before_call`` runs in every phase. It only removes values the schema allows,
so a case schemathesis generated as invalid stays invalid.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

NUMBER_RANGES = (("min_latency_s", "max_latency_s"), ("min_cost", "max_cost"))
MAX_WINDOW = timedelta(days=400)


def _number(value: Any) -> float | None:
    try:
        return float(value) if isinstance(value, str | int | float) else None
    except ValueError:
        return None


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _inverted(query: dict[str, Any], low: str, high: str, parse: Any) -> bool:
    a, b = parse(query.get(low)), parse(query.get(high))
    try:
        return a is not None and b is not None and a > b
    except TypeError:  # naive against aware: leave it to the server
        return False


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    query = case.query
    if not isinstance(query, dict):
        return
    cursor = query.get("cursor")
    if isinstance(cursor, str) and cursor:
        del query["cursor"]
    for low, high in NUMBER_RANGES:
        if _inverted(query, low, high, _number):
            del query[high]
    if _inverted(query, "from", "to", _time):
        del query["to"]
    path = str(getattr(case, "path", ""))
    if path.startswith("/api/stats/"):
        _fit_window(query)
    if path == "/api/compare":
        _fit_compare(query)


def _given(query: dict[str, Any], name: str) -> bool:
    value = query.get(name)
    return isinstance(value, str) and value.strip() != ""


def _fit_compare(query: dict[str, Any]) -> None:
    """A compare names its sides one way: ``baseline`` and ``candidate`` (with
    ``window`` or ``from``/``to``), or ``around`` a change, never both."""
    if _given(query, "around") and any(k in query for k in ("baseline", "candidate", "from", "to")):
        del query["around"]
    if "around" not in query:
        query.setdefault("baseline", "v1")
        query.setdefault("candidate", "v2")
    if _given(query, "window") and ("from" in query or "to" in query):
        del query["window"]


def _fit_window(query: dict[str, Any]) -> None:
    given = [name for name in ("from", "to") if name in query]
    times = {name: _time(query[name]) for name in given}
    if any(t is None or t.tzinfo is None for t in times.values()):
        return  # an invalid value: the server must refuse it
    high = times.get("to") or datetime.now(UTC)
    low = times.get("from") or high - timedelta(days=1)
    if not timedelta(0) <= high - low <= MAX_WINDOW:
        for name in given:
            del query[name]
