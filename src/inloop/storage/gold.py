"""Rows of ``gold_answers`` (an item's known answer) and the reads gold mixing and scoring need.

A gold answer is a task and review *kind* as well: the task made to show a gold item to a reviewer is stored
with ``kind = 'gold'`` and so is the reviewer's answer in ``reviews``, so every aggregate of real traffic
excludes them with one ``kind != 'gold'`` condition (see :data:`GOLD`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, exists, func, insert, not_, select, update

from inloop.storage.tables import gold_answers, items, reviews, tasks, users

GOLD = "gold"  # the kind of a gold task and of its review


@dataclass(frozen=True, slots=True)
class GoldRow:
    item_id: str
    verdict: str
    output: str | None
    category: str | None
    active: bool
    created_by: str | None
    created_ms: int


def _row(r: Any) -> GoldRow:
    return GoldRow(
        item_id=r.item_id,
        verdict=r.verdict,
        output=r.output,
        category=r.category,
        active=bool(r.active),
        created_by=r.created_by,
        created_ms=int(r.created_ms),
    )


def get(conn: Connection, item_id: str) -> GoldRow | None:
    r = conn.execute(select(gold_answers).where(gold_answers.c.item_id == item_id)).first()
    return _row(r) if r else None


def upsert(conn: Connection, row: GoldRow) -> None:
    """Insert the answer, or replace an earlier one (read then write: the caller holds the item's lock)."""
    values = {f: getattr(row, f) for f in GoldRow.__slots__}
    if get(conn, row.item_id) is None:
        conn.execute(insert(gold_answers).values(**values))
    else:
        conn.execute(update(gold_answers).where(gold_answers.c.item_id == row.item_id).values(**values))


def set_active(conn: Connection, item_id: str, active: bool) -> None:
    conn.execute(update(gold_answers).where(gold_answers.c.item_id == item_id).values(active=active))


def listing(conn: Connection, *, include_inactive: bool) -> list[Any]:
    """Gold answers with their item's task type and queue, and how often each was answered."""
    answered = (
        select(func.count())
        .select_from(reviews)
        .where(reviews.c.item_id == gold_answers.c.item_id, reviews.c.kind == GOLD)
        .scalar_subquery()
    )
    query = (
        select(
            gold_answers,
            items.c.task_type,
            items.c.queue,
            users.c.name.label("created_by_name"),
            answered.label("answered"),
        )
        .join(items, items.c.id == gold_answers.c.item_id)
        .outerjoin(users, users.c.id == gold_answers.c.created_by)
        .order_by(gold_answers.c.created_ms, gold_answers.c.item_id)
    )
    if not include_inactive:
        query = query.where(gold_answers.c.active.is_(True))
    return list(conn.execute(query))


def candidates(conn: Connection, user_id: str, queue: str, limit: int) -> list[Any]:
    """``(item_id, task_type)`` of active gold items in ``queue`` that ``user_id`` never reviewed, answered
    or held a task of (their own earlier review would give the answer away)."""
    seen_review = exists().where(reviews.c.item_id == gold_answers.c.item_id, reviews.c.reviewer == user_id)
    seen_task = exists().where(tasks.c.item_id == gold_answers.c.item_id, tasks.c.lease_owner == user_id)
    query = (
        select(gold_answers.c.item_id, items.c.task_type)
        .join(items, items.c.id == gold_answers.c.item_id)
        .where(
            gold_answers.c.active.is_(True),
            items.c.status == "decided",
            items.c.queue == queue,
            not_(seen_review),
            not_(seen_task),
        )
        .order_by(gold_answers.c.item_id)
        .limit(limit)
    )
    return list(conn.execute(query))


def answers_by_reviewer(conn: Connection, since_ms: int | None, until_ms: int | None) -> list[Any]:
    """``(reviewer, answered, correct)``: gold reviews decided in ``[since, until)``, scored against the
    current gold answer (same verdict = correct)."""
    correct = func.sum(case((reviews.c.verdict == gold_answers.c.verdict, 1), else_=0))
    query = (
        select(users.c.name.label("reviewer"), func.count().label("answered"), correct.label("correct"))
        .join(gold_answers, gold_answers.c.item_id == reviews.c.item_id)
        .join(users, users.c.id == reviews.c.reviewer)
        .where(reviews.c.kind == GOLD)
        .group_by(users.c.name)
        .order_by(users.c.name)
    )
    if since_ms is not None:
        query = query.where(reviews.c.decided_ms >= since_ms)
    if until_ms is not None:
        query = query.where(reviews.c.decided_ms < until_ms)
    return list(conn.execute(query))
