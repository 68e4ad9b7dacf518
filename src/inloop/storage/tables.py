"""The database schema, as SQLAlchemy Core tables. Migrations build exactly this (a test proves it).

Times are integer milliseconds since the epoch (``*_ms``): the same on SQLite and PostgreSQL, cheap to compare
and index, and free of time-zone conversions.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

Json = JSON().with_variant(JSONB(), "postgresql")
Id = String(40)
Ms = BigInteger

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

items = Table(
    "items",
    metadata,
    Column("id", Id, primary_key=True),
    Column("idempotency_key", String(200), unique=True),
    Column("body_hash", String(64), nullable=False),
    Column("task_type", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # pending | decided
    Column("route", String(20), nullable=False),
    Column("risk", String(60), nullable=False),
    Column("queue", String(200)),
    Column("body", Json, nullable=False),
    Column("routing", Json, nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("deadline_ms", Ms),
    Column("sla_state", String(20), nullable=False),  # none | running | breached
    Column("decision", Json),
    Column("escaped_error", Boolean, nullable=False, default=False),
    Column("submitted_by", Id),
    Column("created_ms", Ms, nullable=False),
    Column("decided_ms", Ms),
    Index(None, "task_type", "created_ms"),
    Index(None, "sla_state", "deadline_ms"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Id, primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # review | adjudication | audit
    Column("queue", String(200), nullable=False),
    Column("priority", Integer, nullable=False),  # 0 escalation, 1 review, 2 audit
    Column("status", String(20), nullable=False),  # open | leased | done | cancelled
    Column("tier_rank", Integer, nullable=False),
    Column("assigned_to", Id),
    Column("lease_token", String(64)),
    Column("lease_owner", Id),
    Column("lease_expires_ms", Ms),
    Column("claimed_ms", Ms),
    Column("deadline_ms", Ms, nullable=False),
    Column("created_ms", Ms, nullable=False),
    Column("done_ms", Ms),
    Index(None, "status", "queue", "priority", "deadline_ms", "created_ms"),
    Index(None, "status", "priority", "deadline_ms", "created_ms"),
    Index(None, "status", "lease_expires_ms"),
    Index(None, "item_id"),
)

task_skills = Table(
    "task_skills",
    metadata,
    Column("task_id", Id, ForeignKey("tasks.id"), primary_key=True),
    Column("skill", String(100), primary_key=True),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Id, primary_key=True),
    Column("task_id", Id, ForeignKey("tasks.id"), nullable=False, unique=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reviewer", Id, nullable=False),
    Column("verdict", String(20), nullable=False),  # approve | reject | edit
    Column("output", Text),
    Column("reason", Text, nullable=False),
    Column("category", String(100)),
    Column("claimed_ms", Ms, nullable=False),
    Column("decided_ms", Ms, nullable=False),
    Column("handling_ms", Ms, nullable=False),
    Index(None, "item_id"),
    Index(None, "reviewer", "decided_ms"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("tier", String(60)),
    Column("skills", Json, nullable=False),
    Column("password_hash", String(200)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_ms", Ms, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_ms", Ms, nullable=False),
    Column("revoked_ms", Ms),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("chain", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("item_id", Id),
    Column("event", String(60), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("at_ms", Ms, nullable=False),
    Column("data", Json, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "seq"),
    Index(None, "item_id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id, primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Json, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_by", Id),
    Column("created_ms", Ms, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True),
    Column("webhook_id", Id, ForeignKey("webhooks.id"), nullable=False),
    Column("event", String(60), nullable=False),
    Column("item_id", Id),
    Column("payload", Json, nullable=False),
    Column("status", String(20), nullable=False),  # pending | delivering | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_ms", Ms, nullable=False),
    Column("lease_expires_ms", Ms),
    Column("last_error", Text),
    Column("created_ms", Ms, nullable=False),
    Column("delivered_ms", Ms),
    Index(None, "status", "next_attempt_ms"),
)

exports = Table(
    "exports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("format", String(20), nullable=False),  # sft | dpo | labels | reviews
    Column("task_type", String(200)),
    Column("since_ms", Ms),
    Column("until_ms", Ms),
    Column("rows", BigInteger, nullable=False),
    Column("covered_until_ms", Ms),  # the latest decision time among the exported rows
    Column("created_by", String(120), nullable=False),
    Column("created_ms", Ms, nullable=False),
)

gold_answers = Table(
    "gold_answers",
    metadata,
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True),
    Column("verdict", String(20), nullable=False),  # approve | reject | edit
    Column("output", Text),
    Column("category", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_by", Id),
    Column("created_ms", Ms, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("name", String(100), primary_key=True),  # a periodic job run by one process at a time
    Column("next_run_ms", Ms, nullable=False),
    Column("last_run_ms", Ms),
    Column("state", Json),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("version", String(40), nullable=False),  # the adapted policy's version hash (may recur)
    Column("base_version", String(40), nullable=False),  # the policy file's, before learned thresholds
    Column("thresholds", Json, nullable=False),  # {task type: learned threshold}
    Column("evidence", Json, nullable=False),  # per task: labels, errors, upper bound, target, delta
    Column("created_by", String(120), nullable=False),
    Column("created_ms", Ms, nullable=False),
    Index(None, "base_version", "created_ms"),
)
