"""Rows of the ``items`` table: the submitted item, its routing, its SLA state and its final decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from inloop.errors import DuplicateKey
from inloop.storage.tables import items, tasks


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: str
    idempotency_key: str | None
    body_hash: str
    task_type: str
    status: str
    route: str
    risk: str
    queue: str | None
    body: dict[str, Any]
    routing: dict[str, Any]
    policy_version: str
    deadline_ms: int | None
    sla_state: str
    decision: dict[str, Any] | None
    escaped_error: bool
    submitted_by: str | None
    created_ms: int
    decided_ms: int | None


def _row(r: Any) -> ItemRow:
    return ItemRow(**r._mapping)


_INSERT = items.insert()
_GET = select(items).where(items.c.id == bindparam("id"))
_GET_LOCKED = _GET.with_for_update()
_GET_UNLESS_LOCKED = _GET.with_for_update(skip_locked=True)
_GET_FOR_TASK_LOCKED = (
    select(items)
    .where(items.c.id == select(tasks.c.item_id).where(tasks.c.id == bindparam("task_id")).scalar_subquery())
    .with_for_update(of=items)
)


def insert(conn: Connection, row: ItemRow) -> None:
    """Insert; a concurrent insert of the same id or idempotency key raises :class:`DuplicateKey` (the
    transaction is then unusable and must end, which the caller's ``with`` block does)."""
    try:
        conn.execute(_INSERT, {f: getattr(row, f) for f in ItemRow.__slots__})  # asdict would deep-copy
    except IntegrityError:
        raise DuplicateKey(f"item {row.id} or its idempotency key exists") from None


def get(conn: Connection, item_id: str, *, lock: bool = False) -> ItemRow | None:
    r = conn.execute(_GET_LOCKED if lock else _GET, {"id": item_id}).first()
    return _row(r) if r else None


def get_for_task_locked(conn: Connection, task_id: str) -> ItemRow | None:
    """The item of a task, locked (the task row is only read): one round trip instead of two."""
    r = conn.execute(_GET_FOR_TASK_LOCKED, {"task_id": task_id}).first()
    return _row(r) if r else None


def get_unless_locked(conn: Connection, item_id: str) -> ItemRow | None:
    """The item, locked; None when it does not exist or another transaction holds it (PostgreSQL)."""
    r = conn.execute(_GET_UNLESS_LOCKED, {"id": item_id}).first()
    return _row(r) if r else None


def by_idempotency_key(conn: Connection, key: str) -> ItemRow | None:
    r = conn.execute(select(items).where(items.c.idempotency_key == key)).first()
    return _row(r) if r else None


_DECIDE = (
    update(items)
    .where(items.c.id == bindparam("item_id"))
    .values(
        status="decided",
        decision=bindparam("final"),
        decided_ms=bindparam("at_ms"),
        sla_state=bindparam("new_sla_state"),
    )
)


def decide(
    conn: Connection, item_id: str, *, decision: dict[str, Any], decided_ms: int, sla_state: str
) -> None:
    """Record an item's final decision (prebuilt: every review that finalises an item runs it)."""
    conn.execute(
        _DECIDE, {"item_id": item_id, "final": decision, "at_ms": decided_ms, "new_sla_state": sla_state}
    )


def set_fields(conn: Connection, item_id: str, **values: Any) -> None:
    conn.execute(update(items).where(items.c.id == item_id).values(**values))


def due_for_sla(conn: Connection, now_ms: int, limit: int) -> Sequence[str]:
    """Ids of items whose SLA deadline has passed, locked and skipped by other sweepers (PostgreSQL)."""
    query = (
        select(items.c.id)
        .where(items.c.sla_state == "running", items.c.deadline_ms <= now_ms)
        .order_by(items.c.deadline_ms)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(conn.execute(query).scalars())
