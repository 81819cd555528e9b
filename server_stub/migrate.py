"""Schema revisions with Alembic: where a store is, and bringing it to the newest.

A store is *empty* (no tables: created at the newest revision), *current*, or
*older*: an earlier revision, or a 0.1.0 store (tables, no ``alembic_version``),
which is the baseline revision ``0001``. Creating and upgrading run under the
store's setup lock (a file lock on SQLite, an advisory lock on PostgreSQL), so
receivers starting together on an empty database all come up. ``create_all`` is
never used: the baseline revision creates the 0.1.0 tables itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import Connection

log = logging.getLogger("observatory.server")
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)  # our one line says it

BASELINE = "0001"
"""The 0.1.0 schema; a store without ``alembic_version`` but with tables is at it."""
UNVERSIONED = "0.1.0 (unversioned)"
_SCRIPTS = "observatory.server:migrations"


class StoreOutdated(Exception):
    """The store is at an older revision and may not be upgraded here."""

    def __init__(self, current: str, head: str) -> None:
        super().__init__(
            f"the store is at revision {current}, older than this release's {head}; "
            "run `observatory db upgrade` first (back up the store before)"
        )


@dataclass(frozen=True)
class Revision:
    """Where a store is."""

    current: str | None
    """The revision id; None for an empty store, :data:`UNVERSIONED` for 0.1.0."""
    head: str

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", _SCRIPTS)
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The newest revision id of this release."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return str(found)


def revision_of(conn: Connection) -> Revision:
    """The store's revision, read through ``conn``."""
    current: Any = MigrationContext.configure(conn).get_current_revision()
    if current is None and "projects" in inspect(conn).get_table_names():
        current = UNVERSIONED
    return Revision(current, head())


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Bring the store to the newest revision inside ``conn``'s transaction;
    returns (from, to)."""
    found = revision_of(conn)
    if found.at_head:
        return found.current, found.head
    cfg = _config(conn)
    if found.current == UNVERSIONED:
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, "head")
    return found.current, found.head


def bring_to_head(engine: Engine, *, upgrade_older: bool) -> None:
    """Create an empty store at the newest revision; upgrade an older one when
    ``upgrade_older``, else raise :class:`StoreOutdated`. The caller holds the
    store's setup lock."""
    with engine.begin() as conn:
        found = revision_of(conn)
        if found.at_head:
            return
        if not found.empty and not upgrade_older:
            raise StoreOutdated(str(found.current), found.head)
        before, after = upgrade(conn)
    if before is None:
        log.info("created the store at revision %s", after)
    else:
        log.info("upgrade of the store: %s → %s", before, after)
