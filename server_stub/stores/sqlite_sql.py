"""SQLite's hot statements as pre-compiled SQL text (see :class:`SQLiteStatements`)."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from .sql import Statements

_SQLITE = sqlite_dialect.dialect()

MAX_SQLITE_PARAMS = 32766
"""SQLite's default limit on ``?`` parameters in one statement (3.32+)."""
_ROWS_PER_STATEMENT = 256
_IN_SIZES = (1, 8, 32, 128, 500)
"""IN lists are padded (with their last value) to one of these lengths, so each
query has a handful of SQL texts and SQLite's prepared-statement cache hits."""


class SQLiteStatements(Statements):
    """Inserts: rows go to the driver in multi-row ``INSERT ... VALUES (...), (...)``
    statements compiled once per shape: SQLAlchemy's per-row parameter processing
    was ~40% of the ingest writer's time, and the driver's ``executemany`` releases
    and retakes the GIL once per row, which under load (other threads validating)
    made the writer wait for the GIL on every row.

    ``IN`` lists: each padded length is compiled once and sent to the driver as
    plain SQL with a tuple: SQLAlchemy's expanding IN re-renders the statement on
    every call (~2.5 ms per 375 ids, half of the ingest writer's Python time).

    ``INDEXED BY`` for partial indexes, which SQLite's planner does not weigh
    without statistics: the threads listing read 100,000 loose messages in 500 ms
    through the general index and in 70 ms through its partial one.
    """

    def insert_rows(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        keys = tuple(rows[0])
        values = _row_values(table, keys)
        _insert(conn, table, keys, [values(row) for row in rows])

    def insert_tuples(
        self, conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> None:
        constant = tuple(_defaults(table, keys).values())
        _insert(conn, table, keys, [(*row, *constant) for row in rows] if constant else rows)

    def select_in(
        self,
        conn: Connection,
        build: Callable[[Any], Any],
        column: Any,
        chunk: Sequence[Any],
        params: Mapping[str, Any],
        cache: dict[int, Any],
    ) -> Iterator[Any]:
        size = next(n for n in _IN_SIZES if n >= len(chunk))
        query: _CompiledIn = cache.get(size) or cache.setdefault(
            size, _compile_in(build, column, size)
        )
        padded = (*chunk, *([chunk[-1]] * (size - len(chunk))))
        before = tuple(params[n] if n in params else query.fixed[n] for n in query.before)
        after = tuple(params[n] if n in params else query.fixed[n] for n in query.after)
        yield from conn.exec_driver_sql(query.sql, before + padded + after)

    def execute_indexed(self, conn: Connection, stmt: Any, table: Table, index: str) -> Any:
        compiled = stmt.compile(dialect=conn.dialect)
        name = _SQLITE.identifier_preparer.quote(table.name)
        sql, found = re.subn(
            rf"\bFROM {re.escape(name)}(?=\s|$)",
            f"FROM {name} INDEXED BY {index}",
            str(compiled),
            count=1,
        )
        if not found:
            raise ValueError(f"{index}: the statement does not read {table.name} directly")
        order = compiled.positiontup or ()
        return conn.exec_driver_sql(sql, tuple(compiled.params[n] for n in order))


def _insert(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    per = max(1, min(_ROWS_PER_STATEMENT, MAX_SQLITE_PARAMS // (len(rows[0]) + 8)))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        flat: list[Any] = []
        for row in chunk:
            flat.extend(row)
        conn.exec_driver_sql(_insert_sql(table, keys, len(chunk)), tuple(flat))


@functools.lru_cache(maxsize=256)
def _insert_sql(table: Table, keys: tuple[str, ...], count: int) -> str:
    """``INSERT INTO t (keys, defaulted...) VALUES (?, ...), ...`` for ``count`` rows."""
    names = [*keys, *_defaults(table, keys)]
    quote = _SQLITE.identifier_preparer.quote
    one = "(" + ", ".join("?" * len(names)) + ")"
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES {', '.join([one] * count)}"
    )


def _defaults(table: Table, keys: tuple[str, ...]) -> dict[str, Any]:
    return {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in keys and c.default is not None and c.default.is_scalar
    }


@functools.lru_cache(maxsize=64)
def _row_values(
    table: Table, keys: tuple[str, ...]
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """row -> its parameter tuple (the keys' values, then the defaults)."""
    constant = tuple(_defaults(table, keys).values())
    if len(keys) == 1:
        key = keys[0]
        return lambda row: (row[key], *constant)
    pick = operator.itemgetter(*keys)
    if constant:
        return lambda row: (*pick(row), *constant)
    return pick


@dataclass(frozen=True)
class _CompiledIn:
    sql: str
    before: tuple[str, ...]
    """Names of the parameters before the IN list, in order."""
    after: tuple[str, ...]
    fixed: dict[str, Any]
    """Values bound in the statement itself (literals in its criteria)."""


def _compile_in(build: Callable[[Any], Any], column: Any, size: int) -> _CompiledIn:
    marks: list[Any] = [bindparam(f"_in{i}") for i in range(size)]
    compiled = build(column.in_(marks)).compile(dialect=_SQLITE)
    order = list(compiled.positiontup or ())
    first = order.index("_in0")
    if order[first : first + size] != [f"_in{i}" for i in range(size)]:
        raise ValueError("the IN list's values must be contiguous in the statement")
    return _CompiledIn(
        str(compiled),
        tuple(order[:first]),
        tuple(order[first + size :]),
        {k: v for k, v in compiled.params.items() if not k.startswith("_in")},
    )
