"""Reads the reviewer console needs beyond the workflow's own: a reviewer's held tasks, what they may claim
per queue, open tasks of one kind, recent items. Claims themselves go through
:func:`inloop.storage.tasks.claim`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, exists, func, not_, or_, select, true

from inloop.storage.tables import items, reviews, task_skills, tasks, users
from inloop.storage.tasks import Claimant, TaskRow


def _task(r: Any) -> TaskRow:
    return TaskRow(**r._mapping)


def held_by(
    conn: Connection, user_id: str, now_ms: int, *, kinds: frozenset[str], queue: str | None
) -> TaskRow | None:
    """The oldest live lease ``user_id`` holds on a task of ``kinds`` (in ``queue``), to resume it."""
    query = (
        select(tasks)
        .where(
            tasks.c.status == "leased",
            tasks.c.lease_expires_ms >= now_ms,
            tasks.c.lease_owner == user_id,
            tasks.c.kind.in_(sorted(kinds)),
        )
        .order_by(tasks.c.claimed_ms, tasks.c.id)
        .limit(1)
    )
    if queue is not None:
        query = query.where(tasks.c.queue == queue)
    r = conn.execute(query).first()
    return _task(r) if r else None


def claimable_counts(conn: Connection, who: Claimant) -> list[Any]:
    """Per queue and kind: open tasks ``who`` may claim (the same conditions as the claim)."""
    missing_skill = exists().where(
        task_skills.c.task_id == tasks.c.id,
        task_skills.c.skill.not_in(sorted(who.skills)) if who.skills else true(),
    )
    query = (
        select(tasks.c.queue, tasks.c.kind, func.count().label("n"))
        .where(
            and_(
                tasks.c.status == "open",
                tasks.c.kind.in_(sorted(who.kinds)),
                tasks.c.tier_rank <= who.tier_rank,
                or_(tasks.c.assigned_to.is_(None), tasks.c.assigned_to == who.user_id),
                not_(missing_skill),
            )
        )
        .group_by(tasks.c.queue, tasks.c.kind)
    )
    return list(conn.execute(query))


def open_tasks_of_kind(conn: Connection, kind: str, limit: int) -> list[Any]:
    """Open and leased tasks of ``kind`` with their item's task type and route, most urgent first."""
    query = (
        select(
            tasks.c.id,
            tasks.c.item_id,
            tasks.c.queue,
            tasks.c.status,
            tasks.c.priority,
            tasks.c.deadline_ms,
            tasks.c.created_ms,
            tasks.c.lease_expires_ms,
            users.c.name.label("holder"),
            items.c.task_type,
            items.c.route,
            items.c.risk,
        )
        .join(items, items.c.id == tasks.c.item_id)
        .outerjoin(users, users.c.id == tasks.c.lease_owner)
        .where(tasks.c.kind == kind, tasks.c.status.in_(["open", "leased"]))
        .order_by(tasks.c.priority, tasks.c.deadline_ms, tasks.c.created_ms)
        .limit(limit)
    )
    return list(conn.execute(query))


def recent_reviews_of_kind(conn: Connection, kind: str, limit: int) -> list[Any]:
    """The latest decisions on tasks of ``kind``, with the reviewer and the item's escaped-error flag."""
    query = (
        select(
            reviews.c.item_id,
            reviews.c.verdict,
            reviews.c.category,
            reviews.c.reason,
            reviews.c.decided_ms,
            users.c.name.label("reviewer"),
            items.c.task_type,
            items.c.escaped_error,
        )
        .join(users, users.c.id == reviews.c.reviewer)
        .join(items, items.c.id == reviews.c.item_id)
        .where(reviews.c.kind == kind)
        .order_by(reviews.c.decided_ms.desc(), reviews.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


def recent_items(
    conn: Connection, *, limit: int, status: str | None = None, route: str | None = None
) -> list[Any]:
    query = select(
        items.c.id,
        items.c.task_type,
        items.c.status,
        items.c.route,
        items.c.risk,
        items.c.queue,
        items.c.created_ms,
        items.c.decided_ms,
        items.c.escaped_error,
    ).order_by(items.c.created_ms.desc(), items.c.id.desc())
    if status is not None:
        query = query.where(items.c.status == status)
    if route is not None:
        query = query.where(items.c.route == route)
    return list(conn.execute(query.limit(limit)))
