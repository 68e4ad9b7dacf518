"""Rows of the ``reviews`` table: one per decided task, with the reviewer's name joined in for display."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text

from inloop.storage import tasks
from inloop.storage.tables import reviews, users
from inloop.storage.tasks import TaskRow

_INSERT = reviews.insert()
# PostgreSQL: close the task and store the review in one round trip.
_CLOSE_AND_INSERT_PG = text(
    """
    WITH closed AS (
        UPDATE tasks SET status = 'done', done_ms = :decided_ms, lease_token = NULL, lease_expires_ms = NULL
        WHERE id = :task_id
    )
    INSERT INTO reviews (id, task_id, item_id, kind, reviewer, verdict, output, reason, category, claimed_ms,
                         decided_ms, handling_ms)
    VALUES (:id, :task_id, :item_id, :kind, :reviewer, :verdict, :output, :reason, :category, :claimed_ms,
            :decided_ms, :handling_ms)
    """
)


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
    review = {
        "id": review_id,
        "task_id": task.id,
        "item_id": task.item_id,
        "kind": kind,
        "reviewer": reviewer,
        "verdict": verdict,
        "output": output,
        "reason": reason or "",
        "category": category,
        "claimed_ms": claimed,
        "decided_ms": now_ms,
        "handling_ms": now_ms - claimed,
    }
    if conn.dialect.name == "postgresql":
        conn.execute(_CLOSE_AND_INSERT_PG, review)
    else:
        insert(conn, **review)
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
