"""Alembic migrations of the receiver's store (SQLite and PostgreSQL); run through
:mod:`observatory.server.migrate`, never with a separate alembic.ini."""
