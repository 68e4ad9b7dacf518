"""Timers: SLA breaches and expired leases. Timers are rows, so they survive restarts; every process may sweep
(on PostgreSQL ``SKIP LOCKED`` hands each due row to one sweeper, and the state change makes the fallback
apply exactly once)."""

from __future__ import annotations

from dataclasses import dataclass

from inloop.domain.review import PRIORITY_ESCALATED
from inloop.services.context import Context, iso, record
from inloop.services.intake import decision
from inloop.storage import items, tasks
from inloop.storage.database import Connection

BATCH = 100


@dataclass
class SweepResult:
    breached: int = 0
    leases_expired: int = 0


def sweep(ctx: Context) -> SweepResult:
    """Apply due SLA fallbacks and return expired leases to their queues."""
    result = SweepResult()
    while True:
        n = _expire_leases(ctx)
        result.leases_expired += n
        if n < BATCH:
            break
    while True:
        n = _breach_due(ctx)
        result.breached += n
        if n < BATCH:
            break
    return result


def _expire_leases(ctx: Context) -> int:
    now = ctx.clock()
    with ctx.db.write() as conn:
        rows = tasks.expired_leases(conn, now, BATCH)
        for row in rows:
            tasks.reopen(conn, row.id)
            record(
                conn,
                ctx,
                "lease.expired",
                actor="system",
                item_id=row.item_id,
                now_ms=now,
                data={"task_id": row.id, "holder": row.lease_owner},
            )
    return len(rows)


def _breach_due(ctx: Context) -> int:
    now = ctx.clock()
    with ctx.db.read() as conn:
        due = list(items.due_for_sla(conn, now, BATCH))
    for item_id in due:
        _breach(ctx, item_id, now)
    return len(due)


def _breach(ctx: Context, item_id: str, now: int) -> None:
    """One item per transaction, re-checked under its lock, so a breach applies once however many sweep; an
    item another sweeper (or a decision) holds is skipped, not waited for: the holder handles it."""
    with ctx.db.write() as conn:
        item = items.get_unless_locked(conn, item_id)
        if item is None or item.sla_state != "running" or (item.deadline_ms or now + 1) > now:
            return
        # Lock order: item, its tasks, then audit chain heads, as decisions take them (no deadlock on PG).
        for row in tasks.open_for_item(conn, item.id):
            tasks.get(conn, row.id, lock=True)
        task_policy = ctx.policy.task(item.task_type)
        action = task_policy.on_sla_breach
        record(
            conn,
            ctx,
            "sla.breached",
            actor="system",
            item_id=item.id,
            now_ms=now,
            data={"action": action, "deadline": iso(item.deadline_ms)},
        )
        if action == "release":
            final = decision(
                verdict="approve",
                output=item.body["output"],
                by="sla",
                now=now,
                reason="SLA breached: released unreviewed, may be revised",
                provisional=True,
            )
            items.set_fields(
                conn, item.id, status="decided", decision=final, decided_ms=now, sla_state="breached"
            )
            record(
                conn,
                ctx,
                "item.decided",
                actor="system",
                item_id=item.id,
                now_ms=now,
                data={"verdict": "approve", "by": "sla", "provisional": True},
            )
        elif action == "reject":
            final = decision(
                verdict="reject",
                output=ctx.sla_reject_text,
                by="sla",
                now=now,
                reason="SLA breached: safe fallback sent",
                category=None,
            )
            items.set_fields(
                conn, item.id, status="decided", decision=final, decided_ms=now, sla_state="breached"
            )
            for row in tasks.open_for_item(conn, item.id):
                tasks.set_fields(conn, row.id, status="cancelled", done_ms=now, lease_token=None)
            record(
                conn,
                ctx,
                "item.decided",
                actor="system",
                item_id=item.id,
                now_ms=now,
                data={"verdict": "reject", "by": "sla", "provisional": False},
            )
        else:
            _escalate(ctx, conn, item.id, item.task_type, now)


def _escalate(ctx: Context, conn: Connection, item_id: str, task_type: str, now: int) -> None:
    task_policy = ctx.policy.task(task_type)
    sla_ms = int(task_policy.sla.total_seconds() * 1000) if task_policy.sla else 3_600_000
    deadline = now + sla_ms
    top = len(ctx.policy.tiers) - 1
    for row in tasks.open_for_item(conn, item_id):
        tasks.set_fields(
            conn,
            row.id,
            tier_rank=min(row.tier_rank + 1, top),
            priority=PRIORITY_ESCALATED,
            deadline_ms=deadline,
        )
    items.set_fields(conn, item_id, deadline_ms=deadline)
    record(
        conn,
        ctx,
        "item.escalated",
        actor="system",
        item_id=item_id,
        now_ms=now,
        data={"reason": "SLA breached", "deadline": iso(deadline)},
    )
