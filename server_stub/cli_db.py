"""``observatory db upgrade`` and ``observatory db current``: the store's schema revision."""

from __future__ import annotations

import argparse
from typing import Any

from .settings import Settings


def cmd_db(args: argparse.Namespace) -> int:
    """Upgrade the store to the newest revision, or print where it is."""
    import logging

    from . import db, migrate

    url = Settings.from_env(db_url=args.db).db_url
    if args.db_cmd == "upgrade":
        logging.basicConfig(level=logging.WARNING)
        database = db.connect(url)
        try:
            with database.store.setup_lock(), database.write.begin() as conn:
                before, after = migrate.upgrade(conn)
            db.ensure_default_project(database.write)
        finally:
            database.dispose()
        if before == after:
            print(f"the store is already at revision {after} (head)")
        else:
            print(f"upgraded the store: {before or 'empty'} → {after} (head)")
        return 0
    database = db.connect(url)
    try:
        with database.read.connect() as conn:
            found = migrate.revision_of(conn)
    finally:
        database.dispose()
    if found.empty:
        print(f"none (an empty store; `observatory db upgrade` creates it at {found.head})")
    elif found.at_head:
        print(f"{found.current} (head)")
    else:
        print(f"{found.current} (head is {found.head}: run `observatory db upgrade`)")
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``db`` on the ``observatory`` parser."""
    dbp = sub.add_parser("db", help="the store's schema revision (Alembic migrations)")
    db_sub = dbp.add_subparsers(dest="db_cmd", required=True)
    db_sub.add_parser(
        "upgrade", parents=[common], help="create or upgrade the store to the newest revision"
    )
    db_sub.add_parser(
        "current", parents=[common], help="print the store's revision, (head) when current"
    )
    dbp.set_defaults(func=cmd_db)


__all__ = ["add_parser", "cmd_db"]
