"""Claiming, holding and deciding review tasks; finalising an item when its reviews agree.

Each call is one transaction: a claim leases the tasks and records the claim together; a decision checks the
lease, stores the review, finalises the item (or opens an adjudication) and queues the webhooks together. A
decision on a stale or foreign lease changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from random import Random
from typing import Any

from inloop.domain.access import Action
from inloop.domain.review import (
    PRIORITY_ESCALATED,
    TaskKind,
    Verdict,
    Vote,
    consensus,
    meets,
    validate_decision,
)
from inloop.errors import Conflict, InvalidRequest, LeaseConflict, NotFound, Problem
from inloop.ids import new_id, new_secret
from inloop.services import gold
from inloop.services.accounts import Principal, principal
from inloop.services.context import Context, iso, record
from inloop.services.intake import decision, open_task, resource
from inloop.storage import items, reviews, tasks, users
from inloop.storage.database import Connection
from inloop.storage.gold import GOLD
from inloop.storage.items import ItemRow
from inloop.storage.tasks import Claimant, TaskRow


def _lease_ms(ctx: Context, seconds: float | None) -> int:
    value = ctx.lease_seconds if seconds is None else seconds
    if not 1 <= value <= ctx.max_lease_seconds:
        raise InvalidRequest([Problem("lease_seconds", f"must be between 1 and {ctx.max_lease_seconds}")])
    return int(value * 1000)


def claim(
    ctx: Context,
    who: Principal,
    *,
    queue: str | None = None,
    limit: int = 1,
    lease_seconds: float | None = None,
    rng: Random | None = None,
) -> list[dict[str, Any]]:
    """Lease up to ``limit`` tasks ``who`` may take, and return them with their items (one review task may
    be a gold task in disguise: ``rng`` draws the policy's gold rate, see :mod:`inloop.services.gold`)."""
    who.require(Action.REVIEW)
    if not 1 <= limit <= 100:
        raise InvalidRequest([Problem("limit", "must be between 1 and 100")])
    lease_ms = _lease_ms(ctx, lease_seconds)
    kinds = {TaskKind.REVIEW.value, TaskKind.AUDIT.value}
    if who.can(Action.ADJUDICATE):
        kinds.add(TaskKind.ADJUDICATION.value)
    claimant = Claimant(who.id, ctx.tier_rank(who.tier), who.skills, frozenset(kinds))
    now = ctx.clock()
    with ctx.db.write() as conn:
        rows = tasks.claim(
            conn,
            claimant,
            queue=queue,
            limit=limit,
            now_ms=now,
            lease_ms=lease_ms,
            tokens=[new_secret("lease", 18) for _ in range(limit)],
        )
        rows = gold.mix(conn, ctx, claimant, rows, now, rng)
        for row in rows:  # audit.flush writes the events chain by chain, in one global lock order
            record_claim(conn, ctx, who, row, now)
        return [task_view(conn, row) for row in rows]


def record_claim(conn: Connection, ctx: Context, who: Principal, row: TaskRow, now: int) -> None:
    """The ``task.claimed`` event, with how long the task waited in its queue."""
    record(
        conn,
        ctx,
        "task.claimed",
        actor=who.actor,
        item_id=row.item_id,
        now_ms=now,
        data={
            "task_id": row.id,
            "kind": row.kind,
            "lease_expires_at": iso(row.lease_expires_ms),
            "waited_ms": now - row.created_ms,
        },
    )


def task_view(conn: Connection, row: TaskRow) -> dict[str, Any]:
    """A claimed task as the API and the console show it; adjudications and audits carry the reviews."""
    item = items.get(conn, row.item_id)
    assert item is not None
    body = resource(item)
    if row.kind in (TaskKind.ADJUDICATION.value, TaskKind.AUDIT.value):
        body["reviews"] = reviews_of(conn, row.item_id, kinds=(TaskKind.REVIEW.value,))
    view = {
        "id": row.id,
        "kind": row.kind,
        "queue": row.queue,
        "priority": row.priority,
        "item": body,
        "lease_token": row.lease_token,
        "lease_expires_at": iso(row.lease_expires_ms),
        "lease_expires_ms": row.lease_expires_ms,
        "deadline": iso(item.deadline_ms),
        "deadline_ms": item.deadline_ms,
    }
    return gold.disguise(view, row) if row.kind == GOLD else view


def reviews_of(conn: Connection, item_id: str, kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    out = []
    for r in reviews.for_item(conn, item_id, kinds):
        out.append(
            {
                "id": r.id,
                "task_id": r.task_id,
                "kind": r.kind,
                "reviewer": r.reviewer_name,
                "verdict": r.verdict,
                "output": r.output,
                "reason": r.reason,
                "category": r.category,
                "decided_at": iso(r.decided_ms),
                "handling_ms": r.handling_ms,
            }
        )
    return out


def heartbeat(
    ctx: Context, who: Principal, task_id: str, lease_token: str, lease_seconds: float | None = None
) -> dict[str, Any]:
    """Extend a live lease; a stale or foreign one is a conflict."""
    lease_ms = _lease_ms(ctx, lease_seconds)
    now = ctx.clock()
    with ctx.db.write() as conn:
        row = _held(conn, task_id, lease_token, who, now)
        tasks.set_fields(conn, task_id, lease_expires_ms=now + lease_ms)
    return {"id": row.id, "lease_token": lease_token, "lease_expires_at": iso(now + lease_ms)}


def release(ctx: Context, who: Principal, task_id: str, lease_token: str) -> None:
    """Give the task back to its queue at once."""
    now = ctx.clock()
    with ctx.db.write() as conn:
        row = _held(conn, task_id, lease_token, who, now)
        tasks.reopen(conn, task_id)
        record(
            conn,
            ctx,
            "task.released",
            actor=who.actor,
            item_id=row.item_id,
            now_ms=now,
            data={"task_id": task_id},
        )


def _held(conn: Connection, task_id: str, token: str, who: Principal, now: int) -> TaskRow:
    """The task, locked, if ``who`` holds a live lease on it with ``token``; else a conflict."""
    return _lease_checked(tasks.get(conn, task_id, lock=True), task_id, token, who, now)


def _lease_checked(row: TaskRow | None, task_id: str, token: str, who: Principal, now: int) -> TaskRow:
    if row is not None and tasks.leased_to(row, token, who.id, now):
        return row
    if row is None:
        raise NotFound("task", task_id)
    if row.status == "done":
        raise LeaseConflict(task_id, "the task is already decided")
    raise LeaseConflict(task_id, "the lease is stale, expired or held by someone else")


def decide(
    ctx: Context,
    who: Principal,
    task_id: str,
    *,
    lease_token: str,
    verdict: str,
    output: str | None = None,
    reason: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """Record a decision under a live lease; returns the item resource as it stands after it."""
    parsed = validate_decision(verdict, output, reason, category, ctx.policy.categories)
    now = ctx.clock()
    with ctx.db.write() as conn:
        # The item is locked first: every transaction that writes an item and its tasks takes the item, then
        # its tasks, then audit chain heads (as the SLA sweep does); on PostgreSQL a decision racing a
        # breach of the same item then waits for it instead of deadlocking.
        item = items.get_for_task_locked(conn, task_id)
        item_tasks = tasks.for_item(conn, item.id, lock=True) if item is not None else []
        mine = next((t for t in item_tasks if t.id == task_id), None)
        task = _lease_checked(mine, task_id, lease_token, who, now)
        assert item is not None  # a task has an item
        if task.kind == GOLD:  # scored, never applied to the item
            return gold.answer(
                conn, ctx, who, task, verdict=parsed, output=output, reason=reason, category=category, now=now
            )
        if task.kind == TaskKind.ADJUDICATION.value:
            who.require(Action.ADJUDICATE)
        reviews.record_decision(
            conn,
            task,
            review_id=new_id("rev"),
            kind=task.kind,
            reviewer=who.id,
            verdict=parsed.value,
            output=output,
            reason=reason,
            category=category,
            now_ms=now,
        )
        record(
            conn,
            ctx,
            "review.decided",
            actor=who.actor,
            item_id=task.item_id,
            now_ms=now,
            data={
                "task_id": task.id,
                "kind": task.kind,
                "verdict": parsed.value,
                "category": category,
                "reason": reason,
                "edited": output is not None,
                "handling_ms": now - (task.claimed_ms or now),
            },
        )
        vote = Vote(parsed, output)
        if task.kind == TaskKind.AUDIT.value:
            item = _audited(conn, ctx, who, item, vote, reason, category, now)
        elif task.kind == TaskKind.ADJUDICATION.value:
            item = _finalise(conn, ctx, item, vote, who.actor, reason, category, now, adjudicated=True)
        else:
            # the review as reviews_of would read it back (reason stored as "" when none)
            review = {
                "verdict": parsed.value,
                "output": output,
                "reviewer": who.name,
                "reason": reason or "",
                "category": category,
            }
            item_tasks = [replace(t, status="done") if t.id == task.id else t for t in item_tasks]
            item = _after_review(conn, ctx, item, item_tasks, review, now)
        return resource(item)


def _after_review(
    conn: Connection,
    ctx: Context,
    item: ItemRow,
    item_tasks: list[TaskRow],
    mine: dict[str, Any],
    now: int,
) -> ItemRow:
    """When every review task of the item is done: finalise on agreement, else open an adjudication.
    ``mine`` is the review just stored; when it is the item's only review the reviews are not read back."""
    siblings = [t for t in item_tasks if t.kind == TaskKind.REVIEW.value]
    if any(t.status in ("open", "leased") for t in siblings):
        return item
    done = [mine] if len(siblings) == 1 else reviews_of(conn, item.id, kinds=(TaskKind.REVIEW.value,))
    votes = [Vote(Verdict(r["verdict"]), r["output"]) for r in done]
    rule = ctx.policy.task(item.task_type).consensus
    agreed = consensus(votes, rule)
    if agreed is not None:
        last = done[-1]
        by = ", ".join(f"user:{r['reviewer']}" for r in done)
        still_open = any(t.status in ("open", "leased") for t in item_tasks)
        return _finalise(
            conn, ctx, item, agreed, by, last["reason"], last["category"], now, cancel_open=still_open
        )
    adjudication = open_task(conn, ctx, item, TaskKind.ADJUDICATION, PRIORITY_ESCALATED, now)
    record(
        conn,
        ctx,
        "review.disagreement",
        actor="policy",
        item_id=item.id,
        now_ms=now,
        data={"adjudication_task": adjudication, "verdicts": [r["verdict"] for r in done]},
    )
    return item


def _finalise(
    conn: Connection,
    ctx: Context,
    item: ItemRow,
    vote: Vote,
    by: str,
    reason: str | None,
    category: str | None,
    now: int,
    *,
    adjudicated: bool = False,
    cancel_open: bool = True,
) -> ItemRow:
    """Decide the (locked) item and cancel its other open tasks; returns the item as it now stands."""
    final = decision(
        verdict=vote.verdict.value,
        output=vote.final_output(item.body["output"]),
        by=by,
        reason=reason,
        category=category,
        now=now,
    )
    was_released = item.decision is not None and item.decision.get("provisional")
    sla_state = "done" if item.sla_state == "running" else item.sla_state
    items.decide(conn, item.id, decision=final, decided_ms=now, sla_state=sla_state)
    if cancel_open:
        tasks.cancel_open(conn, item.id, now)
    event = "item.revised" if was_released and vote.verdict is not Verdict.APPROVE else "item.decided"
    data = {"verdict": final["verdict"], "category": category, "by": by}
    if adjudicated:
        record(conn, ctx, "review.adjudicated", actor=by, item_id=item.id, now_ms=now, data=data)
    record(conn, ctx, event, actor=by, item_id=item.id, now_ms=now, data=data)
    return replace(item, status="decided", decision=final, decided_ms=now, sla_state=sla_state)


def _audited(
    conn: Connection,
    ctx: Context,
    who: Principal,
    item: ItemRow,
    vote: Vote,
    reason: str | None,
    category: str | None,
    now: int,
) -> ItemRow:
    """A post-hoc audit: an error found in a released output is an escaped error, announced as a revision."""
    if vote.verdict is Verdict.APPROVE:
        return item
    revised = decision(
        verdict=vote.verdict.value,
        output=vote.final_output(item.body["output"]),
        by=who.actor,
        reason=reason,
        category=category,
        now=now,
    )
    changes: dict[str, Any] = {
        "escaped_error": True,
        "decision": {**(item.decision or {}), "revised": revised},
    }
    items.set_fields(conn, item.id, **changes)
    record(
        conn,
        ctx,
        "item.revised",
        actor=who.actor,
        item_id=item.id,
        now_ms=now,
        data={"verdict": vote.verdict.value, "category": category, "escaped_error": True},
    )
    return replace(item, **changes)


def _check_can_take(conn: Connection, ctx: Context, who: Principal, rows: list[TaskRow]) -> None:
    """An assignee must be able to claim every task assigned, or the item would be stuck."""
    for row in rows:
        action = Action.ADJUDICATE if row.kind == TaskKind.ADJUDICATION.value else Action.REVIEW
        skills = frozenset(tasks.skills_of(conn, row.id))
        if not who.can(action) or not meets(ctx.tier_rank(who.tier), who.skills, row.tier_rank, skills):
            raise InvalidRequest(
                [Problem("reviewer", f"{who.name} may not take task {row.id} (role, tier or skills)")]
            )


def assign(ctx: Context, lead: Principal, item_id: str, reviewer_name: str | None) -> list[str]:
    """Route an item's open tasks to one named reviewer (or back to everyone with ``None``)."""
    lead.require(Action.ASSIGN)
    now = ctx.clock()
    with ctx.db.write() as conn:
        if items.get(conn, item_id) is None:
            raise NotFound("item", item_id)
        open_rows = [t for t in tasks.open_for_item(conn, item_id) if t.status == "open"]
        if not open_rows:
            raise Conflict(f"item {item_id} has no open task to assign")
        reviewer_id = None
        if reviewer_name is not None:
            user = users.by_name(conn, reviewer_name)
            if user is None:
                raise NotFound("user", reviewer_name)
            _check_can_take(conn, ctx, principal(user), open_rows)
            reviewer_id = user.id
        for row in open_rows:
            tasks.set_fields(conn, row.id, assigned_to=reviewer_id)
        record(
            conn,
            ctx,
            "task.assigned",
            actor=lead.actor,
            item_id=item_id,
            now_ms=now,
            data={"to": reviewer_name, "tasks": [t.id for t in open_rows]},
        )
        return [t.id for t in open_rows]
