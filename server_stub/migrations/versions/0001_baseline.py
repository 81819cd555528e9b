"""baseline: the 0.1.0 schema

Revision ID: 0001
Revises:
Create Date: 2026-12-05 (the schema of release 0.1.0, main@1b419ae)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "event_id", name="uq_events_event_id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_run", ["project_id", "run_id", "ts"], unique=False)
        batch_op.create_index("ix_events_ts", ["ts"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_message", ["project_id", "message_id"], unique=False)
        batch_op.create_index("ix_feedback_run", ["project_id", "run_id"], unique=False)
        batch_op.create_index("ix_feedback_ts", ["ts"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("app_id", sa.String(length=200), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_auto", ["project_id", "agent", "user_email", "ts"], unique=False
        )
        batch_op.create_index(
            "ix_messages_loose",
            ["project_id", "agent", "user_email", "ts"],
            unique=False,
            sqlite_where=sa.text("thread_id IS NULL"),
            postgresql_where=sa.text("thread_id IS NULL"),
        )
        batch_op.create_index("ix_messages_message_id", ["project_id", "message_id"], unique=False)
        batch_op.create_index(
            "ix_messages_thread_cover",
            ["project_id", "thread_id", "ts", "agent", "user_email"],
            unique=False,
        )
        batch_op.create_index("ix_messages_ts", ["ts"], unique=False)

    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "model_costs",
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("input_per_mtok", sa.Float(), nullable=False),
        sa.Column("output_per_mtok", sa.Float(), nullable=False),
        sa.Column("cached_input_per_mtok", sa.Float(), nullable=True),
        sa.Column("total_per_mtok", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("model"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("default_app_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "run_tags",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "run_id", "tag"),
    )
    with op.batch_alter_table("run_tags", schema=None) as batch_op:
        batch_op.create_index("ix_run_tags_tag", ["project_id", "tag", "run_id"], unique=False)

    op.create_table(
        "runs",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("parent_run_id", sa.String(length=200), nullable=True),
        sa.Column("app_id", sa.String(length=200), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("sort_time", sa.BigInteger(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=True),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=True),
        sa.Column("total_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cached_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("cost_status", sa.String(length=20), nullable=False),
        sa.Column("subtree_cost", sa.Float(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("saved", sa.Boolean(), nullable=False),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("project_id", "run_id"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_agent", ["project_id", "agent", "sort_time"], unique=False)
        batch_op.create_index("ix_runs_app", ["project_id", "app_id", "sort_time"], unique=False)
        batch_op.create_index("ix_runs_cost", ["project_id", "subtree_cost"], unique=False)
        batch_op.create_index("ix_runs_latency", ["project_id", "latency_s"], unique=False)
        batch_op.create_index("ix_runs_model", ["project_id", "model", "sort_time"], unique=False)
        batch_op.create_index("ix_runs_parent", ["project_id", "parent_run_id"], unique=False)
        batch_op.create_index(
            "ix_runs_saved_only",
            ["project_id", "run_id"],
            unique=False,
            sqlite_where=sa.text("saved IS 1"),
            postgresql_where=sa.text("saved IS true"),
        )
        batch_op.create_index("ix_runs_status", ["project_id", "status", "sort_time"], unique=False)
        batch_op.create_index("ix_runs_time", ["project_id", "sort_time"], unique=False)
        batch_op.create_index(
            "ix_runs_user", ["project_id", "user_email", "sort_time"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "apps",
        sa.Column("app_id", sa.String(length=200), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
        ),
        sa.PrimaryKeyConstraint("app_id"),
    )


def downgrade() -> None:
    op.drop_table("apps")
    op.drop_table("api_keys")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_user")
        batch_op.drop_index("ix_runs_time")
        batch_op.drop_index("ix_runs_status")
        batch_op.drop_index(
            "ix_runs_saved_only",
            sqlite_where=sa.text("saved IS 1"),
            postgresql_where=sa.text("saved IS true"),
        )
        batch_op.drop_index("ix_runs_parent")
        batch_op.drop_index("ix_runs_model")
        batch_op.drop_index("ix_runs_latency")
        batch_op.drop_index("ix_runs_cost")
        batch_op.drop_index("ix_runs_app")
        batch_op.drop_index("ix_runs_agent")

    op.drop_table("runs")
    with op.batch_alter_table("run_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_run_tags_tag")

    op.drop_table("run_tags")
    op.drop_table("projects")
    op.drop_table("model_costs")
    op.drop_table("meta")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_ts")
        batch_op.drop_index("ix_messages_thread_cover")
        batch_op.drop_index("ix_messages_message_id")
        batch_op.drop_index(
            "ix_messages_loose",
            sqlite_where=sa.text("thread_id IS NULL"),
            postgresql_where=sa.text("thread_id IS NULL"),
        )
        batch_op.drop_index("ix_messages_auto")

    op.drop_table("messages")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_ts")
        batch_op.drop_index("ix_feedback_run")
        batch_op.drop_index("ix_feedback_message")

    op.drop_table("feedback")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_ts")
        batch_op.drop_index("ix_events_run")

    op.drop_table("events")
    op.drop_table("counters")
