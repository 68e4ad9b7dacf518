"""The stored items a what-if replay routes again, with the facts their human label is made of, and the
measured handling time of reviews per task type.

Streamed (``yield_per``: a server-side cursor on PostgreSQL, an incremental cursor on SQLite) in item-id
order, so memory stays constant however many items there are. Gold items (rows in ``gold_answers``) are
synthetic test items mixed into queues and are left out. The label facts are the same columns as
:func:`inloop.storage.labels.label_columns`, as a :class:`~inloop.domain.labels.LabelFacts`, so
:func:`inloop.domain.labels.label_of` turns them into a label exactly as for calibration; items nobody
reviewed carry no verdicts and get no label.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, not_, select

from inloop.domain.labels import LabelFacts
from inloop.storage.labels import facts_of, label_columns
from inloop.storage.tables import gold_answers, items, reviews


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item: its body (without id), whether it was routed with its id (``routed_with_id``: the
    audit sample hashes the id, or the content when the item had none), what happened to it, and its label
    facts."""

    id: str
    task_type: str
    body: dict[str, Any]
    routed_with_id: bool
    route: str
    audit_sampled: bool
    policy_version: str
    created_ms: int
    facts: LabelFacts


def _filters(since_ms: int | None, until_ms: int | None, task_type: str | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [not_(exists().where(gold_answers.c.item_id == items.c.id))]
    if since_ms is not None:
        where.append(items.c.created_ms >= since_ms)
    if until_ms is not None:
        where.append(items.c.created_ms < until_ms)
    if task_type is not None:
        where.append(items.c.task_type == task_type)
    return where


def count(
    conn: Connection, since_ms: int | None = None, until_ms: int | None = None, task_type: str | None = None
) -> int:
    """How many items :func:`stream` yields for the same arguments (for a progress bar's total)."""
    query = select(func.count()).select_from(items).where(and_(*_filters(since_ms, until_ms, task_type)))
    return int(conn.execute(query).scalar_one())


def _query(since_ms: int | None, until_ms: int | None, task_type: str | None) -> Select[Any]:
    return (
        select(
            *label_columns(),
            items.c.task_type,
            items.c.body,
            items.c.routing["id"].as_string().label("routed_id"),
            items.c.route,
            items.c.routing["audit_sampled"].as_boolean().label("audit_sampled"),
            items.c.policy_version,
            items.c.created_ms,
        )
        .where(*_filters(since_ms, until_ms, task_type))
        .order_by(items.c.id)
    )


def stream(
    conn: Connection,
    since_ms: int | None = None,
    until_ms: int | None = None,
    task_type: str | None = None,
    *,
    batch: int = 2000,
) -> Iterator[StoredItem]:
    """Every non-gold item created in ``[since_ms, until_ms)`` (of ``task_type`` if given), by id."""
    query = _query(since_ms, until_ms, task_type).execution_options(yield_per=batch)
    for r in conn.execute(query):
        yield StoredItem(
            id=r.id,
            task_type=r.task_type,
            body=r.body,
            routed_with_id=r.routed_id is not None,
            route=r.route,
            audit_sampled=bool(r.audit_sampled),
            policy_version=r.policy_version,
            created_ms=r.created_ms,
            facts=facts_of(r),
        )


def handling_times(conn: Connection, task_type: str | None = None) -> dict[str, tuple[int, int]]:
    """``{task type: (reviews, total handling ms)}`` over every review ever decided but gold answers (handling
    time is a property of the task type, so the whole history gives the steadiest mean)."""
    query = (
        select(items.c.task_type, func.count(reviews.c.id), func.sum(reviews.c.handling_ms))
        .select_from(reviews.join(items, reviews.c.item_id == items.c.id))
        .where(reviews.c.kind != "gold")
        .group_by(items.c.task_type)
    )
    if task_type is not None:
        query = query.where(items.c.task_type == task_type)
    return {t: (int(n), int(total or 0)) for t, n, total in conn.execute(query)}
