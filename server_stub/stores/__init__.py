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

from sqlalchemy import Engine
from sqlalchemy.engine import Connection


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

    def close(self) -> None:
        """Release what the store holds besides the engine."""


def store_for(engine: Engine) -> Store:
    """The :class:`Store` for ``engine``'s dialect."""
    if engine.dialect.name == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(engine)
    if engine.dialect.name == "postgresql":
        from .postgresql import PostgreSQLStore

        return PostgreSQLStore(engine)
    return Store(engine)


__all__ = ["Store", "store_for"]
