"""Model prices (USD per 1M tokens), name resolution, and the cost rule.

The cost rule is the seeds' rule, with the reason kept:

* ``not_llm``: only ``type=llm`` runs are priced (an agent run carrying tokens is not);
* ``missing_tokens``: neither ``prompt_tokens`` + ``completion_tokens`` nor ``total_tokens``;
* ``missing_model``: no ``model``;
* ``unknown_model``: the model resolves to no row of the cost table;
* ``no_total_price``: only ``total_tokens`` was sent and the row has no total price;
* ``ok``: priced.

Anything but ``ok`` means ``cost = 0``. Prices live in memory (a dict), reloaded
when the table's version changes, so pricing an event is a dict lookup; the
genai-prices matcher is consulted at most once per distinct unknown name.

Seeding (first start only): every model of genai-prices' bundled snapshot that
has a per-token input or output price becomes a row named by its genai-prices
id, with the prices of the provider genai-prices itself picks for that id. The
prices are those in force now (conditional prices); a tiered price contributes
its base tier, i.e. the price below the first threshold (long prompts above it,
e.g. > 200k tokens, are under-priced; edit the row if that matters to you).
Cache-read prices become ``cached_input``. genai-prices has no total-token price,
so seeded rows have none: total-only usage needs a row with ``--total``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from . import models, rollup
from .db import get_meta, now_us, set_meta

OK = "ok"
NOT_LLM = "not_llm"
MISSING_TOKENS = "missing_tokens"
MISSING_MODEL = "missing_model"
UNKNOWN_MODEL = "unknown_model"
NO_TOTAL_PRICE = "no_total_price"
COST_STATUSES = (OK, NOT_LLM, MISSING_TOKENS, MISSING_MODEL, UNKNOWN_MODEL, NO_TOTAL_PRICE)

VERSION_KEY = "costs_version"
SEEDED_KEY = "costs_seeded"
_DATE_SUFFIX = re.compile(r"(?:[-@_](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}))$")
_MAX_CACHE = 10_000


@dataclass(frozen=True)
class Price:
    """One row of the cost table, USD per 1M tokens."""

    model: str
    input: float
    output: float
    cached_input: float | None = None
    total: float | None = None
    source: str = "user"

    def as_dict(self) -> dict[str, Any]:
        """The row as the API shows it."""
        return {
            "model": self.model,
            "input": self.input,
            "output": self.output,
            "cached_input": self.cached_input,
            "total": self.total,
            "source": self.source,
        }


def compute_cost(
    price: Price | None,
    run_type: str | None,
    model: str | None,
    prompt: int | None,
    completion: int | None,
    total: int | None,
    cached: int | None = None,
) -> tuple[float, str]:
    """``(cost, cost_status)`` for one run, given its resolved price row (or None)."""
    if run_type != "llm":
        return 0.0, NOT_LLM
    split = prompt is not None and completion is not None
    if not split and total is None:
        return 0.0, MISSING_TOKENS
    if not model:
        return 0.0, MISSING_MODEL
    if price is None:
        return 0.0, UNKNOWN_MODEL
    if split:
        assert prompt is not None and completion is not None
        hit = min(cached or 0, prompt)
        cached_rate = price.cached_input if price.cached_input is not None else price.input
        usd = (prompt - hit) * price.input + hit * cached_rate + completion * price.output
        return usd / 1_000_000, OK
    if price.total is None:
        return 0.0, NO_TOTAL_PRICE
    assert total is not None
    return total * price.total / 1_000_000, OK


class CostTable:
    """The cost table in memory, with cached name resolution. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, Price] = {}
        self._lower: dict[str, str] = {}
        self._resolved: dict[str, str | None] = {}
        self.version: str | None = None

    def load(self, conn: Connection) -> None:
        """Read every row and the table version."""
        rows = {p.model: p for p in list_prices(conn)}
        version = get_meta(conn, VERSION_KEY)
        with self._lock:
            self._rows = rows
            self._lower = {name.lower(): name for name in rows}
            self._resolved = {}
            self.version = version

    def refresh_if_changed(self, conn: Connection) -> bool:
        """Reload when another process or request edited the table; True if reloaded."""
        if get_meta(conn, VERSION_KEY) != self.version:
            self.load(conn)
            return True
        return False

    def __len__(self) -> int:
        return len(self._rows)

    def resolve(self, name: str | None) -> Price | None:
        """The row for a model name as sent (exact, then prefix/date-stripped, then
        genai-prices' own matcher mapped back to a row of this table)."""
        if not name:
            return None
        rows = self._rows
        hit = rows.get(name)
        if hit is not None:
            return hit
        cached = self._resolved.get(name, "")
        if cached != "":
            return rows.get(cached) if cached is not None else None
        row_name = self._resolve_slow(name)
        with self._lock:
            if len(self._resolved) >= _MAX_CACHE:
                self._resolved.clear()
            self._resolved[name] = row_name
        return rows.get(row_name) if row_name is not None else None

    def _exact(self, name: str) -> str | None:
        if name in self._rows:
            return name
        return self._lower.get(name.lower())

    def _resolve_slow(self, name: str) -> str | None:
        candidates = [name]
        if "/" in name:
            candidates.append(name.rsplit("/", 1)[1])
        for cand in list(candidates):
            stripped = _DATE_SUFFIX.sub("", cand)
            if stripped != cand:
                candidates.append(stripped)
        for cand in candidates:
            found = self._exact(cand)
            if found is not None:
                return found
        for cand in candidates:
            matched = _genai_match(cand)
            if matched is not None:
                found = self._exact(matched)
                if found is not None:
                    return found
        return None


