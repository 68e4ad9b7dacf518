"""The dashboard's numbers on both backends, with a controlled clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inloop.clock import ManualClock
from inloop.domain.review import Verdict, Vote
from inloop.services import intake, metrics, review, sla
from inloop.services.context import Context
from testkit.service import make_context, make_user

POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {
        "low": {"threshold": 0.7, "confident": "auto", "unsure": "queue", "audit_rate": 0.0},
        "critical": {"confident": "escalate", "unsure": "escalate"},
    },
    "default_task": {"risk": "low", "sla": "1h", "on_sla_breach": "release"},
    "tasks": {
        "pair": {"risk": "low", "reviewers": 2, "consensus": "unanimous"},
        "urgent": {"risk": "critical", "sla": "1h", "on_sla_breach": "release"},
    },
}


@pytest.fixture
def ctx(db_url: str) -> Iterator[Context]:
    clock = ManualClock(1_700_000_000_000 // 3_600_000 * 3_600_000)  # on the hour
    context = make_context(db_url, POLICY, clock)
    yield context
    context.db.close()


def submit(ctx: Context, task_type: str = "plain", confidence: float | None = None) -> str:
    data: dict[str, Any] = {"task_type": task_type, "output": "An answer."}
    if confidence is not None:
        data["confidence"] = confidence
    body, _ = intake.submit(ctx, data, actor="test")
    item_id: str = body["id"]
    return item_id


def test_percentile_and_agreement() -> None:
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([5, 1, 3, 2, 4], 50) == 3
    assert metrics.percentile(list(range(1, 101)), 95) == 95
    assert metrics.percentile(list(range(1, 101)), 99) == 99
    a, r = Vote(Verdict.APPROVE), Vote(Verdict.REJECT)
    result = metrics.agreement({"x": [a, a], "y": [a, r], "z": [a, a, r], "single": [a]})
    assert result["items"] == 3
    assert result["item_rate"] == pytest.approx(1 / 3)
    assert result["pairs"] == 1 + 1 + 3
    assert result["pair_rate"] == pytest.approx((1 + 0 + 1) / 5)


def test_dashboard_numbers(ctx: Context) -> None:
    clock: ManualClock = ctx.clock  # type: ignore[assignment]
    admin = make_user(ctx, "boss", role="admin", tier="specialist")
    ann = make_user(ctx, "ann", tier="specialist")
    ben = make_user(ctx, "ben", tier="specialist")
    for _ in range(6):
        submit(ctx, confidence=0.95)  # auto
    queued = [submit(ctx) for _ in range(3)]  # queue
    submit(ctx, "urgent")  # escalate
    submit(ctx, "pair")  # two review tasks
    clock.advance(120)
    for who in (ann, ann, ann):
        (task,) = review.claim(ctx, who, queue="plain")
        clock.advance(30)
        review.decide(ctx, who, task["id"], lease_token=task["lease_token"], verdict="approve")
    for who, verdict in ((ann, "approve"), (ben, "reject")):
        (task,) = review.claim(ctx, who, queue="pair")
        review.decide(
            ctx, who, task["id"], lease_token=task["lease_token"], verdict=verdict, category="other"
        )
    clock.advance(2 * 3600)  # the urgent item's SLA (1h) breaches: released
    sla.sweep(ctx)

    data = metrics.dashboard(ctx, admin, "24h")
    assert data["submitted"] == 11
    assert data["route_totals"]["auto"] == 6
    assert data["route_totals"]["escalate"] == 1
    assert data["escalation_rate"] == pytest.approx(1 / 11)
    assert data["auto_resolve_rate"] == pytest.approx(6 / 11)
    assert data["latency_ms"]["n"] == 3
    assert data["latency_ms"]["p50"] == 120_000 + 60_000
    assert data["handling_ms"]["n"] == 5
    assert data["handling_ms"]["p95"] == 30_000
    assert {r["reviewer"]: r["decisions"] for r in data["reviewers"]} == {"ann": 4, "ben": 1}
    assert data["agreement"]["items"] == 1
    assert data["agreement"]["item_rate"] == 0.0
    assert sum(data["sla_breaches"]) == 1
    assert len(data["queue_depth"]) == 24
    # Depth at the end of each hour: 3 plain + 1 urgent + 2 pair tasks opened, 5 of them decided, and one
    # adjudication opened; the urgent one was released by its SLA but its review stays open.
    assert data["queue_depth"][0] == 0
    assert data["queue_depth"][-1] == 2
    assert all(intake.get_item(ctx, q)["status"] == "decided" for q in queued)
    assert sum(sum(v) for v in data["routes"].values()) == 11
