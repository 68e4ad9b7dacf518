"""Adaptive thresholds on every backend: labels from real reviews move a task's threshold within its bounds,
each move is a stored, audited policy version, and another server on the same database picks it up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inloop import Gate
from inloop.clock import ManualClock
from inloop.services import adaptive
from inloop.services.context import Context
from inloop.storage import audit
from testkit.labels import ADAPTIVE_POLICY, TARGET, review_labelled
from testkit.service import make_context


@pytest.fixture
def ctx(db_url: str) -> Iterator[Context]:
    context = make_context(db_url, ADAPTIVE_POLICY, ManualClock())
    yield context
    context.db.close()


def route_of(ctx: Context, confidence: float) -> dict[str, Any]:
    item = {"task_type": "learned", "output": "x", "confidence": confidence}
    return ctx.require_gate().route(item).to_dict()


def test_starts_at_the_upper_bound(ctx: Context) -> None:
    assert route_of(ctx, 0.9)["route"] == "queue"
    assert any("adaptive threshold of learned" in r and "0.95" in r for r in route_of(ctx, 0.9)["reasons"])
    assert route_of(ctx, 0.96)["route"] == "auto"


def test_too_few_labels_change_nothing(ctx: Context) -> None:
    review_labelled(ctx, 40)
    before = ctx.policy.version_hash
    [assessment] = adaptive.recalibrate(ctx)
    assert (assessment.changed, assessment.after, assessment.labels) == (False, 0.95, 40)
    assert "fewer than the 100 required" in assessment.reason
    assert ctx.policy.version_hash == before
    assert adaptive.history(ctx) == []


def test_labels_lower_the_threshold_with_the_guarantee(ctx: Context, db_url: str) -> None:
    review_labelled(ctx, 240)
    before = ctx.policy.version_hash
    [assessment] = adaptive.recalibrate(ctx, actor="user:lee")
    assert assessment.changed
    assert 0.66 <= assessment.after <= 0.71, assessment
    assert assessment.error_upper is not None
    assert assessment.error_upper < TARGET
    # the new version routes now: 0.8 is automated, with the learned threshold in the reasons
    assert ctx.policy.version_hash != before
    assert ctx.policy.base_version == Gate.from_dict(ADAPTIVE_POLICY).policy.base_version
    decided = route_of(ctx, 0.8)
    assert decided["route"] == "auto"
    assert decided["policy_version"] == ctx.policy.version_hash
    # stored and audited
    [version] = adaptive.history(ctx)
    assert version["version"] == ctx.policy.version_hash
    assert version["thresholds"] == {"learned": assessment.after}
    assert version["created_by"] == "user:lee"
    with ctx.db.read() as conn:
        events = [e for e in audit.recent_events(conn, 50) if e.event == "policy.adapted"]
    assert len(events) == 1
    assert events[0].data["after"] == ctx.policy.version_hash
    assert events[0].data["changes"]["learned"]["before"] == 0.95

    # a second server on the same database, started from the same file, routes with the learned threshold
    other = make_context(db_url, ADAPTIVE_POLICY, ManualClock())
    try:
        assert route_of(other, 0.8)["route"] == "queue"
        assert adaptive.refresh(other) is True
        assert other.policy.version_hash == ctx.policy.version_hash
        assert route_of(other, 0.8)["route"] == "auto"
        assert adaptive.refresh(other) is False
    finally:
        other.db.close()

    # nothing new: a second recalibration keeps the version
    [again] = adaptive.recalibrate(ctx)
    assert not again.changed
    assert len(adaptive.history(ctx)) == 1
