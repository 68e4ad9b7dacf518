"""Webhook subscriptions and the outbox of deliveries.

An outbox row is written in the same transaction as the change it announces, so an event is announced if and
only if the change committed. Delivery happens later, outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select, update

from inloop.ids import new_id
from inloop.storage.tables import outbox, webhooks


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    url: str
    secret: str
    event: str
    payload: dict[str, Any]
    attempts: int


def insert_webhook(
    conn: Connection,
    *,
    webhook_id: str,
    url: str,
    events: list[str],
    secret: str,
    by: str | None,
    now_ms: int,
) -> None:
    conn.execute(
        webhooks.insert().values(
            id=webhook_id,
            url=url,
            events=events,
            secret=secret,
            active=True,
            created_by=by,
            created_ms=now_ms,
        )
    )


def list_webhooks(conn: Connection) -> list[Any]:
    return list(conn.execute(select(webhooks).order_by(webhooks.c.created_ms)))


def deactivate(conn: Connection, webhook_id: str) -> bool:
    result = conn.execute(
        update(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.active.is_(True)).values(active=False)
    )
    return result.rowcount == 1


_SUBSCRIPTIONS = select(webhooks.c.id, webhooks.c.events).where(webhooks.c.active.is_(True))


def enqueue(
    conn: Connection, *, event: str, item_id: str | None, payload: dict[str, Any], now_ms: int
) -> int:
    """Add one delivery per active webhook subscribed to ``event``; returns how many."""
    subscribed = [w.id for w in conn.execute(_SUBSCRIPTIONS) if event in w.events]
    rows = [
        {
            "id": new_id("msg"),
            "webhook_id": wid,
            "event": event,
            "item_id": item_id,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_ms": now_ms,
            "created_ms": now_ms,
        }
        for wid in subscribed
    ]
    if rows:
        conn.execute(outbox.insert(), rows)
    return len(rows)


def take_due(conn: Connection, now_ms: int, limit: int, lease_ms: int) -> list[Delivery]:
    """Lease due deliveries (pending, or delivering with a lease expired by a crash) for one dispatcher."""
    query = (
        select(outbox, webhooks.c.url, webhooks.c.secret)
        .join(webhooks, webhooks.c.id == outbox.c.webhook_id)
        .where(
            or_(
                (outbox.c.status == "pending") & (outbox.c.next_attempt_ms <= now_ms),
                (outbox.c.status == "delivering") & (outbox.c.lease_expires_ms < now_ms),
            )
        )
        .order_by(outbox.c.next_attempt_ms)
        .limit(limit)
        .with_for_update(of=outbox, skip_locked=True)
    )
    rows = list(conn.execute(query))
    for r in rows:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == r.id)
            .values(status="delivering", lease_expires_ms=now_ms + lease_ms, attempts=r.attempts + 1)
        )
    return [Delivery(r.id, r.webhook_id, r.url, r.secret, r.event, r.payload, r.attempts + 1) for r in rows]


def finish(conn: Connection, delivery_id: str, **values: Any) -> None:
    conn.execute(update(outbox).where(outbox.c.id == delivery_id).values(lease_expires_ms=None, **values))


def deliveries(conn: Connection, *, status: str | None = None, limit: int = 100) -> list[Any]:
    query = select(outbox).order_by(outbox.c.created_ms.desc()).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    return list(conn.execute(query))


def resend(conn: Connection, delivery_id: str, now_ms: int) -> bool:
    result = conn.execute(
        update(outbox)
        .where(outbox.c.id == delivery_id, outbox.c.status == "failed")
        .values(status="pending", next_attempt_ms=now_ms, attempts=0, last_error=None)
    )
    return result.rowcount == 1
