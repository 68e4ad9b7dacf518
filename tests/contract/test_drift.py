"""Drift monitoring and the shared periodic jobs on every backend, driving the real service with a controlled
clock: a week of items like the model's usual output, then a day of them shifted (or not)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from inloop.clock import ManualClock
from inloop.services import adaptive, delivery, drift
from inloop.services.context import Context
from inloop.storage import audit, jobs, webhooks
from inloop.worker import Worker
from testkit.drift import DAY, DRIFT_POLICY, a_week_then_a_day, clock_of, submit_over
from testkit.labels import ADAPTIVE_POLICY, review_labelled
from testkit.service import make_context, make_user

HOUR = 3600
START = 1_700_000_000_000
POLICY = DRIFT_POLICY
N_REFERENCE = 210
N_RECENT = 120


@pytest.fixture
def ctx(db_url: str) -> Iterator[Context]:
    context = make_context(db_url, POLICY, ManualClock(START))
    yield context
    context.db.close()


def events(ctx: Context, name: str) -> list[Any]:
    with ctx.db.read() as conn:
        return [e for e in audit.recent_events(conn, 1000) if e.event == name]


def outbox(ctx: Context) -> list[Any]:
    with ctx.db.read() as conn:
        return [d for d in webhooks.deliveries(conn, limit=1000) if d.event == "drift.detected"]


def test_a_shifted_day_is_drift_announced_once(ctx: Context) -> None:
    admin = make_user(ctx, "ada", role="admin")
    delivery.create_webhook(ctx, admin, "https://hooks.example.com/drift", ["drift.detected"])
    a_week_then_a_day(ctx, shifted=True)

    report = drift.run_due(ctx)
    assert report is not None
    assert report.drifted
    by_name = {s.name: s for s in report.signals}
    assert set(by_name) == {"confidence", "check:long"}
    assert by_name["confidence"].drifted
    assert (by_name["confidence"].psi or 0) > 0.2
    assert by_name["confidence"].n_reference == N_REFERENCE
    assert by_name["confidence"].n_recent == N_RECENT
    assert by_name["check:long"].drifted  # every recent output is over the limit, no reference one was
    assert report.escalation.drifted
    assert report.escalation.change == pytest.approx(
        (N_RECENT // 4) / N_RECENT - (N_REFERENCE // 20) / N_REFERENCE
    )

    assert drift.run_due(ctx) is None  # claimed for the next 15 minutes
    [event] = events(ctx, "drift.detected")
    assert event.actor == "system"
    assert event.item_id is None
    assert event.data["drifted"] is True
    assert event.data["started"] == ["check:long", "confidence", "escalation"]
    [message] = outbox(ctx)
    assert message.payload["type"] == "drift.detected"
    assert message.payload["data"]["drifted_signals"] == ["confidence", "check:long", "escalation"]

    # 15 minutes later it runs again; the drift persists, so no second alert
    clock_of(ctx).advance(15 * 60)
    again = drift.run_due(ctx)
    assert again is not None
    assert again.drifted
    assert len(events(ctx, "drift.detected")) == 1
    assert len(outbox(ctx)) == 1
    # the dashboard's view is the stored report, not a recomputation
    stored = drift.latest(ctx, admin)
    assert stored["stored"] is True
    assert stored["at_ms"] == again.at_ms
    assert stored["recent"]["until"] is not None


def test_an_unshifted_day_is_not_drift(ctx: Context) -> None:
    a_week_then_a_day(ctx, shifted=False)
    report = drift.run_due(ctx)
    assert report is not None
    assert not report.drifted, report.to_dict()
    assert all(s.psi is not None and s.psi < 0.2 for s in report.signals)
    assert not report.escalation.drifted
    assert events(ctx, "drift.detected") == []


def test_too_few_items_are_skipped_not_drift(ctx: Context) -> None:
    rng = np.random.default_rng(3)
    submit_over(ctx, 7 * DAY, rng.beta(8, 2, 50), long=False)
    submit_over(ctx, DAY, rng.beta(1, 9, 50), long=True)
    report = drift.check(ctx)
    assert not report.drifted
    assert all(s.skipped for s in report.signals)
    assert report.escalation.skipped
    admin = make_user(ctx, "ada", role="admin")
    computed = drift.latest(ctx, admin)  # the job never ran: computed on demand, not stored
    assert computed["stored"] is False
    with ctx.db.read() as conn:
        assert jobs.load(conn, drift.JOB) is None


def test_a_job_is_claimed_once_per_period_across_servers(ctx: Context, db_url: str) -> None:
    other = make_context(db_url, POLICY, ManualClock(START))
    try:
        minute = 60_000
        with ctx.db.write() as conn:
            assert jobs.claim_due(conn, "tick", START, 10 * minute) is True
        with other.db.write() as conn:
            assert jobs.claim_due(conn, "tick", START, 10 * minute) is False
            assert jobs.claim_due(conn, "tick", START + 9 * minute, 10 * minute) is False
            assert jobs.claim_due(conn, "tick", START + 10 * minute, 10 * minute) is True
        with ctx.db.write() as conn:
            assert jobs.claim_due(conn, "tick", START + 10 * minute, 10 * minute) is False
            jobs.save_state(conn, "tick", {"n": 1}, START)
        with other.db.read() as conn:
            job = jobs.load(conn, "tick")
        assert job is not None
        assert (job.next_run_ms, job.last_run_ms, job.state) == (
            START + 20 * minute,
            START + 10 * minute,
            {"n": 1},
        )
        with pytest.raises(ValueError, match="positive"), ctx.db.write() as conn:
            jobs.claim_due(conn, "tick", START, 0)
    finally:
        other.db.close()


def test_two_servers_run_drift_once(ctx: Context, db_url: str) -> None:
    a_week_then_a_day(ctx, shifted=True)
    other = make_context(db_url, POLICY, ManualClock(clock_of(ctx).now))
    try:
        results = [drift.run_due(ctx), drift.run_due(other)]
        assert sum(r is not None for r in results) == 1
        assert len(events(ctx, "drift.detected")) == 1
    finally:
        other.db.close()


def test_adaptive_recalibration_runs_when_due_and_not_before(db_url: str) -> None:
    policy = {**ADAPTIVE_POLICY, "tasks": {**ADAPTIVE_POLICY["tasks"]}}
    policy["tasks"]["learned"] = {**policy["tasks"]["learned"]}
    policy["tasks"]["learned"]["adaptive"] = {**policy["tasks"]["learned"]["adaptive"], "every": "6h"}
    ctx = make_context(db_url, policy, ManualClock(START))
    try:
        before = ctx.policy.version_hash
        # no labels yet: the first run is due at once and assesses, but nothing moves
        first = adaptive.run_due(ctx)
        assert first is not None
        assert [a.changed for a in first] == [False]
        review_labelled(ctx, 240)
        clock_of(ctx).advance(5 * HOUR)
        assert adaptive.run_due(ctx) is None  # not due for another hour, labels or not
        assert ctx.policy.version_hash == before
        assert adaptive.history(ctx) == []
        clock_of(ctx).advance(HOUR)
        ran = adaptive.run_due(ctx)
        assert ran is not None
        [assessment] = ran
        assert assessment.changed
        assert 0.66 <= assessment.after <= 0.71
        assert ctx.policy.version_hash != before
        [version] = adaptive.history(ctx)
        assert version["created_by"] == "system"
        assert len(events(ctx, "policy.adapted")) == 1
        assert adaptive.run_due(ctx) is None
        with ctx.db.read() as conn:
            state = jobs.load_state(conn, adaptive.JOB)
        assert state is not None
        assert state["last_run_ms"] == {"learned": clock_of(ctx).now}
    finally:
        ctx.db.close()


def test_adaptive_job_needs_adaptive_tasks(ctx: Context) -> None:
    assert adaptive.run_due(ctx) is None
    with ctx.db.read() as conn:
        assert jobs.load(conn, adaptive.JOB) is None


def test_the_worker_runs_the_jobs_in_the_background(ctx: Context) -> None:
    a_week_then_a_day(ctx, shifted=True)
    worker = Worker(ctx, interval=0.02)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while not events(ctx, "drift.detected") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert "inloop-jobs" in [t.name for t in worker._threads]
    assert len(events(ctx, "drift.detected")) == 1
    with ctx.db.read() as conn:
        stored = jobs.load_state(conn, drift.JOB)
    assert stored is not None
    assert stored["drifted"] is True
