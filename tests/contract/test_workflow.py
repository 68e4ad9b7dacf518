"""The review workflow on every backend: submit, route, claim under leases, decide, agree or adjudicate."""

from __future__ import annotations

from typing import Any

import pytest

from inloop.clock import ManualClock
from inloop.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    ItemError,
    LeaseConflict,
    NotFound,
)
from inloop.services import intake, review, sla
from inloop.services.context import Context
from inloop.storage import audit, tasks, webhooks
from testkit.service import make_user


def submit(ctx: Context, key: str | None = None, **fields: Any) -> dict[str, Any]:
    data = {"output": "the model's answer", **fields}
    return intake.submit(ctx, data, actor="test", idempotency_key=key)[0]


def test_auto_and_block_are_decided_at_once(ctx: Context) -> None:
    auto = submit(ctx, task_type="support_reply", confidence=0.95)
    assert auto["status"] == "decided"
    assert auto["decision"]["verdict"] == "approve"
    assert auto["decision"]["by"] == "policy"
    assert auto["decision"]["output"] == "the model's answer"


def test_queue_and_escalate_open_review_tasks(ctx: Context) -> None:
    queued = submit(ctx, task_type="support_reply", confidence=0.2)
    escalated = submit(ctx, task_type="high_risk", confidence=0.2)
    assert (queued["status"], queued["route"], queued["decision"]) == ("pending", "queue", None)
    assert queued["deadline"] is not None  # support_reply has a 4h SLA
    assert escalated["route"] == "escalate"
    reviewer = make_user(ctx, "rita")
    first = review.claim(ctx, reviewer)[0]
    assert first["item"]["id"] == escalated["id"], "escalations come first"
    assert first["priority"] == 0


def test_idempotent_submit(ctx: Context) -> None:
    a, created = intake.submit(ctx, {"task_type": "t", "output": "x"}, actor="test", idempotency_key="k-1")
    b, again = intake.submit(ctx, {"task_type": "t", "output": "x"}, actor="test", idempotency_key="k-1")
    assert created
    assert not again
    assert a["id"] == b["id"]
    with pytest.raises(IdempotencyConflict):
        intake.submit(ctx, {"task_type": "t", "output": "y"}, actor="test", idempotency_key="k-1")
    c, _ = intake.submit(ctx, {"task_type": "t", "output": "x", "idempotency_key": "k-2"}, actor="test")
    assert c["id"] != a["id"]


def test_caller_ids_are_idempotent_too(ctx: Context) -> None:
    a = submit(ctx, id="order-17", task_type="t")
    assert a["id"] == "order-17"
    assert submit(ctx, id="order-17", task_type="t")["id"] == "order-17"
    with pytest.raises(Conflict):
        submit(ctx, id="order-17", task_type="t", output="different")
    with pytest.raises(InvalidRequest, match="id"):
        submit(ctx, id="has/slash", task_type="t")


def test_bad_item_stores_nothing(ctx: Context) -> None:
    with pytest.raises(ItemError, match="task_type"):
        intake.submit(ctx, {"output": "x"}, actor="test")
    with ctx.db.read() as conn:
        assert audit.count(conn) == 0


def test_lease_rules(ctx: Context, clock: ManualClock) -> None:
    item = submit(ctx, task_type="support_reply", confidence=0.1)
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    (task,) = review.claim(ctx, alice, lease_seconds=60)
    assert review.claim(ctx, bob) == []
    with pytest.raises(LeaseConflict):
        review.decide(ctx, bob, task["id"], lease_token=task["lease_token"], verdict="approve")
    with pytest.raises(LeaseConflict):
        review.decide(ctx, alice, task["id"], lease_token="lease_wrong", verdict="approve")
    clock.advance(50)
    review.heartbeat(ctx, alice, task["id"], task["lease_token"], 60)
    clock.advance(50)
    assert sla.sweep(ctx).leases_expired == 0, "the heartbeat kept it"
    clock.advance(20)
    with pytest.raises(LeaseConflict, match="stale, expired"):
        review.decide(ctx, alice, task["id"], lease_token=task["lease_token"], verdict="approve")
    assert sla.sweep(ctx).leases_expired == 1
    (again,) = review.claim(ctx, bob)
    assert again["id"] == task["id"]
    assert again["lease_token"] != task["lease_token"]
    review.decide(ctx, bob, again["id"], lease_token=again["lease_token"], verdict="approve")
    with pytest.raises(LeaseConflict, match="already decided"):
        review.decide(
            ctx, bob, again["id"], lease_token=again["lease_token"], verdict="reject", category="tone"
        )
    assert intake.get_item(ctx, item["id"])["decision"]["verdict"] == "approve"


