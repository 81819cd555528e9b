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

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from . import models
from .stores import Store, engines, store_for
from .stores.sql import statements_for
from .stores.sqlite import FileLock, sqlite_path

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


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) with few statements. Columns
    missing from the rows get their scalar Python-side default. How each store
    sends them: :mod:`.stores.sql`."""
    if rows:
        statements_for(conn).insert_rows(conn, table, rows)


def insert_tuples(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows``, each the values of ``keys`` in order (defaults as above)."""
    if rows:
        statements_for(conn).insert_tuples(conn, table, keys, rows)


IN_CHUNK = 500
"""Values per ``IN (...)`` list; longer lists run in several statements."""


class InQuery:
    """A SELECT with one ``column IN (...)`` list, run in chunks of :data:`IN_CHUNK`.

    ``build(in_clause)`` returns the statement with ``in_clause`` among its
    criteria; other values are ``bindparam(name)`` given to :meth:`rows`. A store
    may compile it once per list length (SQLite: :mod:`.stores.sqlite_sql`).
    """

    def __init__(self, build: Callable[[Any], Any], column: Any) -> None:
        self._build = build
        self._column = column
        self._compiled: dict[int, Any] = {}

    def rows(self, conn: Connection, values: Sequence[Any], **params: Any) -> Iterator[Any]:
        """The rows for every value in ``values`` (each row once per matching chunk)."""
        how = statements_for(conn)
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            yield from how.select_in(conn, self._build, self._column, chunk, params, self._compiled)


def execute_indexed(conn: Connection, stmt: Any, table: Table, index: str) -> Any:
    """Run ``stmt`` reading ``table`` through ``index`` where the store's planner needs
    the hint (SQLite's ``INDEXED BY``, for partial indexes); a plain execute elsewhere."""
    return statements_for(conn).execute_indexed(conn, stmt, table, index)


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
