"""Engines, SQLite pragmas and opening a store (schema via :mod:`.migrate`).

Two engines share one database: ``write`` opens every transaction with
``BEGIN IMMEDIATE`` on SQLite (so a read-then-write transaction waits for the
lock instead of failing), ``read`` uses ordinary deferred transactions that never
block the writer (WAL). On another backend both are plain engines.

Durability: WAL with ``synchronous=NORMAL`` by default. A commit is in the WAL
file (handed to the OS) before the receiver acknowledges it, so SIGKILL or any
process crash loses nothing acknowledged; only an OS crash or power loss can
lose the last commits. ``synchronous=FULL`` (``--sqlite-synchronous full``)
fsyncs every commit for power-loss durability at a lower commit rate.
"""

from __future__ import annotations

import functools
import operator
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from . import models
from .stores import Store, engines, store_for
from .stores.sqlite import FileLock, sqlite_path

_SQLITE = sqlite_dialect.dialect()

DEFAULT_PROJECT = "default"
"""Served to loopback callers while no API key exists; ``keys create --project
default`` later gives a key to that same data."""


def now_us() -> int:
    """The current time in integer microseconds since the epoch."""
    return time.time_ns() // 1000


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@dataclass
class Database:
    """The pair of engines the receiver and the CLI use, and the store's behaviour."""

    url: str
    write: Engine
    read: Engine
    store: Store = field(init=False)
    """What differs between SQLite and PostgreSQL (locks, retries): :mod:`.stores`."""

    def __post_init__(self) -> None:
        self.store = store_for(self.write)

    @property
    def writer_lock(self) -> AbstractContextManager[Any]:
        """Held around each ingest transaction (a file lock on SQLite, nothing on
        PostgreSQL, whose writers run at once)."""
        return self.store.writer_lock()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.write.dispose()
        self.read.dispose()
        self.store.close()


def engine_url(url: str) -> str:
    """``url`` with a bare ``postgresql://`` (or ``postgres://``) mapped to psycopg 3."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def connect(url: str, synchronous: str = "normal") -> Database:
    """Engines for ``url``; the schema is left as it is (see :func:`open_database`)."""
    url = engine_url(url)
    write, read = engines(url, synchronous)
    return Database(url, write, read)


def open_database(url: str, synchronous: str = "normal", *, upgrade: bool = True) -> Database:
    """Engines for ``url`` with the schema at the newest revision and the default
    project present. An empty store is created; an older one is upgraded when
    ``upgrade`` is true, else :class:`~.migrate.StoreOutdated` is raised."""
    from . import migrate

    db = connect(url, synchronous)
    try:
        with db.store.setup_lock():
            migrate.bring_to_head(db.write, upgrade_older=upgrade)
            ensure_default_project(db.write)
    except BaseException:
        db.dispose()
        raise
    return db


def ensure_default_project(engine: Engine) -> None:
    """Create the ``default`` project (id 1, app ``default``) unless it exists."""
    with engine.begin() as conn:
        found = conn.execute(
            select(models.projects.c.id).where(models.projects.c.name == DEFAULT_PROJECT)
        ).first()
        if found is None:
            conn.execute(
                insert(models.projects).values(
                    name=DEFAULT_PROJECT, default_app_id=DEFAULT_PROJECT, created_at=now_us()
                )
            )


MAX_SQLITE_PARAMS = 32766
"""SQLite's default limit on ``?`` parameters in one statement (3.32+)."""
_ROWS_PER_STATEMENT = 256


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) with few statements (see
    :func:`insert_tuples`). Columns missing from the rows get their scalar
    Python-side default."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    keys = tuple(rows[0])
    values = _row_values(table, keys)
    _insert_sqlite(conn, table, keys, [values(row) for row in rows])


def insert_tuples(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows``, each the values of ``keys`` in order (defaults as above).

    On SQLite, rows go to the driver in multi-row ``INSERT ... VALUES (...), (...)``
    statements compiled once per shape: SQLAlchemy's per-row parameter
    processing was ~40% of the ingest writer's time, and the driver's
    ``executemany`` releases and retakes the GIL once per row, which under load
    (other threads validating) made the writer wait for the GIL on every row.
    Elsewhere it is an ordinary Core ``insert`` (insertmanyvalues).
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])
        return
    constant = tuple(_defaults(table, keys).values())
    _insert_sqlite(conn, table, keys, [(*row, *constant) for row in rows] if constant else rows)


