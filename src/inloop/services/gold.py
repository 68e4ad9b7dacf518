"""Gold items: decided items an admin marks with a known answer, mixed into reviewers' claims to score them.

- **Marking** needs a *decided* item (an item still in review would meet its own reviewers again, and its
  finalisation would cancel the gold task under the reviewer's hands). The answer follows the rules of a
  decision (:func:`validate_decision`); marking again replaces it, unmarking sets ``active = false`` and keeps
  the row, so past answers stay scored.
- **Mixing**: when a claim leases a review task, with probability ``policy.gold.rate`` (the RNG is a
  parameter, seeded in tests) that task goes back to the queue untouched and the reviewer gets, in the same
  transaction, a fresh task of kind ``gold`` on an active gold item of the same queue that they never
  reviewed, answered or held, and whose tier and skills they meet. Only a claim that found real work is
  mixed, so an empty queue never yields a task.
- **Disguise**: a gold task is shown exactly as a review task of a pending item (:func:`disguise`): kind
  ``review``, status ``pending``, no decision, a deadline counted from the claim by the task type's SLA,
  submitted at the claim. A decision on it answers as a first review of that item would.
- **Answering** stores a review of kind ``gold`` and the ``gold.answered`` audit event; it never changes the
  item, fires a webhook or finalises anything.
- **Scoring**: a gold answer is correct when its verdict equals the known verdict; any ``edit`` of a gold
  ``edit`` counts as correct (edited texts are free-form, so only the verdict is compared). Answers are
  scored against the current known answer, so correcting a gold answer rescores the past.

Gold tasks and reviews carry ``kind = 'gold'``; aggregates of real traffic (labels, dashboard, exports) filter
them out by that kind.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from inloop.domain.access import Action
from inloop.domain.policy import DEFAULT_CATEGORIES
from inloop.domain.review import (
    PRIORITY_ESCALATED,
    PRIORITY_REVIEW,
    TaskKind,
    Verdict,
    Vote,
    meets,
    validate_decision,
)
from inloop.errors import Conflict, NotFound
from inloop.ids import new_id
from inloop.services.accounts import Principal
from inloop.services.context import Context, iso, record
from inloop.services.intake import decision, resource
from inloop.storage import gold, items, reviews, tasks
from inloop.storage.database import Connection
from inloop.storage.gold import GOLD, GoldRow
from inloop.storage.tasks import NO_DEADLINE, Claimant, TaskRow

CANDIDATES = 200  # gold items considered per mixed claim; one is drawn at random among them
_rng = random.Random()  # noqa: S311 - sampling work, not a secret: the reviewer never sees the draw


def _categories(ctx: Context) -> Sequence[str]:
    return ctx.policy.categories if ctx.gate is not None else DEFAULT_CATEGORIES


def _view(row: GoldRow) -> dict[str, Any]:
    return {
        "item_id": row.item_id,
        "verdict": row.verdict,
        "output": row.output,
        "category": row.category,
        "active": row.active,
        "created_at": iso(row.created_ms),
    }


# --- marking ------------------------------------------------------------------------------------------------


def mark(
    ctx: Context,
    item_id: str,
    *,
    verdict: str,
    output: str | None = None,
    category: str | None = None,
    actor: str,
    user_id: str | None = None,
) -> dict[str, Any]:
    """Make a decided item gold with its known answer (or replace its answer); callers check the role."""
    parsed = validate_decision(verdict, output, None, category, _categories(ctx))
    now = ctx.clock()
    with ctx.db.write() as conn:
        item = items.get(conn, item_id, lock=True)
        if item is None:
            raise NotFound("item", item_id)
        if item.status != "decided":
            raise Conflict(f"item {item_id} is still {item.status}: only a decided item can be gold")
        before = gold.get(conn, item_id)
        row = GoldRow(item_id, parsed.value, output, category, True, user_id, now)
        gold.upsert(conn, row)
        record(
            conn,
            ctx,
            "gold.marked",
            actor=actor,
            item_id=item_id,
            now_ms=now,
            data={
                "verdict": parsed.value,
                "category": category,
                "edited": output is not None,
                "replaced": before.verdict if before is not None and before.active else None,
            },
        )
    return _view(row)


def unmark(ctx: Context, item_id: str, *, actor: str) -> dict[str, Any]:
    """Stop mixing an item in; its past answers stay scored. Unmarking twice changes nothing."""
    now = ctx.clock()
    with ctx.db.write() as conn:
        row = gold.get(conn, item_id)
        if row is None:
            raise NotFound("gold item", item_id)
        if row.active:
            gold.set_active(conn, item_id, False)
            record(conn, ctx, "gold.unmarked", actor=actor, item_id=item_id, now_ms=now, data={})
    return {**_view(row), "active": False}


def answer_of(ctx: Context, item_id: str) -> dict[str, Any] | None:
    """The item's gold answer (active or not), or None."""
    with ctx.db.read() as conn:
        row = gold.get(conn, item_id)
    return _view(row) if row is not None else None


