"""Aggregates of the metrics summary over a window ``[since, until)``, optionally of one task type.

Counting happens in the database; the few distributions (latencies, agreement ratings) are bounded samples of
the newest rows. Gold answers (reviews of kind ``gold``) test reviewers and are left out of everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, or_, select

from inloop.storage.tables import audit_events, exports, items, reviews, tasks, users

HOUR_MS = 3_600_000
HUMAN_CORRECTION = ("edit", "reject")


@dataclass(frozen=True, slots=True)
class Scope:
    since: int | None = None
    until: int | None = None
    task: str | None = None

    def time(self, column: Any) -> list[Any]:
        conds = []
        if self.since is not None:
            conds.append(column >= self.since)
        if self.until is not None:
            conds.append(column < self.until)
        return conds

    def where(self, column: Any) -> list[Any]:
        """Conditions on a time column, and on the item's task type (``items`` must be in the query)."""
        conds = self.time(column)
        if self.task is not None:
            conds.append(items.c.task_type == self.task)
        return conds


def _real_reviews() -> Any:
    return reviews.join(items, items.c.id == reviews.c.item_id)


def route_counts(conn: Connection, s: Scope) -> dict[str, int]:
    """Items submitted per route."""
    query = select(items.c.route, func.count()).where(*s.where(items.c.created_ms)).group_by(items.c.route)
    return {route: int(n) for route, n in conn.execute(query)}


def audit_counts(conn: Connection, s: Scope) -> tuple[int, int]:
    """(audits decided, audits that found an error) among post-hoc audit reviews."""
    query = (
        select(func.count(), func.count().filter(reviews.c.verdict != "approve"))
        .select_from(_real_reviews())
        .where(reviews.c.kind == "audit", *s.where(reviews.c.decided_ms))
    )
    total, escaped = conn.execute(query).one()
    return int(total), int(escaped)


def wait_and_handling_ms(conn: Connection, s: Scope, limit: int) -> list[tuple[int, int]]:
    """(queue wait, handling) per review: task opened → claimed, claimed → decided; newest first."""
    query = (
        select((reviews.c.claimed_ms - tasks.c.created_ms).label("wait"), reviews.c.handling_ms)
        .select_from(_real_reviews().join(tasks, tasks.c.id == reviews.c.task_id))
        .where(reviews.c.kind != "gold", *s.where(reviews.c.decided_ms))
        .order_by(reviews.c.decided_ms.desc())
        .limit(limit)
    )
    return [(max(0, int(w)), int(h)) for w, h in conn.execute(query)]


