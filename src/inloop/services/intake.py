"""Submitting an item: validate, route, and store item, routing, review tasks and audit events in one
transaction, so an acknowledged item is never lost and a failed submit leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from inloop.domain.item import Item
from inloop.domain.review import PRIORITY_AUDIT, PRIORITY_ESCALATED, PRIORITY_REVIEW, TaskKind
from inloop.domain.routes import Route
from inloop.domain.routing import Routing
from inloop.errors import Conflict, DuplicateKey, IdempotencyConflict, InvalidRequest, NotFound, Problem
from inloop.ids import new_id
from inloop.services.context import Context, iso, record
from inloop.storage import items, tasks
from inloop.storage.items import ItemRow
from inloop.storage.tasks import NO_DEADLINE, TaskRow

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def body_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def submit(
    ctx: Context, data: Any, *, actor: str, user_id: str | None = None, idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """Store and route one item; returns ``(item resource, created)``. A repeated idempotency key (or item id)
    with the same body returns the original; with a different body it is a conflict."""
    if isinstance(data, dict) and idempotency_key is None and "idempotency_key" in data:
        data = dict(data)
        idempotency_key = data.pop("idempotency_key")
    if idempotency_key is not None and not (
        isinstance(idempotency_key, str) and 0 < len(idempotency_key) <= 200
    ):
        raise InvalidRequest([Problem("idempotency_key", "must be a string of 1 to 200 characters")])
    item = Item.parse(data)
    if item.id is not None and not _SAFE_ID.match(item.id):
        raise InvalidRequest([Problem("id", "use 1-64 letters, digits and _ . : - only")])
    body = item.model_dump(mode="json", exclude={"id"})
    digest = body_hash(body)
    routing = ctx.require_gate().route(item)
    try:
        return _store(ctx, item, body, routing, digest, idempotency_key, actor, user_id), True
    except DuplicateKey:
        # A retry (or a concurrent submit) with the same key or id: the insert, the first statement of the
        # transaction, failed and nothing was written; answer with the original. Trying the insert first
        # spares every first submit a read transaction, and retries are rare.
        existing = _existing(ctx, item, idempotency_key, digest)
        if existing is None:
            raise
        return existing, False


def _existing(ctx: Context, item: Item, key: str | None, digest: str) -> dict[str, Any] | None:
    with ctx.db.read() as conn:
        row = items.by_idempotency_key(conn, key) if key is not None else None
        if row is None and item.id is not None:
            row = items.get(conn, item.id)
            if row is not None and row.body_hash != digest:
                raise Conflict(f"item {item.id!r} exists with a different body")
        if row is None:
            return None
        if row.body_hash != digest:
            raise IdempotencyConflict(key or "")
        return resource(row)


def _store(
    ctx: Context,
    item: Item,
    body: dict[str, Any],
    routing: Routing,
    digest: str,
    key: str | None,
    actor: str,
    user_id: str | None,
) -> dict[str, Any]:
    now = ctx.clock()
    item_id = item.id or new_id("itm")
    task_policy = ctx.policy.task(item.task_type)
    route = routing.route
    pending = route in (Route.QUEUE, Route.ESCALATE)
    deadline = now + int(task_policy.sla.total_seconds() * 1000) if pending and task_policy.sla else None
    decision = _automatic_decision(item, routing, now)
    row = ItemRow(
        id=item_id,
        idempotency_key=key,
        body_hash=digest,
        task_type=item.task_type,
        status="pending" if pending else "decided",
        route=route.value,
        risk=routing.risk,
        queue=task_policy.queue or item.task_type,
        body=body,
        routing=routing.to_dict(),
        policy_version=routing.policy_version,
        deadline_ms=deadline,
        sla_state="running" if deadline is not None else "none",
        decision=decision,
        escaped_error=False,
        submitted_by=user_id,
        created_ms=now,
        decided_ms=None if pending else now,
    )
    with ctx.db.write() as conn:
        items.insert(conn, row)
        record(
            conn,
            ctx,
            "item.created",
            actor=actor,
            item_id=item_id,
            now_ms=now,
            data={"task_type": item.task_type, "idempotency_key": key, "body_hash": digest},
        )
        record(
            conn,
            ctx,
            "item.checked",
            actor="checks",
            item_id=item_id,
            now_ms=now,
            data={
                "checks": [
                    {"name": c.name, "score": round(c.score, 4), "flagged": c.flagged, "judged": c.judged}
                    for c in routing.checks
                ]
            },
        )
        record(
            conn,
            ctx,
            "item.routed",
            actor="policy",
            item_id=item_id,
            now_ms=now,
            data={
                "route": route.value,
                "risk": routing.risk,
                "reasons": list(routing.reasons),
                "flagged": [c.name for c in routing.checks if c.flagged],
                "policy_version": routing.policy_version,
            },
        )
        if pending:
            _open_review_tasks(conn, ctx, row, route, now)
        elif routing.audit_sampled:
            open_task(conn, ctx, row, TaskKind.AUDIT, PRIORITY_AUDIT, now, skills=task_policy.requires.skills)
        if decision is not None:
            record(
                conn,
                ctx,
                "item.decided",
                actor="policy",
                item_id=item_id,
                now_ms=now,
                data=_decided_data(decision),
            )
        if route is Route.ESCALATE:
            record(
                conn,
                ctx,
                "item.escalated",
                actor="policy",
                item_id=item_id,
                now_ms=now,
                data={"reasons": list(routing.reasons)},
            )
    return resource(row)


def _automatic_decision(item: Item, routing: Routing, now: int) -> dict[str, Any] | None:
    if routing.route.releases:
        return decision(
            verdict="approve", output=item.output, by="policy", reason=routing.route.value, now=now
        )
    if routing.route is Route.BLOCK:
        return decision(
            verdict="reject",
            output=None,
            by="policy",
            reason="; ".join(routing.reasons),
            category="policy_violation",
            now=now,
        )
    return None


def decision(
    *,
    verdict: str,
    output: str | None,
    by: str,
    reason: str | None,
    now: int,
    category: str | None = None,
    provisional: bool = False,
) -> dict[str, Any]:
    return {
        "verdict": verdict,
        "output": output,
        "by": by,
        "reason": reason,
        "category": category,
        "provisional": provisional,
        "decided_at": iso(now),
    }


def _decided_data(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("verdict", "by", "category", "provisional")}


def _open_review_tasks(conn: Any, ctx: Context, row: ItemRow, route: Route, now: int) -> None:
    task_policy = ctx.policy.task(row.task_type)
    priority = PRIORITY_ESCALATED if route is Route.ESCALATE else PRIORITY_REVIEW
    for _ in range(task_policy.reviewers):
        open_task(conn, ctx, row, TaskKind.REVIEW, priority, now, skills=task_policy.requires.skills)


def open_task(
    conn: Any,
    ctx: Context,
    row: ItemRow,
    kind: TaskKind,
    priority: int,
    now: int,
    *,
    skills: tuple[str, ...] = (),
    tier_rank: int | None = None,
) -> str:
    task_policy = ctx.policy.task(row.task_type)
    rank = ctx.tier_rank(task_policy.requires.tier) if tier_rank is None else tier_rank
    task_id = new_id("tsk")
    tasks.insert(
        conn,
        TaskRow(
            id=task_id,
            item_id=row.id,
            kind=kind.value,
            queue=row.queue or row.task_type,
            priority=priority,
            status="open",
            tier_rank=rank,
            assigned_to=None,
            lease_token=None,
            lease_owner=None,
            lease_expires_ms=None,
            claimed_ms=None,
            deadline_ms=row.deadline_ms or NO_DEADLINE,
            created_ms=now,
            done_ms=None,
        ),
        skills,
    )
    record(
        conn,
        ctx,
        "task.opened",
        actor="policy",
        item_id=row.id,
        now_ms=now,
        data={"task_id": task_id, "kind": kind.value, "queue": row.queue, "priority": priority},
    )
    return task_id


def get_item(ctx: Context, item_id: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        row = items.get(conn, item_id)
    if row is None:
        raise NotFound("item", item_id)
    return resource(row)


def resource(row: ItemRow) -> dict[str, Any]:
    """The item as the API shows it."""
    return {
        "id": row.id,
        "task_type": row.task_type,
        "status": row.status,
        "route": row.route,
        "risk": row.risk,
        "queue": row.queue,
        "reasons": row.routing.get("reasons", []),
        "checks": row.routing.get("checks", []),
        "audit_sampled": row.routing.get("audit_sampled", False),
        "policy_version": row.policy_version,
        "deadline": iso(row.deadline_ms),
        "sla_state": row.sla_state,
        "decision": row.decision,
        "escaped_error": row.escaped_error,
        "created_at": iso(row.created_ms),
        "item": row.body,
    }
