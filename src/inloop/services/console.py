"""Use cases of the reviewer console that the API does not have: sessions' users, claiming one kind of task
(review, adjudication or audit) and resuming a held one, the pages' reads, and user administration.

Claims here are the workflow's claim (:func:`inloop.storage.tasks.claim`, the same lease, audit event and
ordering as :func:`inloop.services.review.claim`) restricted to some task kinds, so the review, adjudication
and audit views each draw only their own work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from random import Random
from typing import Any

from argon2 import PasswordHasher

from inloop.domain.access import Action, Role
from inloop.domain.review import TaskKind
from inloop.errors import Conflict, InvalidRequest, LeaseConflict, NotFound, Problem
from inloop.ids import new_secret
from inloop.services import gold
from inloop.services.accounts import Principal, principal
from inloop.services.context import Context, iso, record
from inloop.services.intake import resource
from inloop.services.queues import queue_stats
from inloop.services.review import record_claim, reviews_of, task_view
from inloop.storage import audit, console, items, tasks, users
from inloop.storage.gold import GOLD
from inloop.storage.tasks import Claimant

_hasher = PasswordHasher()

REVIEW_KINDS = frozenset({TaskKind.REVIEW.value})
ADJUDICATION_KINDS = frozenset({TaskKind.ADJUDICATION.value})
AUDIT_KINDS = frozenset({TaskKind.AUDIT.value})


def fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored password hash: a session carries it, so changing the password ends it."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def session_user(ctx: Context, user_id: str) -> tuple[Principal, str] | None:
    """The user a console session names, with their password fingerprint; None when gone or disabled."""
    with ctx.db.read() as conn:
        row = users.by_id(conn, user_id)
    if row is None or row.disabled or row.password_hash is None:
        return None
    return principal(row), fingerprint(row.password_hash)


# --- review work --------------------------------------------------------------------------------------------


def _require_for(who: Principal, kinds: frozenset[str]) -> None:
    who.require(Action.ADJUDICATE if TaskKind.ADJUDICATION.value in kinds else Action.REVIEW)


def claim_next(
    ctx: Context,
    who: Principal,
    *,
    kinds: frozenset[str],
    queue: str | None = None,
    resume: bool = True,
    lease_seconds: float | None = None,
    rng: Random | None = None,
) -> dict[str, Any] | None:
    """The task ``who`` works on next: one they already hold (``resume``), else a new claim; None if none.
    A held gold task resumes where review tasks do, since it is shown as one."""
    _require_for(who, kinds)
    now = ctx.clock()
    if resume:
        held_kinds = kinds | {GOLD} if TaskKind.REVIEW.value in kinds else kinds
        with ctx.db.read() as conn:
            row = console.held_by(conn, who.id, now, kinds=held_kinds, queue=queue)
            if row is not None:
                return task_view(conn, row)
    seconds = ctx.lease_seconds if lease_seconds is None else lease_seconds
    claimant = Claimant(who.id, ctx.tier_rank(who.tier), who.skills, kinds)
    with ctx.db.write() as conn:
        rows = tasks.claim(
            conn,
            claimant,
            queue=queue,
            limit=1,
            now_ms=now,
            lease_ms=int(seconds * 1000),
            tokens=[new_secret("lease", 18)],
        )
        rows = gold.mix(conn, ctx, claimant, rows, now, rng)
        if not rows:
            return None
        row = rows[0]
        record_claim(conn, ctx, who, row, now)
        return task_view(conn, row)


def held_task(ctx: Context, who: Principal, task_id: str) -> dict[str, Any]:
    """A task ``who`` holds a live lease on, as :func:`claim_next` shows it."""
    now = ctx.clock()
    with ctx.db.read() as conn:
        row = tasks.get(conn, task_id)
        if row is None:
            raise NotFound("task", task_id)
        if row.status != "leased" or row.lease_owner != who.id or (row.lease_expires_ms or 0) < now:
            raise LeaseConflict(task_id, "you do not hold this task (decided, released or expired)")
        return task_view(conn, row)


def claimable(ctx: Context, who: Principal) -> dict[str, dict[str, int]]:
    """``{queue: {kind: n}}``: open tasks ``who`` could claim now."""
    kinds = set()
    if who.can(Action.REVIEW):
        kinds |= {TaskKind.REVIEW.value, TaskKind.AUDIT.value}
    if who.can(Action.ADJUDICATE):
        kinds.add(TaskKind.ADJUDICATION.value)
    if not kinds:
        return {}
    claimant = Claimant(who.id, ctx.tier_rank(who.tier), who.skills, frozenset(kinds))
    with ctx.db.read() as conn:
        rows = console.claimable_counts(conn, claimant)
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r.queue, {})[r.kind] = int(r.n)
    return out


def queue_overview(ctx: Context, who: Principal) -> dict[str, Any]:
    stats = queue_stats(ctx, who)
    mine = claimable(ctx, who)
    for q in stats["queues"]:
        q["claimable"] = mine.get(q["queue"], {})
    return stats


def open_tasks(ctx: Context, who: Principal, kind: str, limit: int = 200) -> list[dict[str, Any]]:
    who.require(Action.READ_QUEUES)
    now = ctx.clock()
    with ctx.db.read() as conn:
        rows = console.open_tasks_of_kind(conn, kind, limit)
    return [
        {
            "id": r.id,
            "item_id": r.item_id,
            "queue": r.queue,
            "status": r.status,
            "holder": r.holder if r.status == "leased" else None,
            "task_type": r.task_type,
            "route": r.route,
            "risk": r.risk,
            "age_seconds": max(0, (now - r.created_ms) // 1000),
            "deadline_ms": r.deadline_ms if r.deadline_ms < tasks.NO_DEADLINE else None,
        }
        for r in rows
    ]


def recent_reviews(ctx: Context, who: Principal, kind: str, limit: int = 50) -> list[dict[str, Any]]:
    who.require(Action.READ_QUEUES)
    with ctx.db.read() as conn:
        rows = console.recent_reviews_of_kind(conn, kind, limit)
    return [
        {
            "item_id": r.item_id,
            "verdict": r.verdict,
            "category": r.category,
            "reason": r.reason,
            "decided_at": iso(r.decided_ms),
            "reviewer": r.reviewer,
            "task_type": r.task_type,
            "escaped_error": bool(r.escaped_error),
        }
        for r in rows
    ]


# --- items --------------------------------------------------------------------------------------------------


def item_page(ctx: Context, who: Principal, item_id: str) -> dict[str, Any]:
    """The item, every review of it, its tasks, and (for roles that may read the audit trail) its events."""
    who.require(Action.READ_ITEMS)
    with ctx.db.read() as conn:
        row = items.get(conn, item_id)
        if row is None:
            raise NotFound("item", item_id)
        body = resource(row)
        item_reviews = [r for r in reviews_of(conn, item_id) if r["kind"] != GOLD]  # gold answers are tests
        item_tasks = [
            {
                "id": t.id,
                "kind": t.kind,
                "queue": t.queue,
                "status": t.status,
                "priority": t.priority,
                "created_at": iso(t.created_ms),
                "done_at": iso(t.done_ms),
            }
            for t in tasks.for_item(conn, item_id)
            if t.kind != GOLD
        ]
        body, item_reviews, item_tasks = gold.as_seen_by(conn, who.id, body, item_reviews, item_tasks)
        events = (
            [e.to_dict() for e in audit.item_events(conn, item_id)] if who.can(Action.READ_AUDIT) else None
        )
    for e in events or []:
        e["at"] = iso(e["at_ms"])
    return {"item": body, "reviews": item_reviews, "tasks": item_tasks, "events": events}


def recent_items(
    ctx: Context, who: Principal, *, status: str | None = None, route: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    who.require(Action.READ_ITEMS)
    with ctx.db.read() as conn:
        rows = console.recent_items(conn, limit=limit, status=status, route=route)
    return [
        {
            "id": r.id,
            "task_type": r.task_type,
            "status": r.status,
            "route": r.route,
            "risk": r.risk,
            "queue": r.queue,
            "created_at": iso(r.created_ms),
            "decided_at": iso(r.decided_ms),
            "escaped_error": bool(r.escaped_error),
        }
        for r in rows
    ]


# --- administration -----------------------------------------------------------------------------------------


def list_users(ctx: Context, who: Principal) -> list[dict[str, Any]]:
    """Every user with their API keys (prefix, created, revoked); never a key or a hash."""
    who.require(Action.MANAGE_USERS)
    with ctx.db.read() as conn:
        rows = users.all_users(conn)
        keys = {u.id: users.keys_of(conn, u.id) for u in rows}
    return [
        {
            "id": u.id,
            "name": u.name,
            "role": u.role,
            "tier": u.tier,
            "skills": list(u.skills),
            "disabled": u.disabled,
            "has_password": u.password_hash is not None,
            "created_at": iso(u.created_ms),
            "keys": [
                {
                    "id": k.id,
                    "prefix": k.prefix,
                    "created_at": iso(k.created_ms),
                    "revoked_at": iso(k.revoked_ms),
                }
                for k in sorted(keys[u.id], key=lambda k: k.created_ms)
            ],
        }
        for u in rows
    ]


def update_user(
    ctx: Context,
    who: Principal,
    name: str,
    *,
    role: str,
    tier: str | None,
    skills: Iterable[str],
    disabled: bool,
) -> None:
    """Change a user's role, tier, skills or disabled flag (recorded in the audit trail)."""
    who.require(Action.MANAGE_USERS)
    problems = []
    if role not in {r.value for r in Role}:
        problems.append(Problem("role", f"must be one of {', '.join(r.value for r in Role)}"))
    if tier is not None and tier not in ctx.tiers:
        problems.append(Problem("tier", f"unknown tier {tier!r} (tiers: {', '.join(ctx.tiers)})"))
    if problems:
        raise InvalidRequest(problems)
    skill_list = sorted({s.strip() for s in skills if s.strip()})
    with ctx.db.write() as conn:
        row = users.by_name(conn, name)
        if row is None:
            raise NotFound("user", name)
        if row.id == who.id and (disabled or role != Role.ADMIN.value):
            raise Conflict("you cannot disable yourself or take away your own admin role")
        users.update_user(conn, row.id, role=role, tier=tier, skills=skill_list, disabled=disabled)
        record(
            conn,
            ctx,
            "user.updated",
            actor=who.actor,
            data={
                "name": name,
                "before": {
                    "role": row.role,
                    "tier": row.tier,
                    "skills": row.skills,
                    "disabled": row.disabled,
                },
                "after": {"role": role, "tier": tier, "skills": skill_list, "disabled": disabled},
            },
        )


def set_password(ctx: Context, who: Principal, name: str, password: str) -> None:
    """Set a user's console password (which ends their console sessions)."""
    who.require(Action.MANAGE_USERS)
    if len(password) < 8:
        raise InvalidRequest([Problem("password", "at least 8 characters")])
    with ctx.db.write() as conn:
        row = users.by_name(conn, name)
        if row is None:
            raise NotFound("user", name)
        users.update_user(conn, row.id, password_hash=_hasher.hash(password))
        record(conn, ctx, "user.password_set", actor=who.actor, data={"name": name})