def _genai_match(name: str) -> str | None:
    """genai-prices' model id for a name, or None (only called on cache misses)."""
    from genai_prices import data_snapshot

    try:
        _provider, model = data_snapshot.get_snapshot().find_provider_model(name, None, None, None)
    except LookupError:
        return None
    return str(model.id)


# -- the table in the database -------------------------------------------------


def _row_to_price(row: Any) -> Price:
    return Price(
        model=row.model,
        input=row.input_per_mtok,
        output=row.output_per_mtok,
        cached_input=row.cached_input_per_mtok,
        total=row.total_per_mtok,
        source=row.source,
    )


def list_prices(conn: Connection) -> list[Price]:
    """Every row, sorted by model name."""
    t = models.model_costs
    return [_row_to_price(r) for r in conn.execute(select(t).order_by(t.c.model))]


def _bump_version(conn: Connection) -> None:
    set_meta(conn, VERSION_KEY, str(now_us()))


def set_price(conn: Connection, price: Price) -> None:
    """Insert or replace one row; loaded by every receiver on its next batch."""
    for label, value in (
        ("input", price.input),
        ("output", price.output),
        ("cached_input", price.cached_input),
        ("total", price.total),
    ):
        if value is not None and (value < 0 or value != value):
            raise ValueError(f"{label} price must be a non-negative number, got {value}")
    t = models.model_costs
    values = {
        "input_per_mtok": price.input,
        "output_per_mtok": price.output,
        "cached_input_per_mtok": price.cached_input,
        "total_per_mtok": price.total,
        "source": price.source,
        "updated_at": now_us(),
    }
    done = conn.execute(update(t).where(t.c.model == price.model).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(t).values(model=price.model, **values))
    _bump_version(conn)


def delete_price(conn: Connection, model: str) -> bool:
    """Delete one row; False when it did not exist."""
    t = models.model_costs
    done = conn.execute(delete(t).where(t.c.model == model))
    if done.rowcount:
        _bump_version(conn)
    return bool(done.rowcount)


@functools.cache
def genai_prices_rows() -> tuple[Price, ...]:
    """Rows from genai-prices' bundled snapshot (see the module docstring); computed
    once per process."""
    return tuple(_genai_prices_rows())


def _genai_prices_rows() -> Iterator[Price]:
    from genai_prices import __version__, data_snapshot
    from genai_prices.types import TieredPrices

    snapshot = data_snapshot.get_snapshot()
    now = datetime.now(UTC)
    source = f"genai-prices {__version__}"
    seen: set[str] = set()

    def number(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, TieredPrices):
            value = value.base
        return float(value)

    for provider in snapshot.providers:
        for info in provider.models:
            if info.id in seen:
                continue
            seen.add(info.id)
            chosen = info
            try:
                _p, chosen = snapshot.find_provider_model(info.id, None, None, None)
                if chosen.id != info.id:
                    chosen = info
            except LookupError:
                chosen = info
            prices = chosen.get_prices(now)
            inp = number(getattr(prices, "input_mtok", None))
            out = number(getattr(prices, "output_mtok", None))
            if inp is None and out is None:
                continue  # priced per request, image, second...: not a token model
            yield Price(
                model=info.id,
                input=inp or 0.0,
                output=out or 0.0,
                cached_input=number(getattr(prices, "cache_read_mtok", None)),
                total=None,
                source=source,
            )


