"""What differs between the stores, behind one interface: :class:`Store`.

The receiver never branches on the dialect; it asks its :class:`Store`:

* :mod:`.sqlite`: one writer at a time (a file lock across processes, ``BEGIN
  IMMEDIATE``), so the writer's read-then-write steps need nothing more;
* :mod:`.postgresql`: any number of receivers write at once; runs are guarded by
  transaction-scoped advisory locks, events deduplicated by ``ON CONFLICT``, and
  a transaction that lost a deadlock is retried.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Table, create_engine
from sqlalchemy.engine import Connection, make_url


class Store:
    """The default behaviour: a store that serialises its writers itself."""

    name = "generic"
    concurrent_writers = False
    """True when several writers run at once (then run locks and retries apply)."""
    max_group_keys: int | None = None
    """Upper bound on the run keys one writer transaction locks (None: no bound)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def writer_lock(self) -> contextlib.AbstractContextManager[Any]:
        """Held around each ingest transaction of this process."""
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Held while the schema is created or upgraded, across processes."""
        yield

    def lock_store(self, conn: Connection, *, exclusive: bool = False) -> None:
        """Held until the transaction ends: shared by every ingest transaction, exclusive
        by the rewrites of the whole store (cost recalculation, rebuilding the summaries
        from ``runs`` or ``messages``), which must not interleave with ingest. A no-op
        where writers take turns anyway."""

    def lock_runs(self, conn: Connection, keys: Iterable[tuple[int, str]]) -> None:
        """Hold the runs ``(project_id, run_id)`` until the transaction ends (no-op here).

        Also other per-project names that writers read then rewrite (a thread session
        of one agent + user): ingest stores no U+0000, so a name that holds one never
        equals a run id."""

    def insert_events(
        self, conn: Connection, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> set[str]:
        """Store event rows (``keys``: their columns, ``event_id`` among them); returns
        the event ids another writer stored first (none here: writers take turns)."""
        from ..db import insert_tuples
        from ..models import events

        insert_tuples(conn, events, keys, rows)
        return set()

    def is_retryable(self, exc: BaseException) -> bool:
        """True for an error that a new attempt of the same transaction may not meet."""
        return False

    def optimize(self, conn: Connection) -> None:
        """Refresh the planner's statistics (cheaply, where the store can)."""
        conn.exec_driver_sql("ANALYZE")

    def close(self) -> None:
        """Release what the store holds besides the engine."""


def engines(url: str, synchronous: str = "normal") -> tuple[Engine, Engine]:
    """The write and the read engine for ``url`` (one engine for both where the
    store needs no separate writer): see :mod:`.sqlite`, :mod:`.postgresql`."""
    if url.startswith("sqlite"):  # also "sqlite:", which is refused there with a reason
        from .sqlite import sqlite_engines

        return sqlite_engines(url, synchronous)
    if make_url(url).get_backend_name() == "postgresql":
        from .postgresql import postgresql_engine

        engine = postgresql_engine(url)
    else:
        engine = create_engine(url)
    return engine, engine


def upsert_insert(conn: Connection, table: Table) -> Any:
    """``INSERT`` into ``table`` for the connection's store, with
    ``on_conflict_do_update`` and ``excluded`` (SQLite's and PostgreSQL's alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def store_for(engine: Engine) -> Store:
    """The :class:`Store` for ``engine``'s dialect."""
    if engine.dialect.name == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(engine)
    if engine.dialect.name == "postgresql":
        from .postgresql import PostgreSQLStore

        return PostgreSQLStore(engine)
    return Store(engine)


__all__ = ["Store", "engines", "store_for", "upsert_insert"]
