"""Rows of the ``tasks`` table and the claim: one statement picks, leases and skips what others hold.

On PostgreSQL the pick is ``FOR UPDATE SKIP LOCKED``, so concurrent reviewers in any number of processes never
wait on each other's rows and never receive the same task; on SQLite the write lock taken at ``BEGIN
IMMEDIATE`` serialises claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    text,
    true,
    update,
)

from inloop.storage.tables import task_skills, tasks

NO_DEADLINE = 2**62  # tasks without an SLA sort after every real deadline, and the column stays indexable


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: str
    item_id: str
    kind: str
    queue: str
    priority: int
    status: str
    tier_rank: int
    assigned_to: str | None
    lease_token: str | None
    lease_owner: str | None
    lease_expires_ms: int | None
    claimed_ms: int | None
    deadline_ms: int
    created_ms: int
    done_ms: int | None


def _row(r: Any) -> TaskRow:
    return TaskRow(**r._mapping)


_INSERT = tasks.insert()
_INSERT_SKILL = task_skills.insert()
_GET = select(tasks).where(tasks.c.id == bindparam("id"))
_GET_LOCKED = _GET.with_for_update()


def insert(conn: Connection, row: TaskRow, skills: Iterable[str]) -> None:
    conn.execute(_INSERT, {f: getattr(row, f) for f in TaskRow.__slots__})
    rows = [{"task_id": row.id, "skill": s} for s in sorted(set(skills))]
    if rows:
        conn.execute(_INSERT_SKILL, rows)


def get(conn: Connection, task_id: str, *, lock: bool = False) -> TaskRow | None:
    r = conn.execute(_GET_LOCKED if lock else _GET, {"id": task_id}).first()
    return _row(r) if r else None


_FOR_ITEM = (
    select(tasks).where(tasks.c.item_id == bindparam("of_item")).order_by(tasks.c.created_ms, tasks.c.id)
)
_FOR_ITEM_LOCKED = _FOR_ITEM.with_for_update()


def for_item(conn: Connection, item_id: str, *, lock: bool = False) -> list[TaskRow]:
    """Every task of an item, oldest first (locked with ``lock``)."""
    return [_row(r) for r in conn.execute(_FOR_ITEM_LOCKED if lock else _FOR_ITEM, {"of_item": item_id})]


def skills_of(conn: Connection, task_id: str) -> list[str]:
    return list(conn.execute(select(task_skills.c.skill).where(task_skills.c.task_id == task_id)).scalars())


@dataclass(frozen=True, slots=True)
class Claimant:
    """Who is claiming, and what they qualify for."""

    user_id: str
    tier_rank: int
    skills: frozenset[str]
    kinds: frozenset[str]


@lru_cache(maxsize=8)
def _candidates(table: Any, *, by_queue: bool, has_skills: bool) -> Select[Any]:
    """Open tasks a claimant may take, best first, locked and skipping what others hold; built once per
    shape (parameters: ``user_id``, ``kinds``, ``max_tier_rank``, ``skills``, ``in_queue``, ``limit``)."""
    other = tasks.alias("other")
    missing_skill = exists().where(
        task_skills.c.task_id == table.c.id,
        task_skills.c.skill.not_in(bindparam("skills", expanding=True)) if has_skills else true(),
    )
    # OFFSET 0 keeps PostgreSQL from flattening this into an anti-join that scans every task a reviewer
    # ever held; as written it is a probe of ix_tasks_item_id per candidate row.
    own_item = (
        select(other.c.id)
        .where(
            other.c.item_id == table.c.item_id,
            other.c.id != table.c.id,
            other.c.lease_owner == bindparam("user_id"),
        )
        .offset(0)
        .exists()
    )
    conditions = [
        table.c.status == "open",
        table.c.kind.in_(bindparam("kinds", expanding=True)),
        table.c.tier_rank <= bindparam("max_tier_rank"),
        or_(table.c.assigned_to.is_(None), table.c.assigned_to == bindparam("user_id")),
        not_(missing_skill),
        not_(own_item),
    ]
    if by_queue:
        conditions.append(table.c.queue == bindparam("in_queue"))
    return (
        select(table.c.id, table.c.item_id)
        .where(and_(*conditions))
        .order_by(table.c.priority, table.c.deadline_ms, table.c.created_ms)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


_LEASE_VALUES = {
    "status": "leased",
    "lease_token": bindparam("token"),
    "lease_owner": bindparam("user_id"),
    "lease_expires_ms": bindparam("expires_ms"),
    "claimed_ms": bindparam("now_ms"),
}
_LEASE = update(tasks).where(tasks.c.id == bindparam("task_id")).values(_LEASE_VALUES).returning(*tasks.c)


@lru_cache(maxsize=4)
def _lease_best(*, by_queue: bool, has_skills: bool) -> Update:
    """Pick and lease the best candidate in one statement (the pick reads an alias: it is not correlated
    with the table being updated)."""
    pick = _candidates(tasks.alias("candidate"), by_queue=by_queue, has_skills=has_skills)
    return (
        update(tasks)
        .where(tasks.c.id == pick.with_only_columns(pick.selected_columns.id).scalar_subquery())
        .values(_LEASE_VALUES)
        .returning(*tasks.c)
    )


_NO_SORT = text("SET LOCAL enable_sort = off")


def claim(
    conn: Connection,
    who: Claimant,
    *,
    queue: str | None,
    limit: int,
    now_ms: int,
    lease_ms: int,
    tokens: Sequence[str],
) -> list[TaskRow]:
    """Lease up to ``limit`` open tasks ``who`` may take: escalations first, then by deadline, then age."""
    shape = {"by_queue": queue is not None, "has_skills": bool(who.skills)}
    params: dict[str, Any] = {
        "user_id": who.user_id,
        "kinds": sorted(who.kinds),
        "max_tier_rank": who.tier_rank,
        "skills": sorted(who.skills),
        "in_queue": queue,
        "limit": limit,
        "expires_ms": now_ms + lease_ms,
        "now_ms": now_ms,
    }
    if conn.dialect.name == "postgresql":
        # The best task is the first match in the (status, priority, deadline, created) index. Planned from
        # statistics that undercount the open tasks (a fresh table, or a queue that grew faster than
        # autovacuum re-analyses it), PostgreSQL would rather filter every open task, running the per-row
        # subqueries on each, and sort them: milliseconds per claim, growing with the queue. Without a sort
        # to choose, it walks the index and stops at the first match, whatever the statistics say.
        conn.execute(_NO_SORT)
    if limit == 1:  # the common claim: one round trip picks and leases
        r = conn.execute(_lease_best(**shape), {**params, "token": tokens[0]}).first()
        return [_row(r)] if r else []
    # One task per item per claim: the reviewers of one item must be different people. A second task of the
    # same item stays locked only until this transaction ends, then others may take it.
    ids, items_seen = [], set()
    for task_id, item_id in conn.execute(_candidates(tasks, **shape), params):
        if item_id not in items_seen:
            items_seen.add(item_id)
            ids.append(task_id)
    return [
        _row(conn.execute(_LEASE, {**params, "task_id": task_id, "token": token}).one())
        for task_id, token in zip(ids, tokens, strict=False)
    ]


def leased_to(row: TaskRow, token: str, user_id: str, now_ms: int) -> bool:
    """Whether ``user_id`` holds a live lease on the task with ``token``."""
    return (
        row.status == "leased"
        and row.lease_token == token
        and row.lease_owner == user_id
        and (row.lease_expires_ms or 0) >= now_ms
    )


def set_fields(conn: Connection, task_id: str, **values: Any) -> None:
    conn.execute(update(tasks).where(tasks.c.id == task_id).values(**values))


_FINISH = (
    update(tasks)
    .where(tasks.c.id == bindparam("task_id"))
    .values(status="done", done_ms=bindparam("now_ms"), lease_token=None, lease_expires_ms=None)
)


def finish(conn: Connection, task_id: str, now_ms: int) -> None:
    """Close a decided task (its lease ends with it)."""
    conn.execute(_FINISH, {"task_id": task_id, "now_ms": now_ms})


def reopen(conn: Connection, task_id: str) -> None:
    """Give a task back to the queue, forgetting who held it (they may take it again). A gold task is made
    for one reviewer and no queue claims it, so it is cancelled instead (done at its claim: no work done)."""
    gold = tasks.c.kind == "gold"
    set_fields(
        conn,
        task_id,
        status=case((gold, "cancelled"), else_="open"),
        done_ms=case((gold, tasks.c.claimed_ms), else_=tasks.c.done_ms),
        lease_token=None,
        lease_owner=None,
        lease_expires_ms=None,
        claimed_ms=None,
    )


def expired_leases(conn: Connection, now_ms: int, limit: int) -> list[TaskRow]:
    query = (
        select(tasks)
        .where(tasks.c.status == "leased", tasks.c.lease_expires_ms < now_ms)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_row(r) for r in conn.execute(query)]


_OPEN = tasks.c.status.in_(["open", "leased"])
_CANCEL_OPEN = (
    update(tasks)
    .where(tasks.c.item_id == bindparam("of_item"), _OPEN)
    .values(status="cancelled", done_ms=bindparam("now_ms"), lease_token=None)
)


def cancel_open(conn: Connection, item_id: str, now_ms: int) -> None:
    """Cancel every open or leased task of an item (it was decided another way)."""
    conn.execute(_CANCEL_OPEN, {"of_item": item_id, "now_ms": now_ms})


def open_for_item(conn: Connection, item_id: str) -> list[TaskRow]:
    return [t for t in for_item(conn, item_id) if t.status in ("open", "leased")]


def depth_by_queue(conn: Connection) -> list[Any]:
    """Per queue and priority: open and leased counts, oldest creation, nearest deadline."""
    query = (
        select(
            tasks.c.queue,
            tasks.c.priority,
            tasks.c.status,
            func.count().label("n"),
            func.min(tasks.c.created_ms).label("oldest_ms"),
            func.min(tasks.c.deadline_ms).label("next_deadline_ms"),
        )
        .where(tasks.c.status.in_(["open", "leased"]))
        .group_by(tasks.c.queue, tasks.c.priority, tasks.c.status)
    )
    return list(conn.execute(query))


def near_deadline(conn: Connection, before_ms: int) -> list[Any]:
    query = (
        select(tasks.c.queue, func.count().label("n"))
        .where(tasks.c.status.in_(["open", "leased"]), tasks.c.deadline_ms <= before_ms)
        .group_by(tasks.c.queue)
    )
    return list(conn.execute(query))
