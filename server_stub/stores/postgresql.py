"""PostgreSQL: several receivers write to one database at once.

Design (measured in docs/scaling.md):

* A writer transaction first takes a transaction-scoped advisory lock per run it
  folds, per parent of those runs, and per run a ``saved`` event names, in key
  order (so these never deadlock each other). Whoever concludes "run X is not
  stored" therefore holds X's lock, as does whoever creates X: a start and an
  end split across receivers fold one after the other, and a child's cost
  reaches a parent created at the same moment on another receiver. Runs of
  unrelated traces never wait for each other.
* Events: ``INSERT ... ON CONFLICT DO NOTHING`` on ``(project_id, event_id)``, so
  the same event posted to two receivers is stored once.
* Subtree costs are added with ``subtree_cost = subtree_cost + delta`` (commutative);
  an ancestor found missing is locked and looked up again. The rare deadlock
  between ancestors' row locks is retried by the writer.
* Counters are added in a short transaction of their own, never inside the
  ingest transaction, so the counter rows never serialise the receivers.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .. import models
from . import Store

SETUP_LOCK_KEY = 0x0B5E_0001
"""Session advisory lock held while the schema is created or upgraded."""
STORE_LOCK_KEY = 0x0B5E_0002
"""Transaction advisory lock: shared by ingest, exclusive by whole-store rewrites."""
RETRYABLE = frozenset({"40P01", "40001", "23505"})
"""deadlock_detected, serialization_failure, unique_violation (a race the locks
did not cover: a retry sees the other transaction's rows)."""

_LOCK = text(
    "SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) WITH ORDINALITY AS t(k, n) ORDER BY n"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


def postgresql_engine(url: str) -> Engine:
    """One pooled engine for reads and writes: up to 30 connections (10 kept open),
    checked before use (a restarted server leaves dead ones in the pool)."""
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def run_key(project: int, run_id: str) -> int:
    """The advisory-lock key of one run: 64 bits of a hash, signed."""
    digest = hashlib.blake2b(f"{project}\0{run_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgreSQLStore(Store):
    """Concurrent writers, advisory run locks, ``ON CONFLICT`` dedupe, retries."""

    name = "postgresql"
    concurrent_writers = True
    max_group_keys = 2000
    """The default lock table holds 64 x max_connections (6,400) locks in all."""

    @contextlib.contextmanager
    def setup_lock(self) -> Iterator[None]:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SETUP_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SETUP_LOCK_KEY})
                conn.commit()

    def lock_store(self, conn: Connection, *, exclusive: bool = False) -> None:
        how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        conn.execute(text(f"SELECT {how}(:k)"), {"k": STORE_LOCK_KEY})

    def lock_runs(self, conn: Connection, keys: Iterable[tuple[int, str]]) -> None:
        ordered = sorted({run_key(project, rid) for project, rid in keys})
        if ordered:
            conn.execute(_LOCK, {"keys": ordered})

    def insert_events(
        self, conn: Connection, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> set[str]:
        if not rows:
            return set()
        e = models.events
        stored = conn.execute(
            insert(e)
            .on_conflict_do_nothing(index_elements=[e.c.project_id, e.c.event_id])
            .returning(e.c.event_id),
            [dict(zip(keys, row, strict=True)) for row in rows],
        )
        inserted = {eid for (eid,) in stored if eid is not None}
        at = keys.index("event_id")
        return {row[at] for row in rows if row[at] is not None and row[at] not in inserted}

    def is_retryable(self, exc: BaseException) -> bool:
        if not isinstance(exc, DBAPIError):
            return False
        code: Any = getattr(exc.orig, "sqlstate", None)
        return code in RETRYABLE