def listing(ctx: Context, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Gold items with their known answers and how many times each was answered."""
    with ctx.db.read() as conn:
        rows = gold.listing(conn, include_inactive=include_inactive)
    return [
        {
            **_view(GoldRow(r.item_id, r.verdict, r.output, r.category, bool(r.active), None, r.created_ms)),
            "task_type": r.task_type,
            "queue": r.queue,
            "created_by": r.created_by_name,
            "answered": int(r.answered),
        }
        for r in rows
    ]


def default_answer(item: dict[str, Any]) -> dict[str, Any]:
    """The answer the console proposes: the item's final decision (an audit's revision when there is one)."""
    d = item.get("decision") or {}
    d = d.get("revised") or d
    verdict = d.get("verdict") or Verdict.APPROVE.value
    return {
        "verdict": verdict,
        "output": d.get("output") if verdict == Verdict.EDIT.value else None,
        "category": d.get("category"),
    }


# --- mixing and disguise ------------------------------------------------------------------------------------


def mix(
    conn: Connection,
    ctx: Context,
    who: Claimant,
    rows: list[TaskRow],
    now: int,
    rng: random.Random | None = None,
) -> list[TaskRow]:
    """Maybe swap the last review task of a claim for a gold task leased to the same reviewer (see the
    module's docstring); called inside the claim's transaction, before its ``task.claimed`` events."""
    rate = ctx.policy.gold.rate if ctx.gate is not None else 0.0
    index = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].kind == TaskKind.REVIEW.value), None)
    draw = rng or _rng
    if rate <= 0 or index is None or draw.random() >= rate:
        return rows
    displaced = rows[index]
    options = []
    for item_id, task_type in gold.candidates(conn, who.user_id, displaced.queue, CANDIDATES):
        requires = ctx.policy.task(task_type).requires
        if meets(who.tier_rank, who.skills, ctx.tier_rank(requires.tier), frozenset(requires.skills)):
            options.append(item_id)
    if not options:
        return rows
    item = items.get(conn, draw.choice(options))
    assert item is not None
    task_policy = ctx.policy.task(item.task_type)
    sla_ms = int(task_policy.sla.total_seconds() * 1000) if task_policy.sla else None
    task = TaskRow(
        id=new_id("tsk"),
        item_id=item.id,
        kind=GOLD,
        queue=displaced.queue,
        priority=PRIORITY_ESCALATED if item.route == "escalate" else PRIORITY_REVIEW,
        status="leased",
        tier_rank=displaced.tier_rank,
        assigned_to=None,
        lease_token=displaced.lease_token,
        lease_owner=who.user_id,
        lease_expires_ms=displaced.lease_expires_ms,
        claimed_ms=now,
        deadline_ms=now + sla_ms if sla_ms is not None else NO_DEADLINE,
        created_ms=now,
        done_ms=None,
    )
    tasks.reopen(conn, displaced.id)  # never seen leased: the same transaction gives it back
    tasks.insert(conn, task, task_policy.requires.skills)
    mixed = list(rows)
    mixed[index] = task
    return mixed


def _pending(item: dict[str, Any], row: TaskRow) -> dict[str, Any]:
    """The item resource as it would read while waiting for its first review, submitted at the claim."""
    deadline = row.deadline_ms if row.deadline_ms < NO_DEADLINE else None
    return {
        **item,
        "status": "pending",
        "route": item["route"] if item["route"] in ("queue", "escalate") else "queue",
        "audit_sampled": False,
        "deadline": iso(deadline),
        "sla_state": "running" if deadline is not None else "none",
        "decision": None,
        "escaped_error": False,
        "created_at": iso(row.created_ms),
    }


def disguise(view: dict[str, Any], row: TaskRow) -> dict[str, Any]:
    """A gold task's view (built like any task's) made identical in shape and kind to a review task's."""
    deadline = row.deadline_ms if row.deadline_ms < NO_DEADLINE else None
    return {
        **view,
        "kind": TaskKind.REVIEW.value,
        "item": _pending(view["item"], row),
        "deadline": iso(deadline),
        "deadline_ms": deadline,
    }


