"""Reads for the exports, streamed (``yield_per``: a server-side cursor on PostgreSQL), and the record of
each export made. Gold answers (reviews of kind ``gold``) test reviewers; they are never training data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select, func, insert, or_, select

from inloop.domain.exports import StoredItem, StoredReview
from inloop.storage.labels import facts_of, label_columns
from inloop.storage.tables import exports, items, reviews, users

BATCH = 2000


def _window(query: Select[Any], column: Any, task: str | None, since: int | None, until: int | None) -> Any:
    if task is not None:
        query = query.where(items.c.task_type == task)
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _item_filter(fmt: str) -> Any:
    """The SQL side of each format's selection (the domain makes the exact choice row by row)."""
    verdict = items.c.decision["verdict"].as_string()
    revised = items.c.decision[("revised", "verdict")].as_string()
    if fmt == "dpo":
        return or_(verdict == "edit", revised == "edit")
    return items.c.decision.is_not(None)  # sft and labels: a person's verdict is among the decided items


def count_items(conn: Connection, fmt: str, task: str | None, since: int | None, until: int | None) -> int:
    query = select(func.count()).select_from(items).where(_item_filter(fmt))
    return int(conn.execute(_window(query, items.c.decided_ms, task, since, until)).scalar_one())


def stored_items(
    conn: Connection, fmt: str, task: str | None, since: int | None, until: int | None
) -> Iterator[StoredItem]:
    """Candidate items of a format, decided in ``[since, until)``, in id order."""
    columns = [
        *label_columns(),
        items.c.task_type,
        items.c.body,
        items.c.decision,
        items.c.policy_version,
        items.c.created_ms,
        items.c.decided_ms,
    ]
    if fmt == "labels":
        columns.append(items.c.routing)
    query = select(*columns).where(_item_filter(fmt)).order_by(items.c.id).execution_options(yield_per=BATCH)
    with conn.execute(_window(query, items.c.decided_ms, task, since, until)) as result:
        for r in result:
            yield StoredItem(
                item_id=r.id,
                task_type=r.task_type,
                body=r.body,
                decision=r.decision,
                policy_version=r.policy_version,
                created_ms=r.created_ms,
                decided_ms=r.decided_ms,
                facts=facts_of(r),
                routing=r.routing if fmt == "labels" else None,
            )


def count_reviews(conn: Connection, task: str | None, since: int | None, until: int | None) -> int:
    query = select(func.count()).select_from(reviews.join(items, items.c.id == reviews.c.item_id))
    query = query.where(reviews.c.kind != "gold")
    return int(conn.execute(_window(query, reviews.c.decided_ms, task, since, until)).scalar_one())


def stored_reviews(
    conn: Connection, task: str | None, since: int | None, until: int | None
) -> Iterator[StoredReview]:
    """Every person's review decided in ``[since, until)`` (gold answers aside), in decision order."""
    independent = reviews.alias("independent")
    group_size = (
        select(func.count())
        .where(independent.c.item_id == reviews.c.item_id, independent.c.kind == "review")
        .scalar_subquery()
    )
    query = (
        select(
            reviews.c.id,
            reviews.c.item_id,
            items.c.task_type,
            items.c.body["model"].as_string().label("model"),
            items.c.policy_version,
            reviews.c.kind,
            users.c.name.label("reviewer"),
            reviews.c.verdict,
            reviews.c.category,
            reviews.c.reason,
            reviews.c.output,
            reviews.c.claimed_ms,
            reviews.c.decided_ms,
            reviews.c.handling_ms,
            group_size.label("group_size"),
        )
        .select_from(
            reviews.join(items, items.c.id == reviews.c.item_id).join(users, users.c.id == reviews.c.reviewer)
        )
        .where(reviews.c.kind != "gold")
        .order_by(reviews.c.decided_ms, reviews.c.id)
        .execution_options(yield_per=BATCH)
    )
    with conn.execute(_window(query, reviews.c.decided_ms, task, since, until)) as result:
        for r in result:
            yield StoredReview(
                review_id=r.id,
                item_id=r.item_id,
                task_type=r.task_type,
                model=r.model,
                policy_version=r.policy_version,
                kind=r.kind,
                reviewer=r.reviewer,
                verdict=r.verdict,
                category=r.category,
                reason=r.reason,
                output=r.output,
                claimed_ms=r.claimed_ms,
                decided_ms=r.decided_ms,
                handling_ms=r.handling_ms,
                group_size=int(r.group_size or 0),
            )


def record(conn: Connection, **row: Any) -> None:
    """Remember an export: its format, filters, row count and the latest decision it covered."""
    conn.execute(insert(exports).values(**row))
