"""How the receiver's few hot statements are sent, per store: :func:`statements_for`.

The generic :class:`Statements` sends ordinary SQLAlchemy Core; SQLite's
(:mod:`.sqlite_sql`) sends pre-compiled SQL text, which the ingest writer
needs for its speed there. Callers use :mod:`..db`'s ``insert_rows``,
``insert_tuples``, ``InQuery`` and ``execute_indexed``, never this directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection


class Statements:
    """Plain Core statements (PostgreSQL and any other store)."""

    def insert_rows(
        self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """INSERT ``rows`` (dicts with the same keys); missing columns get their default."""
        conn.execute(insert(table), list(rows))

    def insert_tuples(
        self, conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
    ) -> None:
        """INSERT ``rows``, each the values of ``keys`` in order."""
        conn.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])

    def select_in(
        self,
        conn: Connection,
        build: Callable[[Any], Any],
        column: Any,
        chunk: Sequence[Any],
        params: Mapping[str, Any],
        cache: dict[int, Any],
    ) -> Iterator[Any]:
        """The rows of ``build(column IN chunk)``; ``cache`` is the caller's, per query."""
        yield from conn.execute(build(column.in_(chunk)), dict(params))

    def execute_indexed(self, conn: Connection, stmt: Any, table: Table, index: str) -> Any:
        """Run ``stmt``, reading ``table`` through ``index`` where the planner needs the hint."""
        return conn.execute(stmt)


_BY_DIALECT: dict[str, Statements] = {}


def statements_for(conn: Connection) -> Statements:
    """The :class:`Statements` of the connection's store."""
    name = conn.dialect.name
    found = _BY_DIALECT.get(name)
    if found is None:
        if name == "sqlite":
            from .sqlite_sql import SQLiteStatements

            found = SQLiteStatements()
        else:
            found = Statements()
        _BY_DIALECT[name] = found
    return found