def test_release_returns_the_task(ctx: Context) -> None:
    submit(ctx, task_type="support_reply", confidence=0.1)
    alice = make_user(ctx, "alice")
    (task,) = review.claim(ctx, alice)
    review.release(ctx, alice, task["id"], task["lease_token"])
    assert review.claim(ctx, alice)[0]["id"] == task["id"]


def test_decision_validation(ctx: Context) -> None:
    submit(ctx, task_type="support_reply", confidence=0.1)
    alice = make_user(ctx, "alice")
    (task,) = review.claim(ctx, alice)
    token = task["lease_token"]
    with pytest.raises(InvalidRequest, match="category"):
        review.decide(ctx, alice, task["id"], lease_token=token, verdict="reject")
    with pytest.raises(InvalidRequest, match="output"):
        review.decide(ctx, alice, task["id"], lease_token=token, verdict="edit", category="tone")
    with pytest.raises(InvalidRequest, match="unknown category"):
        review.decide(ctx, alice, task["id"], lease_token=token, verdict="reject", category="vibes")
    item = review.decide(
        ctx,
        alice,
        task["id"],
        lease_token=token,
        verdict="edit",
        output="better",
        category="tone",
        reason="too curt",
    )
    assert item["decision"]["output"] == "better"
    assert item["decision"]["category"] == "tone"


def test_requirements_tiers_and_skills(ctx: Context) -> None:
    submit(ctx, task_type="legal", confidence=0.1)
    junior = make_user(ctx, "jun", tier="junior", skills=("legal",))
    no_skill = make_user(ctx, "sen", tier="senior", skills=("finance",))
    qualified = make_user(ctx, "lex", tier="specialist", skills=("legal", "finance"))
    assert review.claim(ctx, junior) == []
    assert review.claim(ctx, no_skill) == []
    assert len(review.claim(ctx, qualified)) == 1


def test_only_reviewing_roles_claim(ctx: Context) -> None:
    auditor = make_user(ctx, "aud", role="auditor")
    with pytest.raises(Forbidden):
        review.claim(ctx, auditor)


def test_two_reviewers_agree(ctx: Context) -> None:
    item = submit(ctx, task_type="refund_approval", confidence=0.99, attributes={"amount": 10})
    a, b = make_user(ctx, "a"), make_user(ctx, "b")
    (ta,) = review.claim(ctx, a)
    assert review.claim(ctx, a) == [], "the same person never gets the second review of one item"
    (tb,) = review.claim(ctx, b)
    after_one = review.decide(ctx, a, ta["id"], lease_token=ta["lease_token"], verdict="approve")
    assert after_one["status"] == "pending"
    final = review.decide(ctx, b, tb["id"], lease_token=tb["lease_token"], verdict="approve")
    assert final["status"] == "decided"
    assert final["decision"]["verdict"] == "approve"
    assert intake.get_item(ctx, item["id"])["decision"]["by"] == "user:a, user:b"


def test_disagreement_goes_to_a_lead(ctx: Context) -> None:
    item = submit(ctx, task_type="refund_approval", confidence=0.99, attributes={"amount": 10})
    a, b = make_user(ctx, "a"), make_user(ctx, "b")
    lead = make_user(ctx, "lead", role="lead", tier="specialist")
    (ta,), (tb,) = review.claim(ctx, a), review.claim(ctx, b)
    review.decide(ctx, a, ta["id"], lease_token=ta["lease_token"], verdict="approve")
    after = review.decide(
        ctx, b, tb["id"], lease_token=tb["lease_token"], verdict="reject", category="wrong_action"
    )
    assert after["status"] == "pending"
    assert review.claim(ctx, make_user(ctx, "c")) == [], "reviewers cannot take adjudications"
    (adj,) = review.claim(ctx, lead)
    assert adj["kind"] == "adjudication"
    assert sorted(r["verdict"] for r in adj["item"]["reviews"]) == ["approve", "reject"]
    final = review.decide(
        ctx,
        lead,
        adj["id"],
        lease_token=adj["lease_token"],
        verdict="reject",
        category="wrong_action",
        reason="amount exceeds the order",
    )
    assert final["decision"]["verdict"] == "reject"
    assert final["decision"]["by"] == "user:lead"
    with ctx.db.read() as conn:
        events = [e.event for e in audit.item_events(conn, item["id"])]
    assert "review.disagreement" in events
    assert "review.adjudicated" in events


