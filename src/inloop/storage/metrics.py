"""Aggregates for the team dashboard. Every query is bounded by a time window ``[since, until)`` and groups in
the database; buckets are ``(time - since) // bucket_ms`` (integer division on both SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, or_, select

from inloop.storage.tables import audit_events, items, reviews, tasks, users


def _bucket(column: Any, since: int, bucket_ms: int) -> Any:
    return ((column - since) // bucket_ms).label("bucket")


def routes_by_bucket(conn: Connection, since: int, until: int, bucket_ms: int) -> list[Any]:
    """``(bucket, route, n)``: items submitted per bucket and route."""
    bucket = _bucket(items.c.created_ms, since, bucket_ms)
    query = (
        select(bucket, items.c.route, func.count().label("n"))
        .where(items.c.created_ms >= since, items.c.created_ms < until)
        .group_by("bucket", items.c.route)
    )
    return list(conn.execute(query))


def depth_at(conn: Connection, at_ms: int) -> int:
    """Tasks open or leased at ``at_ms``: created before it and not done by then."""
    query = (
        select(func.count())
        .select_from(tasks)
        .where(tasks.c.created_ms < at_ms, or_(tasks.c.done_ms.is_(None), tasks.c.done_ms >= at_ms))
        .where(tasks.c.kind != "gold")
    )
    return int(conn.execute(query).scalar_one())


def tasks_created_by_bucket(conn: Connection, since: int, until: int, bucket_ms: int) -> list[Any]:
    bucket = _bucket(tasks.c.created_ms, since, bucket_ms)
    query = (
        select(bucket, func.count().label("n"))
        .where(tasks.c.created_ms >= since, tasks.c.created_ms < until, tasks.c.kind != "gold")
        .group_by("bucket")
    )
    return list(conn.execute(query))


def tasks_done_by_bucket(conn: Connection, since: int, until: int, bucket_ms: int) -> list[Any]:
    bucket = _bucket(tasks.c.done_ms, since, bucket_ms)
    query = (
        select(bucket, func.count().label("n"))
        .where(tasks.c.done_ms >= since, tasks.c.done_ms < until, tasks.c.kind != "gold")
        .group_by("bucket")
    )
    return list(conn.execute(query))


def review_latencies_ms(conn: Connection, since: int, until: int, limit: int) -> list[int]:
    """Submit-to-decision times of items people decided (queued or escalated, not released by an SLA)."""
    query = (
        select((items.c.decided_ms - items.c.created_ms).label("ms"))
        .where(
            items.c.decided_ms >= since,
            items.c.decided_ms < until,
            items.c.route.in_(["queue", "escalate"]),
            items.c.status == "decided",
            items.c.sla_state != "breached",
        )
        .order_by(items.c.decided_ms.desc())
        .limit(limit)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def handling_ms(conn: Connection, since: int, until: int, limit: int) -> list[int]:
    """Claim-to-decision times of single reviews."""
    query = (
        select(reviews.c.handling_ms)
        .where(reviews.c.decided_ms >= since, reviews.c.decided_ms < until, reviews.c.kind != "gold")
        .order_by(reviews.c.decided_ms.desc())
        .limit(limit)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def decisions_by_reviewer(conn: Connection, since: int, until: int, bucket_ms: int) -> list[Any]:
    """``(reviewer, bucket, n)``."""
    bucket = _bucket(reviews.c.decided_ms, since, bucket_ms)
    query = (
        select(users.c.name.label("reviewer"), bucket, func.count().label("n"))
        .join(users, users.c.id == reviews.c.reviewer)
        .where(reviews.c.decided_ms >= since, reviews.c.decided_ms < until, reviews.c.kind != "gold")
        .group_by(users.c.name, "bucket")
    )
    return list(conn.execute(query))


def multi_review_votes(conn: Connection, since: int, until: int, limit: int) -> list[Any]:
    """``(item_id, verdict, output)`` of review-kind decisions on items that had two or more of them, for
    items whose last such review falls in the window."""
    several = (
        select(reviews.c.item_id)
        .where(reviews.c.kind == "review")
        .group_by(reviews.c.item_id)
        .having(
            func.count() >= 2, func.max(reviews.c.decided_ms) >= since, func.max(reviews.c.decided_ms) < until
        )
        .limit(limit)
        .subquery()
    )
    query = (
        select(reviews.c.item_id, reviews.c.verdict, reviews.c.output)
        .join(several, several.c.item_id == reviews.c.item_id)
        .where(reviews.c.kind == "review")
        .order_by(reviews.c.item_id, reviews.c.decided_ms)
    )
    return list(conn.execute(query))


def events_by_bucket(conn: Connection, event: str, since: int, until: int, bucket_ms: int) -> list[Any]:
    """``(bucket, n)`` of audit events named ``event``."""
    bucket = _bucket(audit_events.c.at_ms, since, bucket_ms)
    query = (
        select(bucket, func.count().label("n"))
        .where(audit_events.c.event == event, audit_events.c.at_ms >= since, audit_events.c.at_ms < until)
        .group_by("bucket")
    )
    return list(conn.execute(query))


def audit_outcomes(conn: Connection, since: int, until: int) -> list[Any]:
    """``(verdict, n)`` of post-hoc audit decisions in the window (approve = correct, else escaped error)."""
    query = (
        select(reviews.c.verdict, func.count().label("n"))
        .where(reviews.c.kind == "audit", reviews.c.decided_ms >= since, reviews.c.decided_ms < until)
        .group_by(reviews.c.verdict)
    )
    return list(conn.execute(query))


def pending_past_deadline(conn: Connection, now_ms: int) -> int:
    query = (
        select(func.count())
        .select_from(tasks)
        .where(tasks.c.status.in_(["open", "leased"]), tasks.c.deadline_ms <= now_ms, tasks.c.kind != "gold")
    )
    return int(conn.execute(query).scalar_one())
