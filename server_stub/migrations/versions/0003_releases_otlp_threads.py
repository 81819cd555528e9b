"""releases, OTLP trace ids, changes, thread summaries

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 (schema of main@8c0b94d: runs.trace_id and runs.release with
their indexes, tables changes and thread_summaries; thread_summary.ensure fills the
latter at start)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of runs on SQLite): both columns are nullable
    op.add_column("runs", sa.Column("trace_id", sa.String(length=32), nullable=True))
    op.add_column("runs", sa.Column("release", sa.String(length=200), nullable=True))
    op.create_index("ix_runs_release", "runs", ["project_id", "release", "sort_time"])
    op.create_index("ix_runs_trace", "runs", ["project_id", "trace_id"])
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_changes_at", "changes", ["project_id", "at"])
    op.create_table(
        "thread_summaries",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("thread_key", sa.String(length=1000), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "auto", "thread_key"),
    )
    op.create_index(
        "ix_thread_summaries_recent", "thread_summaries", ["project_id", "last_ts", "thread_key"]
    )
    op.create_index(
        "ix_thread_summaries_sessions",
        "thread_summaries",
        ["project_id", "auto", "agent", "user_email", "first_ts"],
    )


def downgrade() -> None:
    op.drop_index("ix_thread_summaries_sessions", table_name="thread_summaries")
    op.drop_index("ix_thread_summaries_recent", table_name="thread_summaries")
    op.drop_table("thread_summaries")
    op.drop_index("ix_changes_at", table_name="changes")
    op.drop_table("changes")
    op.drop_index("ix_runs_trace", table_name="runs")
    op.drop_index("ix_runs_release", table_name="runs")
    with op.batch_alter_table("runs") as batch:  # SQLite drops columns by copying
        batch.drop_column("release")
        batch.drop_column("trace_id")