def test_majority_of_three(ctx: Context) -> None:
    submit(ctx, task_type="vote", confidence=0.1)
    users = [make_user(ctx, n) for n in ("a", "b", "c")]
    claimed = [review.claim(ctx, u)[0] for u in users]
    verdicts = [("approve", None), ("approve", None), ("reject", "tone")]
    result = None
    for user, task, (verdict, category) in zip(users, claimed, verdicts, strict=True):
        result = review.decide(
            ctx, user, task["id"], lease_token=task["lease_token"], verdict=verdict, category=category
        )
    assert result is not None
    assert result["decision"]["verdict"] == "approve"


def test_audit_sample_finding_an_error_revises(ctx: Context) -> None:
    alice = make_user(ctx, "alice")
    sampled = None
    for n in range(60):
        item = submit(ctx, id=f"hr-{n}", task_type="high_risk", confidence=0.99)
        if item["audit_sampled"]:
            sampled = item
            break
    assert sampled is not None, "20% audit rate: one in 60 must be sampled"
    assert sampled["status"] == "decided"
    (task,) = review.claim(ctx, alice)
    assert task["kind"] == "audit"
    after = review.decide(
        ctx,
        alice,
        task["id"],
        lease_token=task["lease_token"],
        verdict="edit",
        output="fixed",
        category="hallucination",
    )
    assert after["escaped_error"] is True
    assert after["decision"]["revised"]["output"] == "fixed"
    with ctx.db.read() as conn:
        assert "item.revised" in [e.event for e in audit.item_events(conn, sampled["id"])]


def test_assignment(ctx: Context) -> None:
    item = submit(ctx, task_type="support_reply", confidence=0.1)
    lead, alice, bob = make_user(ctx, "lead", role="lead"), make_user(ctx, "alice"), make_user(ctx, "bob")
    review.assign(ctx, lead, item["id"], "bob")
    assert review.claim(ctx, alice) == []
    assert len(review.claim(ctx, bob)) == 1
    with pytest.raises(Forbidden):
        review.assign(ctx, alice, item["id"], "alice")
    with pytest.raises(NotFound):
        review.assign(ctx, lead, "nope", "bob")


def test_decided_items_announce_webhooks(ctx: Context) -> None:
    with ctx.db.write() as conn:
        webhooks.insert_webhook(
            conn,
            webhook_id="whk_1",
            url="http://127.0.0.1:9/x",
            events=["item.decided"],
            secret="whsec_" + "A" * 32,
            by=None,
            now_ms=0,
        )
    submit(ctx, task_type="support_reply", confidence=0.95)
    submit(ctx, task_type="support_reply", confidence=0.1)
    with ctx.db.read() as conn:
        rows = webhooks.deliveries(conn)
    assert [r.event for r in rows] == ["item.decided"]


def test_claim_skips_leased_and_orders_by_deadline(ctx: Context, clock: ManualClock) -> None:
    later = submit(ctx, task_type="support_reply", confidence=0.1)  # 4h SLA
    clock.advance(1)
    sooner = submit(ctx, task_type="triage", confidence=0.1)  # 1h SLA
    alice = make_user(ctx, "alice")
    first, second = review.claim(ctx, alice, limit=5)
    assert [first["item"]["id"], second["item"]["id"]] == [sooner["id"], later["id"]]
    with ctx.db.read() as conn:
        assert {t.status for t in tasks.for_item(conn, sooner["id"])} == {"leased"}


def test_one_claim_never_takes_two_reviews_of_one_item(ctx: Context) -> None:
    for n in range(3):
        submit(ctx, id=f"two-{n}", task_type="refund_approval", confidence=0.99, attributes={"amount": 10})
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    mine = review.claim(ctx, alice, limit=10)
    assert sorted(t["item"]["id"] for t in mine) == ["two-0", "two-1", "two-2"]
    assert len(review.claim(ctx, bob, limit=10)) == 3