def ensure_seeded(conn: Connection) -> int:
    """Seed the table from genai-prices once per database; returns rows added."""
    if get_meta(conn, SEEDED_KEY) is not None:
        return 0
    rows = list(genai_prices_rows())
    existing = {r[0] for r in conn.execute(select(models.model_costs.c.model))}
    stamp = now_us()
    fresh = [
        {
            "model": p.model,
            "input_per_mtok": p.input,
            "output_per_mtok": p.output,
            "cached_input_per_mtok": p.cached_input,
            "total_per_mtok": p.total,
            "source": p.source,
            "updated_at": stamp,
        }
        for p in rows
        if p.model not in existing
    ]
    if fresh:
        conn.execute(insert(models.model_costs), fresh)
    set_meta(conn, SEEDED_KEY, json.dumps({"rows": len(fresh), "at": stamp}))
    _bump_version(conn)
    return len(fresh)


# -- recalculation ----------------------------------------------------------------


def recalc(conn: Connection, table: CostTable, project_id: int | None = None) -> int:
    """Recompute every run's cost and subtree cost; returns the number of runs changed."""
    r = models.runs
    query = select(
        r.c.project_id,
        r.c.run_id,
        r.c.parent_run_id,
        r.c.type,
        r.c.model,
        r.c.prompt_tokens,
        r.c.completion_tokens,
        r.c.total_tokens,
        r.c.cached_tokens,
        r.c.cost,
        r.c.cost_status,
        r.c.subtree_cost,
    )
    if project_id is not None:
        query = query.where(r.c.project_id == project_id)
    rows = conn.execute(query).all()
    own: dict[tuple[int, str], float] = {}
    status: dict[tuple[int, str], str] = {}
    parent: dict[tuple[int, str], tuple[int, str]] = {}
    for row in rows:
        key = (row.project_id, row.run_id)
        cost, st = compute_cost(
            table.resolve(row.model),
            row.type,
            row.model,
            row.prompt_tokens,
            row.completion_tokens,
            row.total_tokens,
            row.cached_tokens,
        )
        own[key] = cost
        status[key] = st
        if row.parent_run_id is not None:
            parent[key] = (row.project_id, row.parent_run_id)
    subtree = subtree_sums(own, parent)
    changes = [
        {
            "p": row.project_id,
            "r": row.run_id,
            "cost": own[(row.project_id, row.run_id)],
            "cost_status": status[(row.project_id, row.run_id)],
            "subtree_cost": subtree[(row.project_id, row.run_id)],
        }
        for row in rows
        if (
            row.cost != own[(row.project_id, row.run_id)]
            or row.cost_status != status[(row.project_id, row.run_id)]
            or abs(row.subtree_cost - subtree[(row.project_id, row.run_id)]) > 1e-12
        )
    ]
    if changes:
        stmt = (
            update(r)
            .where(r.c.project_id == bindparam("p"), r.c.run_id == bindparam("r"))
            .values(
                cost=bindparam("cost"),
                cost_status=bindparam("cost_status"),
                subtree_cost=bindparam("subtree_cost"),
            )
        )
        conn.execute(stmt, changes)
        rollup.rebuild(conn)  # the dashboard's summaries hold costs too
    return len(changes)


MAX_DEPTH = 1000
"""Levels a run's cost climbs into its ancestors' subtree costs, at ingest and in
recalc alike (:func:`ancestors`)."""

K = TypeVar("K", bound=Hashable)


def ancestors(key: K, parent: Mapping[K, K | None], depth: int = 0) -> Iterator[K]:
    """``key``'s parent, grandparent ... from ``parent``, nearest first: up to
    :data:`MAX_DEPTH` levels (``depth`` of them already climbed), none twice (a parent
    cycle ends the walk). The last one may be missing from ``parent`` (not known
    here). The one walk of both the ingest writer and :func:`recalc`."""
    seen = {key}
    up = parent.get(key)
    while up is not None and up not in seen and depth < MAX_DEPTH:
        yield up
        seen.add(up)
        up = parent.get(up)
        depth += 1


def subtree_sums(
    own: dict[tuple[int, str], float], parent: dict[tuple[int, str], tuple[int, str]]
) -> dict[tuple[int, str], float]:
    """Each run's own cost plus its descendants' (parent cycles are cut, depth bounded)."""
    total = dict(own)
    for key, cost in own.items():
        if not cost:
            continue
        for up in ancestors(key, parent):
            if up not in total:
                break
            total[up] += cost
    return total
