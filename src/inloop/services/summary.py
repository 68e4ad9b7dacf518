"""The metrics summary: how the loop is doing over a window, as ``inloop metrics`` and
``GET /v1/metrics/summary`` report it.

- **routes**: escalation, auto-resolve (``auto`` + ``audit``: released without a person first) and block
  rates among items submitted in the window;
- **error escape**: the share of post-hoc audit samples that found an error in a released output, with its
  exact (Clopper-Pearson) 95% interval: the audit sample is small, so the interval matters more than the
  point;
- **latency** in three parts, because they have different cures: queue wait (task opened → claimed: too
  few reviewers), handling (claimed → decided: hard items or a slow console) and end to end (submitted →
  decided, for items people decided);
- **reviewers**: decisions, decisions per active hour (clock hours with at least one decision) and mean
  handling, per reviewer;
- **agreement** among independent reviews of the same items (:mod:`inloop.domain.agreement`);
- **gold**: reviewers' accuracy on gold items;
- **SLA breaches**, **cost** (each person's review priced by the policy's ``costs``; per decision = all of it
  over every decision made, automated ones included) and the **exported share** of human corrections.
"""

from __future__ import annotations

from typing import Any

from inloop.clock import iso
from inloop.domain import agreement
from inloop.services import gold
from inloop.services.context import Context
from inloop.services.metrics import percentile
from inloop.storage import summary as rows
from inloop.storage.summary import Scope

SAMPLE_LIMIT = 100_000
"""Newest reviews (or items) the latency and agreement figures are computed from."""
RELEASED = ("auto", "audit")


def summary(
    ctx: Context, since_ms: int | None = None, until_ms: int | None = None, task: str | None = None
) -> dict[str, Any]:
    scope = Scope(since_ms, until_ms, task)
    with ctx.db.read() as conn:
        routes = rows.route_counts(conn, scope)
        audited, escaped = rows.audit_counts(conn, scope)
        timings = rows.wait_and_handling_ms(conn, scope, SAMPLE_LIMIT)
        latency = rows.decision_latency_ms(conn, scope, SAMPLE_LIMIT)
        people = rows.by_reviewer(conn, scope)
        ratings = rows.ratings(conn, scope, SAMPLE_LIMIT)
        breaches = rows.sla_breaches(conn, scope)
        priced = rows.reviews_for_cost(conn, scope)
        decided = rows.decided_items(conn, scope)
        corrected, exported = rows.corrections(conn, scope)
    submitted = sum(routes.values())
    return {
        "since": iso(since_ms),
        "until": iso(until_ms),
        "task": task,
        "submitted": submitted,
        "routes": routes,
        "escalation_rate": _rate(routes.get("escalate", 0), submitted),
        "auto_resolve_rate": _rate(sum(routes.get(r, 0) for r in RELEASED), submitted),
        "block_rate": _rate(routes.get("block", 0), submitted),
        "error_escape": _escape(audited, escaped),
        "latency_ms": {
            "queue_wait": _percentiles([w for w, _ in timings]),
            "handling": _percentiles([h for _, h in timings]),
            "end_to_end": _percentiles(latency),
        },
        "reviewers": [
            {
                "reviewer": r.reviewer,
                "decisions": int(r.decisions),
                "per_active_hour": int(r.decisions) / int(r.active_hours) if r.active_hours else None,
                "mean_handling_ms": int(r.handling_ms or 0) / int(r.decisions),
            }
            for r in people
        ],
        "agreement": agreement.summary(ratings),
        "gold": gold.accuracy(ctx, since_ms, until_ms),
        "sla_breaches": breaches,
        "cost": _cost(ctx, priced, decided),
        "corrections": {
            "total": corrected,
            "exported": exported,
            "exported_share": _rate(exported, corrected),
        },
    }


def _rate(n: int, total: int) -> float | None:
    return n / total if total else None


def _escape(audited: int, escaped: int) -> dict[str, Any]:
    ci95 = None
    if audited:
        from statsmodels.stats.proportion import proportion_confint  # 170 MB: loaded when first asked

        low, high = proportion_confint(escaped, audited, alpha=0.05, method="beta")
        ci95 = [float(low), float(high)]
    return {"audited": audited, "escaped": escaped, "rate": _rate(escaped, audited), "ci95": ci95}


def _percentiles(values: list[int]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
    }


def _cost(ctx: Context, priced: list[Any], decided: int) -> dict[str, Any]:
    """What people's reviews cost by the policy's prices; unknown (None) without a policy."""
    reviews = sum(int(r.n) for r in priced)
    if ctx.gate is None:
        return {
            "currency": None,
            "reviews": reviews,
            "total": None,
            "decisions": decided,
            "per_decision": None,
        }
    policy = ctx.policy
    total = sum(policy.review_cost(r.task_type, bool(r.escalated)) * int(r.n) for r in priced)
    return {
        "currency": policy.costs.currency,
        "reviews": reviews,
        "total": total,
        "decisions": decided,
        "per_decision": total / decided if decided else None,
    }


def queues_now(ctx: Context) -> list[dict[str, Any]]:
    """Each queue's open and leased tasks now: depth, oldest age, how many are past their deadline."""
    now = ctx.clock()
    with ctx.db.read() as conn:
        gauges = rows.queue_gauges(conn, now)
    return [
        {
            "queue": g.queue,
            "depth": int(g.depth),
            "oldest_age_seconds": max(0, now - int(g.oldest)) / 1000,
            "past_deadline": int(g.past_deadline),
        }
        for g in gauges
    ]
