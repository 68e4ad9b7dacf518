"""A small review history made by driving the real service, with every kind of outcome the exports and
metrics tell apart: approved, edited, rejected, released unreviewed, audited right, audited wrong (revised),
and a two-reviewer disagreement settled by a lead's edit."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from inloop.clock import ManualClock
from inloop.services import intake, review
from inloop.services.accounts import Principal
from inloop.services.context import Context
from testkit import MATRIX_POLICY
from testkit.service import make_user

HISTORY_POLICY: dict[str, Any] = copy.deepcopy(MATRIX_POLICY)
HISTORY_POLICY["tasks"]["high_risk"] = {"risk": "high"}
HISTORY_POLICY["checks"] = [
    {"type": "length", "max_chars": 8000, "on_flag": "block"},
    {"type": "keywords", "escalate": ["lawsuit"], "on_flag": "escalate"},
]
HISTORY_POLICY["costs"] = {"review": 2.0, "escalation": 5.0}
CHECKS = 2


@dataclass
class History:
    """The ids of the items, by what happened to them."""

    approved: str
    edited: str
    rejected: str
    released: str
    audit_approved: str
    audit_revised: str
    adjudicated: str
    unaudited: list[str]

    @property
    def reviewed(self) -> list[str]:
        return [
            self.approved,
            self.edited,
            self.rejected,
            self.audit_approved,
            self.audit_revised,
            self.adjudicated,
        ]


def _sampled(ctx: Context, prefix: str, unaudited: list[str]) -> str:
    """Submit high-risk confident items until one is sampled for audit (20%); the rest go out unreviewed."""
    for n in range(200):
        item = intake.submit(
            ctx,
            {
                "id": f"{prefix}-{n}",
                "task_type": "high_risk",
                "output": "Your order ships Monday.",
                "input": "When does my order ship?",
                "confidence": 0.99,
                "model": "m-2",
            },
            actor="test",
        )[0]
        if item["audit_sampled"]:
            return str(item["id"])
        unaudited.append(str(item["id"]))
    raise AssertionError("a 20% audit rate samples one item in 200")


def build_history(ctx: Context, clock: ManualClock, step_seconds: float = 60) -> History:
    """Each item is submitted, then (after ``step_seconds`` of queue wait) claimed and, after as long again
    of handling, decided, before the next is submitted."""
    rae = make_user(ctx, "rae")
    a, b = make_user(ctx, "ann"), make_user(ctx, "ben")
    lead = make_user(ctx, "lee", role="lead", tier="specialist")

    def submit(**body: Any) -> str:
        item = intake.submit(ctx, {"model": "m-1", **body}, actor="test")[0]
        clock.advance(step_seconds)
        return str(item["id"])

    def decide(who: Principal, verdict: str, **fields: Any) -> dict[str, Any]:
        (task,) = review.claim(ctx, who)
        clock.advance(step_seconds)
        out = review.decide(ctx, who, task["id"], lease_token=task["lease_token"], verdict=verdict, **fields)
        clock.advance(step_seconds)
        return out

    approved = submit(
        task_type="support_reply",
        input="How do I reset my password?",
        output="Use the reset link on the login page.",
        confidence=0.5,
    )
    decide(rae, "approve")
    edited = submit(
        task_type="support_reply",
        input=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Refund window?"}],
        context=["Refunds are accepted within 30 days."],
        output="Refunds are accepted within 60 days.",
        confidence=0.4,
    )
    decide(rae, "edit", output="Refunds are accepted within 30 days.", category="hallucination")
    rejected = submit(task_type="support_reply", input="Hi", output="Go away.", confidence=0.3)
    decide(rae, "reject", category="tone", reason="rude")
    released = submit(task_type="support_reply", input="Hours?", output="9 to 5.", confidence=0.95)
    unaudited: list[str] = []
    audit_approved = _sampled(ctx, "ok", unaudited)
    clock.advance(step_seconds)
    decide(rae, "approve")
    audit_revised = _sampled(ctx, "bad", unaudited)
    clock.advance(step_seconds)
    decide(rae, "edit", output="Your order ships Tuesday.", category="hallucination")
    adjudicated = submit(
        task_type="refund_approval",
        input="Refund order 7",
        output="Refund 100 USD.",
        confidence=0.99,
        attributes={"amount": 100},
    )
    decide(a, "approve")
    decide(b, "reject", category="wrong_action")
    decide(lead, "edit", output="Refund 10 USD.", category="wrong_action", reason="order total was 10")
    return History(
        approved, edited, rejected, released, audit_approved, audit_revised, adjudicated, unaudited
    )