def item_seen_by(ctx: Context, who: Principal, item: dict[str, Any]) -> dict[str, Any]:
    """The item resource as ``who`` may see it over the API: pending while they hold a gold task on it.
    Only a decided item can be gold and only a reviewing role can hold a task, so the common reads (a
    submitter polling a pending item) cost no extra query."""
    if item["status"] != "decided" or not who.can(Action.REVIEW):
        return item
    with ctx.db.read() as conn:
        return as_seen_by(conn, who.id, item, [], [])[0]


def as_seen_by(
    conn: Connection,
    user_id: str,
    item: dict[str, Any],
    item_reviews: list[dict[str, Any]],
    item_tasks: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The item page's item, reviews and tasks as ``user_id`` may see them: while they hold a gold task on
    the item, as a pending item with no reviews and their one review task, so following the desk's link to
    the item page gives nothing away. (Roles that read the audit trail still see its events.)"""
    held = next(
        (
            t
            for t in tasks.for_item(conn, item["id"])
            if t.kind == GOLD and t.status == "leased" and t.lease_owner == user_id
        ),
        None,
    )
    if held is None:
        return item, item_reviews, item_tasks
    shown = {
        "id": held.id,
        "kind": TaskKind.REVIEW.value,
        "queue": held.queue,
        "status": held.status,
        "priority": held.priority,
        "created_at": iso(held.created_ms),
        "done_at": None,
    }
    return _pending(item, held), [], [shown]


# --- answering ----------------------------------------------------------------------------------------------


def answer(
    conn: Connection,
    ctx: Context,
    who: Principal,
    task: TaskRow,
    *,
    verdict: Verdict,
    output: str | None,
    reason: str | None,
    category: str | None,
    now: int,
) -> dict[str, Any]:
    """Record a decision on a held gold task (inside the decision's transaction, under the task's lock) and
    return the item as a first review of a pending item would leave it."""
    known = gold.get(conn, task.item_id)
    stored = items.get(conn, task.item_id)
    assert known is not None  # a gold task is only made from a gold answer, and answers are never deleted
    assert stored is not None
    item = resource(stored)
    reviews.record_decision(
        conn,
        task,
        review_id=new_id("rev"),
        kind=GOLD,
        reviewer=who.id,
        verdict=verdict.value,
        output=output,
        reason=reason,
        category=category,
        now_ms=now,
    )
    record(
        conn,
        ctx,
        "gold.answered",
        actor=who.actor,
        item_id=task.item_id,
        now_ms=now,
        data={
            "task_id": task.id,
            "reviewer": who.name,
            "verdict": verdict.value,
            "category": category,
            "expected": known.verdict,
            "correct": verdict.value == known.verdict,
        },
    )
    shown = _pending(item, task)
    if ctx.gate is not None and ctx.policy.task(item["task_type"]).reviewers > 1:
        return shown  # more reviews would be due: a real item would still be pending
    final = Vote(verdict, output).final_output(item["item"]["output"])
    made = decision(
        verdict=verdict.value, output=final, by=who.actor, reason=reason, category=category, now=now
    )
    running = shown["sla_state"] == "running"
    return {**shown, "status": "decided", "decision": made, "sla_state": "done" if running else "none"}


# --- scoring ------------------------------------------------------------------------------------------------


def _score(answered: int, correct: int) -> dict[str, Any]:
    """Counts, accuracy and its 95% Wilson interval (honest for the small counts gold items give)."""
    from statsmodels.stats.proportion import proportion_confint

    if answered == 0:
        return {"answered": 0, "correct": 0, "accuracy": None, "ci_low": None, "ci_high": None}
    low, high = proportion_confint(correct, answered, alpha=0.05, method="wilson")
    return {
        "answered": answered,
        "correct": correct,
        "accuracy": correct / answered,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def accuracy(ctx: Context, since_ms: int | None = None, until_ms: int | None = None) -> dict[str, Any]:
    """Reviewer accuracy on gold items answered in ``[since, until)``: ``{"reviewers": {name: score},
    "overall": score}``, each score ``{answered, correct, accuracy, ci_low, ci_high}`` (accuracy None when
    nothing was answered). The caller checks the role (metrics readers)."""
    with ctx.db.read() as conn:
        rows = gold.answers_by_reviewer(conn, since_ms, until_ms)
    per = {r.reviewer: _score(int(r.answered), int(r.correct or 0)) for r in rows}
    total = sum(s["answered"] for s in per.values())
    right = sum(s["correct"] for s in per.values())
    return {"since": iso(since_ms), "until": iso(until_ms), "reviewers": per, "overall": _score(total, right)}
