"""SQLAlchemy 2 tables (Core). Times are integer microseconds since the epoch (UTC).

Every row carries ``project_id``: two projects never see or touch each other's
data, even when they reuse a ``run_id``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = String(200)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("default_app_id", ID, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

apps = Table(
    "apps",
    metadata,
    Column("app_id", ID, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Float, nullable=False, default=0.0),
)
"""Ingest counters and latency histogram, shared by every receiver process."""

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

model_costs = Table(
    "model_costs",
    metadata,
    Column("model", String(300), primary_key=True),
    Column("input_per_mtok", Float, nullable=False),
    Column("output_per_mtok", Float, nullable=False),
    Column("cached_input_per_mtok", Float),
    Column("total_per_mtok", Float),
    Column("source", String(100), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("run_id", ID, primary_key=True),
    Column("parent_run_id", ID),
    Column("app_id", ID),
    Column("type", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("agent", String(200)),
    Column("status", String(10), nullable=False),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    # start_time when known, else the earliest time seen: ordering, from/to, retention
    Column("sort_time", BigInteger, nullable=False),
    Column("latency_s", Float),
    Column("model", String(200)),
    Column("prompt_tokens", BigInteger),
    Column("completion_tokens", BigInteger),
    Column("total_tokens", BigInteger),
    Column("cached_tokens", BigInteger),
    Column("cost", Float, nullable=False, default=0.0),
    Column("cost_status", String(20), nullable=False),
    Column("subtree_cost", Float, nullable=False, default=0.0),
    Column("tags", Text),
    Column("user_email", String(320)),
    Column("saved", Boolean, nullable=False, default=False),
    Column("input", Text),
    Column("output", Text),
    Column("error", Text),
    Column("metadata", Text),
    Column("trace_id", String(32)),
    Column("release", String(200)),
    Index("ix_runs_time", "project_id", "sort_time"),
    Index("ix_runs_status", "project_id", "status", "sort_time"),
    Index("ix_runs_model", "project_id", "model", "sort_time"),
    Index("ix_runs_agent", "project_id", "agent", "sort_time"),
    Index("ix_runs_user", "project_id", "user_email", "sort_time"),
    Index("ix_runs_app", "project_id", "app_id", "sort_time"),
    Index("ix_runs_release", "project_id", "release", "sort_time"),
    # no index on type: three values (agent, llm, tool), each a large share of the
    # runs, so the newest-first walk of ix_runs_time finds a page of them at once,
    # while each index costs every ingested run ~1 us (docs/performance.md)
    Index("ix_runs_parent", "project_id", "parent_run_id"),
    Index("ix_runs_latency", "project_id", "latency_s"),
    Index("ix_runs_cost", "project_id", "subtree_cost"),
    Index("ix_runs_trace", "project_id", "trace_id"),
)
# saved runs only (a partial index): retention's lookup, and nothing to maintain
# for the great majority of runs, which are never saved
Index(
    "ix_runs_saved_only",
    runs.c.project_id,
    runs.c.run_id,
    sqlite_where=runs.c.saved.is_(True),
    postgresql_where=runs.c.saved.is_(True),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("run_id", ID, primary_key=True),
    Column("tag", String(200), primary_key=True),
    Index("ix_run_tags_tag", "project_id", "tag", "run_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("event_id", ID),
    Column("run_id", ID),
    Column("name", String(200), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("project_id", "event_id", name="uq_events_event_id"),
    Index("ix_events_run", "project_id", "run_id", "ts"),
    Index("ix_events_ts", "ts"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("message_id", ID, nullable=False),
    Column("thread_id", ID),
    Column("role", String(50), nullable=False),
    Column("content", Text, nullable=False),
    Column("run_id", ID),
    Column("app_id", ID),
    Column("agent", String(200)),
    Column("user_email", String(320)),
    Column("ts", BigInteger, nullable=False),
    # covering for the listing's per-thread count, times, agent and user
    Index("ix_messages_thread_cover", "project_id", "thread_id", "ts", "agent", "user_email"),
    Index("ix_messages_auto", "project_id", "agent", "user_email", "ts"),
    Index("ix_messages_message_id", "project_id", "message_id"),
    Index("ix_messages_ts", "ts"),
)
# messages without thread_id, in the order the 30-minute grouping reads them:
# the listing of threads then never touches the table for them
Index(
    "ix_messages_loose",
    messages.c.project_id,
    messages.c.agent,
    messages.c.user_email,
    messages.c.ts,
    sqlite_where=messages.c.thread_id.is_(None),
    postgresql_where=messages.c.thread_id.is_(None),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("ref", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_changes_at", "project_id", "at"),
)
"""What changed and when (deploys, model bumps, prompt and policy edits): markers
on time series and the pivot of ``observatory compare --around REF``."""

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("run_id", ID),
    Column("message_id", ID),
    Column("rating", String(10), nullable=False),
    Column("comment", Text),
    Column("user_email", String(320)),
    Column("ts", BigInteger, nullable=False),
    Index("ix_feedback_run", "project_id", "run_id"),
    Index("ix_feedback_message", "project_id", "message_id"),
    Index("ix_feedback_ts", "ts"),
)

# -- dashboard rollups (server_stub/rollup.py keeps them at ingest) ---------------------
# per project and hour (sort_time // 1 h): what the dashboard aggregates, so 30 days
# read ~720 hours of summaries instead of every run

stats_hourly = Table(
    "stats_hourly",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("type", String(20), primary_key=True),
    Column("status", String(10), primary_key=True),
    Column("cost_status", String(20), primary_key=True),
    Column("model", String(200), primary_key=True),  # "" when the run has none
    Column("runs", Integer, nullable=False),
    Column("cost", Float, nullable=False),
    Column("tokens", BigInteger, nullable=False),
)

stats_hourly_agents = Table(
    "stats_hourly_agents",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("agent", String(200), primary_key=True),
    Column("runs", Integer, nullable=False),
    Column("cost", Float, nullable=False),
)

stats_hourly_latency = Table(
    "stats_hourly_latency",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("hour", BigInteger, primary_key=True),
    Column("bin", Integer, primary_key=True),  # rollup.latency_bin(latency_s)
    Column("runs", Integer, nullable=False),
)

# -- thread listing summary (server_stub/thread_summary.py keeps it at ingest) ----------
# one row per listed thread: an explicit thread_id, or a fallback thread (messages
# without thread_id of one agent + user, split on silences longer than the gap)

thread_summaries = Table(
    "thread_summaries",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("auto", Boolean, primary_key=True),  # a fallback (agent + user + gap) thread
    Column("thread_key", String(1000), primary_key=True),  # thread_id, or the auto id
    Column("agent", String(200)),
    Column("user_email", String(320)),
    Column("first_ts", BigInteger, nullable=False),
    Column("last_ts", BigInteger, nullable=False),
    Column("message_count", Integer, nullable=False),
    # a page of the listing, newest first; and the sessions of one agent + user
    Index("ix_thread_summaries_recent", "project_id", "last_ts", "thread_key"),
    Index("ix_thread_summaries_sessions", "project_id", "auto", "agent", "user_email", "first_ts"),
)
