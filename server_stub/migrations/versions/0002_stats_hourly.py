"""dashboard rollups: stats_hourly tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 (tables of main@d8dd6de; rollup.ensure fills them at start)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_hourly",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cost_status", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "hour", "type", "status", "cost_status", "model"),
    )
    op.create_table(
        "stats_hourly_agents",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "hour", "agent"),
    )
    op.create_table(
        "stats_hourly_latency",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "hour", "bin"),
    )


def downgrade() -> None:
    op.drop_table("stats_hourly_latency")
    op.drop_table("stats_hourly_agents")
    op.drop_table("stats_hourly")