def decision_latency_ms(conn: Connection, s: Scope, limit: int) -> list[int]:
    """Submit-to-final-decision times of items that people decided (not released by an SLA)."""
    query = (
        select(items.c.decided_ms - items.c.created_ms)
        .where(
            items.c.route.in_(["queue", "escalate"]),
            items.c.status == "decided",
            items.c.sla_state != "breached",
            *s.where(items.c.decided_ms),
        )
        .order_by(items.c.decided_ms.desc())
        .limit(limit)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def by_reviewer(conn: Connection, s: Scope) -> list[Any]:
    """``(reviewer, decisions, handling_ms, active_hours)``: hours are clock hours with a decision."""
    query = (
        select(
            users.c.name.label("reviewer"),
            func.count().label("decisions"),
            func.sum(reviews.c.handling_ms).label("handling_ms"),
            func.count(distinct(reviews.c.decided_ms // HOUR_MS)).label("active_hours"),
        )
        .select_from(_real_reviews().join(users, users.c.id == reviews.c.reviewer))
        .where(reviews.c.kind != "gold", *s.where(reviews.c.decided_ms))
        .group_by(users.c.name)
        .order_by(users.c.name)
    )
    return list(conn.execute(query))


def ratings(conn: Connection, s: Scope, limit: int) -> list[tuple[str, str, str]]:
    """``(item, reviewer, verdict)`` of independent reviews of items reviewed independently two or more
    times, the last of those reviews in the window."""
    several = (
        select(reviews.c.item_id)
        .select_from(_real_reviews())
        .where(reviews.c.kind == "review", *([items.c.task_type == s.task] if s.task else []))
        .group_by(reviews.c.item_id)
        .having(func.count() >= 2, *s.time(func.max(reviews.c.decided_ms)))
        .order_by(func.max(reviews.c.decided_ms).desc())
        .limit(limit)
        .subquery()
    )
    query = (
        select(reviews.c.item_id, users.c.name, reviews.c.verdict)
        .join(several, several.c.item_id == reviews.c.item_id)
        .join(users, users.c.id == reviews.c.reviewer)
        .where(reviews.c.kind == "review")
    )
    return [(str(i), str(n), str(v)) for i, n, v in conn.execute(query)]


def sla_breaches(conn: Connection, s: Scope) -> int:
    query = (
        select(func.count())
        .select_from(audit_events.join(items, items.c.id == audit_events.c.item_id))
        .where(audit_events.c.event == "sla.breached", *s.where(audit_events.c.at_ms))
    )
    return int(conn.execute(query).scalar_one())


def reviews_for_cost(conn: Connection, s: Scope) -> list[Any]:
    """``(task_type, escalated, n)`` of people's reviews (any kind but gold) decided in the window."""
    escalated = (items.c.route == "escalate").label("escalated")
    query = (
        select(items.c.task_type, escalated, func.count().label("n"))
        .select_from(_real_reviews())
        .where(reviews.c.kind != "gold", *s.where(reviews.c.decided_ms))
        .group_by(items.c.task_type, escalated)
    )
    return list(conn.execute(query))


def decided_items(conn: Connection, s: Scope) -> int:
    """Items whose decision (by a person, the policy or an SLA fallback) fell in the window."""
    query = select(func.count()).select_from(items).where(items.c.decided_ms.is_not(None))
    return int(conn.execute(query.where(*s.where(items.c.decided_ms))).scalar_one())


def corrections(conn: Connection, s: Scope) -> tuple[int, int]:
    """(human corrections, those already exported). A correction is an item a person edited or rejected, or
    whose released output an audit found wrong. An export covers it when it ran after the item was decided,
    its task and time filters include the item, and its format carries it: ``labels`` every correction,
    ``sft`` and ``dpo`` the edited ones (a plain reject has no better answer to train on)."""
    verdict = items.c.decision["verdict"].as_string()
    revised = items.c.decision[("revised", "verdict")].as_string()
    by = items.c.decision["by"].as_string()
    corrected = or_(
        items.c.escaped_error.is_(True),
        and_(verdict.in_(HUMAN_CORRECTION), by.not_in(["policy", "sla"])),
    )
    edited = or_(verdict == "edit", revised == "edit")
    covered = (
        select(exports.c.id)
        .where(
            or_(exports.c.format == "labels", and_(exports.c.format.in_(["sft", "dpo"]), edited)),
            or_(exports.c.task_type.is_(None), exports.c.task_type == items.c.task_type),
            or_(exports.c.since_ms.is_(None), exports.c.since_ms <= items.c.decided_ms),
            or_(exports.c.until_ms.is_(None), exports.c.until_ms > items.c.decided_ms),
            exports.c.created_ms >= items.c.decided_ms,
        )
        .exists()
    )
    query = (
        select(func.count(), func.count().filter(covered))
        .select_from(items)
        .where(corrected, items.c.decided_ms.is_not(None), *s.where(items.c.decided_ms))
    )
    total, exported = conn.execute(query).one()
    return int(total), int(exported)


def queue_gauges(conn: Connection, now_ms: int) -> list[Any]:
    """``(queue, depth, oldest_created_ms, past_deadline)`` of open and leased real tasks, per queue."""
    query = (
        select(
            tasks.c.queue,
            func.count().label("depth"),
            func.min(tasks.c.created_ms).label("oldest"),
            func.count().filter(tasks.c.deadline_ms <= now_ms).label("past_deadline"),
        )
        .where(tasks.c.status.in_(["open", "leased"]), tasks.c.kind != "gold")
        .group_by(tasks.c.queue)
        .order_by(tasks.c.queue)
    )
    return list(conn.execute(query))
