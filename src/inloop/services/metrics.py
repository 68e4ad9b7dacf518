"""The team dashboard's numbers, computed from the database over a time window.

- **escalation rate**: items routed ``escalate`` over items submitted; **auto-resolve rate**: items settled by
  the policy without a person (``auto``, ``audit``, ``block``) over items submitted;
- **queue depth over time**: open or leased tasks at the end of each bucket (depth at the window's start plus
  tasks created minus tasks done, bucket by bucket);
- **review latency**: submit-to-decision time of items people decided (P50/P95/P99), and claim-to-decision
  handling time of single reviews;
- **decisions per reviewer per hour**, per bucket;
- **agreement**: among items that had several independent reviews, the share whose reviews all agreed, and the
  share of agreeing pairs;
- **SLA breaches** per bucket (``sla.breached`` audit events) and tasks pending past their deadline now;
- **error-escape**: post-hoc audits that found an error, over audits decided.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from inloop.domain.access import Action
from inloop.domain.review import Verdict, Vote
from inloop.services.accounts import Principal
from inloop.services.context import Context, iso
from inloop.storage import metrics

ROUTES = ("auto", "audit", "queue", "escalate", "block")
WINDOWS: dict[str, tuple[int, int]] = {  # name: (window ms, bucket ms)
    "24h": (86_400_000, 3_600_000),
    "7d": (7 * 86_400_000, 6 * 3_600_000),
    "30d": (30 * 86_400_000, 86_400_000),
}
SAMPLE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    since: int
    until: int
    bucket_ms: int

    @property
    def buckets(self) -> int:
        return math.ceil((self.until - self.since) / self.bucket_ms)

    def starts(self) -> list[int]:
        return [self.since + i * self.bucket_ms for i in range(self.buckets)]


def window(name: str, now_ms: int) -> Window:
    span, bucket = WINDOWS.get(name, WINDOWS["24h"])
    name = name if name in WINDOWS else "24h"
    # Align buckets to whole bucket boundaries, so the same hour is one bar however often the page reloads.
    until = (now_ms // bucket + 1) * bucket
    return Window(name, until - span, until, bucket)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of unsorted ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def agreement(votes_by_item: dict[str, list[Vote]]) -> dict[str, Any]:
    """Item-level agreement (all reviews agree) and pairwise agreement over items with 2+ reviews."""
    items = agreed = pairs = agreeing_pairs = 0
    for votes in votes_by_item.values():
        if len(votes) < 2:
            continue
        items += 1
        keys = [v.key() for v in votes]
        agreed += len(set(keys)) == 1
        for a, b in combinations(keys, 2):
            pairs += 1
            agreeing_pairs += a == b
    return {
        "items": items,
        "item_rate": agreed / items if items else None,
        "pairs": pairs,
        "pair_rate": agreeing_pairs / pairs if pairs else None,
    }


def dashboard(ctx: Context, who: Principal, window_name: str = "24h") -> dict[str, Any]:
    who.require(Action.READ_AUDIT)
    now = ctx.clock()
    w = window(window_name, now)
    n = w.buckets
    with ctx.db.read() as conn:
        route_rows = metrics.routes_by_bucket(conn, w.since, w.until, w.bucket_ms)
        depth0 = metrics.depth_at(conn, w.since)
        created = metrics.tasks_created_by_bucket(conn, w.since, w.until, w.bucket_ms)
        done = metrics.tasks_done_by_bucket(conn, w.since, w.until, w.bucket_ms)
        latencies = metrics.review_latencies_ms(conn, w.since, w.until, SAMPLE_LIMIT)
        handling = metrics.handling_ms(conn, w.since, w.until, SAMPLE_LIMIT)
        per_reviewer = metrics.decisions_by_reviewer(conn, w.since, w.until, w.bucket_ms)
        votes = metrics.multi_review_votes(conn, w.since, w.until, SAMPLE_LIMIT)
        breaches = metrics.events_by_bucket(conn, "sla.breached", w.since, w.until, w.bucket_ms)
        audits = metrics.audit_outcomes(conn, w.since, w.until)
        past_sla = metrics.pending_past_deadline(conn, now)

    routes = {r: [0] * n for r in ROUTES}
    for r in route_rows:
        if 0 <= r.bucket < n:
            routes.setdefault(r.route, [0] * n)[r.bucket] += int(r.n)
    totals = {r: sum(v) for r, v in routes.items()}
    submitted = sum(totals.values())
    settled = totals.get("auto", 0) + totals.get("audit", 0) + totals.get("block", 0)

    depth = []
    level = depth0
    added = _by_bucket(created, n)
    removed = _by_bucket(done, n)
    for i in range(n):
        level += added[i] - removed[i]
        depth.append(level)

    reviewers: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for r in per_reviewer:
        if 0 <= r.bucket < n:
            reviewers[r.reviewer][r.bucket] += int(r.n)
    bucket_hours = w.bucket_ms / 3_600_000
    reviewer_rows = []
    for name, counts in sorted(reviewers.items()):
        active = sum(1 for c in counts if c)
        total = sum(counts)
        reviewer_rows.append(
            {
                "reviewer": name,
                "decisions": total,
                "per_hour": [c / bucket_hours for c in counts],
                "per_active_hour": total / (active * bucket_hours) if active else 0.0,
            }
        )

    by_item: dict[str, list[Vote]] = defaultdict(list)
    for v in votes:
        by_item[v.item_id].append(Vote(Verdict(v.verdict), v.output))

    audit_counts = {r.verdict: int(r.n) for r in audits}
    audited = sum(audit_counts.values())
    escaped = audited - audit_counts.get("approve", 0)
    return {
        "window": w.name,
        "since": iso(w.since),
        "until": iso(w.until),
        "bucket_ms": w.bucket_ms,
        "bucket_starts": [iso(s) for s in w.starts()],
        "submitted": submitted,
        "routes": routes,
        "route_totals": totals,
        "escalation_rate": totals.get("escalate", 0) / submitted if submitted else None,
        "auto_resolve_rate": settled / submitted if submitted else None,
        "queue_depth": depth,
        "latency_ms": {
            "n": len(latencies),
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
        },
        "handling_ms": {
            "n": len(handling),
            "p50": percentile(handling, 50),
            "p95": percentile(handling, 95),
            "p99": percentile(handling, 99),
        },
        "reviewers": reviewer_rows,
        "agreement": agreement(by_item),
        "sla_breaches": _by_bucket(breaches, n),
        "past_sla_now": past_sla,
        "audits": {
            "decided": audited,
            "escaped": escaped,
            "escape_rate": escaped / audited if audited else None,
        },
    }


def _by_bucket(rows: Sequence[Any], n: int) -> list[int]:
    out = [0] * n
    for r in rows:
        if r.bucket is not None and 0 <= int(r.bucket) < n:
            out[int(r.bucket)] += int(r.n)
    return out