def _insert_sqlite(
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


IN_CHUNK = 500
"""Values per ``IN (...)`` list; longer lists run in several statements."""
_IN_SIZES = (1, 8, 32, 128, IN_CHUNK)
"""Lists are padded (with their last value) to one of these lengths, so each
query has a handful of SQL texts and SQLite's prepared-statement cache hits."""


class InQuery:
    """A SELECT with one ``column IN (...)`` list, run in chunks of :data:`IN_CHUNK`.

    ``build(in_clause)`` returns the statement with ``in_clause`` among its
    criteria; other values are ``bindparam(name)`` given to :meth:`rows`.

    On SQLite each padded length is compiled once and sent to the driver as
    plain SQL with a tuple: SQLAlchemy's expanding IN re-renders the statement on
    every call (~2.5 ms per 375 ids, half of the ingest writer's Python time).
    Elsewhere it is an ordinary Core ``IN``.
    """

    def __init__(self, build: Callable[[Any], Any], column: Any) -> None:
        self._build = build
        self._column = column
        self._compiled: dict[int, _CompiledIn] = {}

    def rows(self, conn: Connection, values: Sequence[Any], **params: Any) -> Iterator[Any]:
        """The rows for every value in ``values`` (each row once per matching chunk)."""
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            if conn.dialect.name != "sqlite":
                yield from conn.execute(self._build(self._column.in_(chunk)), params)
                continue
            size = next(n for n in _IN_SIZES if n >= len(chunk))
            query = self._compiled.get(size) or self._compile(size)
            padded = (*chunk, *([chunk[-1]] * (size - len(chunk))))
            before = tuple(params[n] if n in params else query.fixed[n] for n in query.before)
            after = tuple(params[n] if n in params else query.fixed[n] for n in query.after)
            yield from conn.exec_driver_sql(query.sql, before + padded + after)

    def _compile(self, size: int) -> _CompiledIn:
        marks = [bindparam(f"_in{i}") for i in range(size)]
        compiled = self._build(self._column.in_(marks)).compile(dialect=_SQLITE)
        order = list(compiled.positiontup or ())
        first = order.index("_in0")
        if order[first : first + size] != [f"_in{i}" for i in range(size)]:
            raise ValueError("the IN list's values must be contiguous in the statement")
        query = _CompiledIn(
            str(compiled),
            tuple(order[:first]),
            tuple(order[first + size :]),
            {k: v for k, v in compiled.params.items() if not k.startswith("_in")},
        )
        self._compiled[size] = query
        return query


@dataclass(frozen=True)
class _CompiledIn:
    sql: str
    before: tuple[str, ...]
    """Names of the parameters before the IN list, in order."""
    after: tuple[str, ...]
    fixed: dict[str, Any]
    """Values bound in the statement itself (literals in its criteria)."""


def execute_indexed(conn: Connection, stmt: Any, table: Table, index: str) -> Any:
    """Run ``stmt`` reading ``table`` through ``index`` on SQLite (``INDEXED BY``); a
    plain execute elsewhere. For partial indexes, which SQLite's planner does not
    weigh without statistics: the threads listing read 100,000 loose messages in
    500 ms through the general index and in 70 ms through its partial one."""
    if conn.dialect.name != "sqlite":
        return conn.execute(stmt)
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


def get_meta(conn: Connection, key: str) -> str | None:
    """One value from the ``meta`` table."""
    return conn.execute(select(models.meta.c.value).where(models.meta.c.key == key)).scalar()


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Insert or replace one value in the ``meta`` table."""
    done = conn.execute(update(models.meta).where(models.meta.c.key == key).values(value=value))
    if done.rowcount == 0:
        conn.execute(insert(models.meta).values(key=key, value=value))


def optimize(engine: Engine) -> None:
    """Refresh planner statistics (``PRAGMA optimize`` on SQLite, ``ANALYZE`` elsewhere)."""
    store = store_for(engine)
    try:
        with engine.connect() as conn:
            store.optimize(conn)
            conn.commit()
    finally:
        store.close()


def analyze(engine: Engine) -> None:
    """Full statistics refresh (after bulk loads)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


__all__ = [
    "DEFAULT_PROJECT",
    "IN_CHUNK",
    "Database",
    "FileLock",
    "InQuery",
    "analyze",
    "get_meta",
    "connect",
    "engine_url",
    "ensure_default_project",
    "insert_rows",
    "insert_tuples",
    "is_sqlite",
    "now_us",
    "open_database",
    "optimize",
    "execute_indexed",
    "set_meta",
    "sqlite_path",
]
