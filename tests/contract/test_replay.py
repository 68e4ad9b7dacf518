"""Replay on a database built by driving the real service, on both backends: a stricter and a looser candidate
move route counts, escapes, hours and cost by exactly the amounts worked out below; re-routing through the
stored policy reproduces what happened; gold items and the time window are respected."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from inloop import Gate
from inloop.clock import ManualClock
from inloop.errors import InvalidRequest
from inloop.services import gold, intake, review
from inloop.services import replay as replay_service
from inloop.services.context import Context
from testkit.service import make_context, make_user

THRESHOLD = 0.9
CUT = 0.7  # people approve items at or above this confidence and reject the rest
HANDLING_S = 30
BASE: dict[str, Any] = {
    "version": 1,
    "levels": {"low": {"threshold": THRESHOLD, "confident": "auto", "unsure": "queue", "audit_rate": 0.0}},
    "default_task": {"risk": "low"},
    "tasks": {"answer": {"risk": "low"}},
    "costs": {"review": 2.0},
}
# Twenty items, confidence 0.5, 0.525, ..., 0.975. Under BASE the four at or above 0.9 are released
# unreviewed; the sixteen below are reviewed: the eight from 0.7 approved, the eight below rejected.
CONFIDENCES = [round(0.5 + 0.025 * i, 3) for i in range(20)]


def _candidate(threshold: float) -> Gate:
    data = copy.deepcopy(BASE)
    data["levels"]["low"]["threshold"] = threshold
    return Gate.from_dict(data)


def _build(ctx: Context, clock: ManualClock) -> list[int]:
    """Submit and review the twenty items (30 s of handling each); returns their creation times."""
    reviewer = make_user(ctx, "rae")
    created = []
    for i, confidence in enumerate(CONFIDENCES):
        clock.advance(60)
        created.append(clock())
        body = {"task_type": "answer", "output": f"answer {i}", "confidence": confidence}
        item = intake.submit(ctx, body, actor="test")[0]
        if confidence >= THRESHOLD:
            assert item["route"] == "auto"
            continue
        assert item["route"] == "queue"
        [task] = review.claim(ctx, reviewer)
        clock.advance(HANDLING_S)
        verdict = "approve" if confidence >= CUT else "reject"
        review.decide(
            ctx,
            reviewer,
            task["id"],
            lease_token=task["lease_token"],
            verdict=verdict,
            category=None if verdict == "approve" else "hallucination",
        )
    return created


@pytest.fixture
def built(db_url: str) -> Any:
    clock = ManualClock()
    ctx = make_context(db_url, BASE, clock)
    created = _build(ctx, clock)
    yield ctx, created
    ctx.db.close()


def test_a_stricter_policy_reviews_more_and_lets_less_escape(built: Any) -> None:
    ctx, _ = built
    report = replay_service.replay(ctx, _candidate(0.95))
    assert (report.items, report.labelled, report.labelled_errors) == (20, 16, 8)

    now = report.current
    assert now.source == "stored routes"
    assert now.routes == {"auto": 4, "audit": 0, "queue": 16, "escalate": 0, "block": 0}
    assert (now.reviews, now.cost) == (16, 32.0)
    assert now.review_hours == pytest.approx(16 * HANDLING_S / 3600)
    # released unreviewed: 0.9, 0.925, 0.95, 0.975 -> 1 - confidence
    assert now.escaped_labelled == 0
    assert now.escaped_estimated == pytest.approx(0.1 + 0.075 + 0.05 + 0.025)

    new = report.candidate
    assert new.routes == {"auto": 2, "audit": 0, "queue": 18, "escalate": 0, "block": 0}
    assert (new.reviews, new.cost) == (18, 36.0)
    assert new.review_hours == pytest.approx(18 * HANDLING_S / 3600)
    assert new.escaped_errors == pytest.approx(0.05 + 0.025)
    assert report.changes == (("auto", "queue", 2),)
    assert report.handling_ms == {"answer": HANDLING_S * 1000}
    assert report.delta["cost"] == pytest.approx(4.0)


def test_a_looser_policy_releases_known_errors(built: Any) -> None:
    ctx, _ = built
    report = replay_service.replay(ctx, _candidate(0.6))
    new = report.candidate
    # released: 0.6 .. 0.975 (16 items); queued: 0.5 .. 0.575 (4)
    assert new.routes == {"auto": 16, "audit": 0, "queue": 4, "escalate": 0, "block": 0}
    assert (new.reviews, new.cost) == (4, 8.0)
    assert new.review_hours == pytest.approx(4 * HANDLING_S / 3600)
    # the people rejected 0.6, 0.625, 0.65 and 0.675: now released, they escape; 0.7 .. 0.875 were right
    assert new.escaped_labelled == 4
    assert new.escaped_estimated == pytest.approx(0.25)
    assert report.delta["escaped_errors"] == pytest.approx(4.0)
    assert report.delta["cost"] == pytest.approx(-24.0)
    assert report.changes == (("queue", "auto", 12),)


def test_routing_again_through_the_stored_policy_reproduces_the_stored_routes(db_url: str) -> None:
    """With audit sampling on, items submitted with and without ids: the samples fall on the same items."""
    sampled = copy.deepcopy(BASE)
    sampled["levels"]["low"]["audit_rate"] = 0.5
    clock = ManualClock()
    ctx = make_context(db_url, sampled, clock)
    try:
        for i in range(40):
            # a distinct confidence per item: the estimated escapes (1 - confidence of the unsampled) then
            # tell which items were sampled, not only how many
            confidence = round(0.9 + 0.0025 * i, 4)
            body: dict[str, Any] = {"task_type": "answer", "output": f"a{i}", "confidence": confidence}
            if i % 2:
                body["id"] = f"item-{i}"
            intake.submit(ctx, body, actor="test")
        gate = Gate.from_dict(sampled)
        stored = replay_service.replay(ctx, gate)
        rerouted = replay_service.replay(ctx, gate, gate, current_source="same")
    finally:
        ctx.db.close()
    assert 0 < stored.current.audit_sampled < 40
    assert stored.changes == rerouted.changes == ()
    anonymous = {"source": "", "policy_version": None}
    for report in (stored, rerouted):
        assert report.current.to_dict() | anonymous == report.candidate.to_dict() | anonymous
    assert rerouted.current.audit_sampled == stored.current.audit_sampled


def test_gold_items_and_the_window_are_left_out(built: Any) -> None:
    ctx, created = built
    admin = make_user(ctx, "ada", role="admin")
    first = intake.submit(ctx, {"task_type": "answer", "output": "gold", "confidence": 0.99}, actor="t")[0]
    gold.mark(ctx, first["id"], verdict="approve", actor=admin.name)
    assert replay_service.replay(ctx, _candidate(0.95)).items == 20

    seen: list[tuple[int, int]] = []
    window = replay_service.replay(
        ctx,
        _candidate(0.95),
        since_ms=created[10],
        until_ms=created[15],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert window.items == 5
    assert seen == [(5, 5)]
    assert window.current.routes["queue"] == 5
    assert replay_service.replay(ctx, _candidate(0.95), task="other").items == 0
    with pytest.raises(InvalidRequest):
        replay_service.replay(ctx, _candidate(0.95), since_ms=created[5], until_ms=created[5])


def test_a_process_pool_gives_the_same_report(built: Any) -> None:
    ctx, _ = built
    one = replay_service.replay(ctx, _candidate(0.6), Gate.from_dict(BASE))
    two = replay_service.replay(ctx, _candidate(0.6), Gate.from_dict(BASE), workers=2)
    assert one.to_dict() == two.to_dict()
    assert one.current.routes["auto"] == 4
