"""Alembic environment: always given a connection by :mod:`observatory.server.migrate`."""

from __future__ import annotations

from alembic import context

from observatory.server import models

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=models.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE by copy on SQLite
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
