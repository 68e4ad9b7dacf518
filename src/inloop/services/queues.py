"""Queue statistics: depth by priority, oldest age, SLA pressure, and per-reviewer work."""

from __future__ import annotations

from typing import Any

from inloop.domain.access import Action
from inloop.services.accounts import Principal
from inloop.services.context import Context
from inloop.storage import reviews, tasks

NEAR_SLA_MS = 15 * 60 * 1000
PRIORITY_NAMES = {0: "escalated", 1: "review", 2: "audit"}


def queue_stats(ctx: Context, who: Principal) -> dict[str, Any]:
    who.require(Action.READ_QUEUES)
    now = ctx.clock()
    with ctx.db.read() as conn:
        depth = tasks.depth_by_queue(conn)
        near = {r.queue: r.n for r in tasks.near_deadline(conn, now + NEAR_SLA_MS)}
        past = {r.queue: r.n for r in tasks.near_deadline(conn, now)}
        day_ago = now - 86_400_000
        per_reviewer = reviews.per_reviewer_since(conn, day_ago)
    queues: dict[str, dict[str, Any]] = {}
    for r in depth:
        q = queues.setdefault(
            r.queue,
            {
                "queue": r.queue,
                "open": 0,
                "leased": 0,
                "by_priority": {},
                "oldest_age_seconds": 0.0,
                "near_sla": 0,
                "past_sla": 0,
            },
        )
        q[r.status] += r.n
        name = PRIORITY_NAMES.get(r.priority, str(r.priority))
        q["by_priority"][name] = q["by_priority"].get(name, 0) + r.n
        q["oldest_age_seconds"] = max(q["oldest_age_seconds"], (now - r.oldest_ms) / 1000)
    for name, q in queues.items():
        q["near_sla"] = near.get(name, 0)
        q["past_sla"] = past.get(name, 0)
    reviewers = [
        {
            "reviewer": r.name,
            "decided_24h": r.n,
            "avg_handling_seconds": round(float(r.avg_ms or 0) / 1000, 2),
        }
        for r in per_reviewer
    ]
    return {
        "queues": sorted(queues.values(), key=lambda q: q["queue"]),
        "reviewers": reviewers,
    }
