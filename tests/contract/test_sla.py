"""SLA fallbacks on every backend, with a clock the test moves: each applies exactly once."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from inloop.clock import ManualClock
from inloop.services import intake, review, sla
from inloop.services.context import Context
from inloop.storage import audit, tasks
from testkit import MATRIX_POLICY
from testkit.service import make_context, make_user

POLICY: dict[str, Any] = copy.deepcopy(MATRIX_POLICY)
POLICY["tasks"] = {
    "release": {"risk": "low", "sla": "10m", "on_sla_breach": "release"},
    "reject": {"risk": "low", "sla": "10m", "on_sla_breach": "reject"},
    "escalate": {"risk": "low", "sla": "10m", "on_sla_breach": "escalate"},
}


@pytest.fixture
def ctx(db_url: str, clock: ManualClock) -> Iterator[Context]:
    context = make_context(db_url, POLICY, clock)
    yield context
    context.db.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def pending(ctx: Context, task_type: str) -> dict[str, Any]:
    item, _ = intake.submit(ctx, {"task_type": task_type, "output": "draft", "confidence": 0.1}, actor="t")
    assert item["status"] == "pending"
    return item


def events(ctx: Context, item_id: str) -> list[str]:
    with ctx.db.read() as conn:
        return [e.event for e in audit.item_events(conn, item_id)]


def test_nothing_happens_before_the_deadline(ctx: Context, clock: ManualClock) -> None:
    item = pending(ctx, "reject")
    clock.advance(9 * 60)
    assert sla.sweep(ctx).breached == 0
    assert intake.get_item(ctx, item["id"])["status"] == "pending"


def test_release_goes_out_provisionally_and_review_may_revise(ctx: Context, clock: ManualClock) -> None:
    item = pending(ctx, "release")
    clock.advance(11 * 60)
    assert sla.sweep(ctx).breached == 1
    assert sla.sweep(ctx).breached == 0, "exactly once"
    released = intake.get_item(ctx, item["id"])
    assert released["status"] == "decided"
    assert released["decision"]["provisional"] is True
    assert released["decision"]["output"] == "draft"
    assert released["sla_state"] == "breached"
    reviewer = make_user(ctx, "r")
    (task,) = review.claim(ctx, reviewer)
    final = review.decide(
        ctx,
        reviewer,
        task["id"],
        lease_token=task["lease_token"],
        verdict="edit",
        output="corrected",
        category="hallucination",
    )
    assert final["decision"]["provisional"] is False
    assert final["decision"]["output"] == "corrected"
    assert events(ctx, item["id"]).count("sla.breached") == 1
    assert "item.revised" in events(ctx, item["id"])


def test_reject_sends_the_safe_fallback_and_closes_review(ctx: Context, clock: ManualClock) -> None:
    item = pending(ctx, "reject")
    clock.advance(11 * 60)
    sla.sweep(ctx)
    sla.sweep(ctx)
    rejected = intake.get_item(ctx, item["id"])
    assert rejected["decision"]["verdict"] == "reject"
    assert rejected["decision"]["output"] == ctx.sla_reject_text
    assert review.claim(ctx, make_user(ctx, "r")) == []
    assert events(ctx, item["id"]).count("sla.breached") == 1


def test_escalate_raises_tier_and_sets_a_new_deadline(ctx: Context, clock: ManualClock) -> None:
    item = pending(ctx, "escalate")
    junior = make_user(ctx, "jun", tier="junior", skills=())
    clock.advance(11 * 60)
    sla.sweep(ctx)
    assert sla.sweep(ctx).breached == 0
    escalated = intake.get_item(ctx, item["id"])
    assert escalated["status"] == "pending"
    assert escalated["deadline"] > item["deadline"]
    with ctx.db.read() as conn:
        (task,) = tasks.for_item(conn, item["id"])
    assert (task.tier_rank, task.priority) == (1, 0)
    assert review.claim(ctx, junior) == [], "now needs the next tier"
    assert len(review.claim(ctx, make_user(ctx, "sen", tier="senior", skills=()))) == 1
    clock.advance(11 * 60)
    assert sla.sweep(ctx).breached == 1, "a second breach escalates again, once"
    assert events(ctx, item["id"]).count("sla.breached") == 2


def test_timers_survive_a_restart(db_url: str, clock: ManualClock) -> None:
    first = make_context(db_url, POLICY, clock)
    item = pending(first, "reject")
    first.db.close()
    clock.advance(11 * 60)
    second = make_context(db_url, POLICY, clock)
    assert sla.sweep(second).breached == 1
    assert intake.get_item(second, item["id"])["decision"]["verdict"] == "reject"
    second.db.close()
