"""Rows of the ``reviews`` table: one per decided task, with the reviewer's name joined in for display."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from inloop.storage import tasks
from inloop.storage.tables import reviews, users
from inloop.storage.tasks import TaskRow

_INSERT = reviews.insert()


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(_INSERT, values)


def record_decision(
    conn: Connection,
    task: TaskRow,
    *,
    review_id: str,
    kind: str,
    reviewer: str,
    verdict: str,
    output: str | None,
    reason: str | None,
    category: str | None,
    now_ms: int,
) -> None:
    """Store one person's decision on a leased task and close the task."""
    claimed = task.claimed_ms or now_ms
    insert(
        conn,
        id=review_id,
        task_id=task.id,
        item_id=task.item_id,
        kind=kind,
        reviewer=reviewer,
        verdict=verdict,
        output=output,
        reason=reason or "",
        category=category,
        claimed_ms=claimed,
        decided_ms=now_ms,
        handling_ms=now_ms - claimed,
    )
    tasks.finish(conn, task.id, now_ms)


def for_item(conn: Connection, item_id: str, kinds: Sequence[str] | None = None) -> list[Any]:
    query = (
        select(reviews, users.c.name.label("reviewer_name"))
        .join(users, users.c.id == reviews.c.reviewer)
        .where(reviews.c.item_id == item_id)
        .order_by(reviews.c.decided_ms, users.c.name, reviews.c.id)
    )
    if kinds is not None:
        query = query.where(reviews.c.kind.in_(list(kinds)))
    return list(conn.execute(query))


def per_reviewer_since(conn: Connection, since_ms: int) -> list[Any]:
    """Decisions and mean handling time per reviewer since ``since_ms``."""
    query = (
        select(users.c.name, func.count().label("n"), func.avg(reviews.c.handling_ms).label("avg_ms"))
        .join(users, users.c.id == reviews.c.reviewer)
        .where(reviews.c.decided_ms >= since_ms)
        .group_by(users.c.name)
        .order_by(users.c.name)
    )
    return list(conn.execute(query))
