"""The routing decision: the risk matrix, flags, dynamic rules, irreversible tasks, sampling, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inloop import Gate, Item, Route
from inloop.domain.findings import CheckResult, Finding, OnFlag
from inloop.domain.policy import Policy, parse_policy
from inloop.domain.routing import audit_bucket, decide
from testkit import MATRIX_POLICY

POLICY: Policy = parse_policy(MATRIX_POLICY)
LEVEL_TASKS = {"low": "support_reply", "medium": "kb_answer", "high": "refund_approval"}

# (level, confident?) -> route, straight from the matrix in the policy.
MATRIX = {
    ("low", True): Route.AUTO,
    ("low", False): Route.QUEUE,
    ("medium", True): Route.AUTO,
    ("medium", False): Route.QUEUE,
    ("high", True): Route.AUDIT,
    ("high", False): Route.ESCALATE,
    ("critical", True): Route.ESCALATE,
    ("critical", False): Route.ESCALATE,
}
FLAGS: list[OnFlag | None] = [None, "note", "audit", "queue", "escalate", "block"]


def item_for(level: str, confident: bool, **extra: Any) -> Item:
    threshold = POLICY.levels[level].threshold or 0.5
    confidence = min(1.0, threshold + 0.01) if confident else threshold - 0.01
    if level == "critical":
        return Item(
            task_type="refund_approval",
            output="ok",
            confidence=confidence,
            attributes={"amount": 50_000},
            **extra,
        )
    return Item(task_type=LEVEL_TASKS[level], output="ok", confidence=confidence, **extra)


def finding(on_flag: OnFlag, flagged: bool = True) -> Finding:
    result = CheckResult(name="probe", score=1.0, flagged=flagged, severity="high", explanation="probe hit")
    return Finding(result, on_flag)


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize(("level", "confident"), list(MATRIX))
def test_matrix(level: str, confident: bool, flag: OnFlag | None) -> None:
    item = item_for(level, confident)
    findings = [] if flag is None else [finding(flag)]
    routing = decide(POLICY, item, findings)

    expected = MATRIX[(level, confident)]
    if flag not in (None, "note"):
        expected = expected.at_least(Route(flag))
    if item.task_type == "refund_approval" and expected.releases:
        expected = Route.QUEUE  # irreversible
    assert routing.risk == level
    assert routing.confident is (confident and level != "critical")
    assert routing.route is expected


def test_unflagged_finding_changes_nothing() -> None:
    routing = decide(POLICY, item_for("low", True), [finding("block", flagged=False)])
    assert routing.route is Route.AUTO


def test_demanded_route_overrides_on_flag() -> None:
    result = CheckResult(
        name="kw",
        score=1.0,
        flagged=True,
        severity="high",
        explanation="blocked phrase",
        demands=Route.BLOCK,
    )
    routing = decide(POLICY, item_for("low", True), [Finding(result, "escalate")])
    assert routing.route is Route.BLOCK
    assert "check kw flagged: blocked phrase" in routing.reasons


def test_reasons_are_readable() -> None:
    item = Item(task_type="support_reply", output="x", confidence=0.62)
    routing = decide(POLICY, item, [])
    assert routing.reasons == ("confidence 0.62 < 0.70 for risk low",)
    assert routing.route is Route.QUEUE


def test_missing_confidence_counts_as_unsure() -> None:
    routing = decide(POLICY, Item(task_type="support_reply", output="x"), [])
    assert routing.route is Route.QUEUE
    assert not routing.confident
    assert "no confidence given" in routing.reasons[0]


@pytest.mark.parametrize(
    ("attributes", "risk"),
    [
        ({"amount": 50}, "high"),
        ({"amount": 50_000}, "critical"),
        ({"amount": 50, "is_new_user": True}, "high"),
        ({"amount": 50_000, "is_new_user": True}, "critical"),
    ],
)
def test_dynamic_rules(attributes: dict[str, Any], risk: str) -> None:
    item = Item(task_type="refund_approval", output="x", confidence=0.99, attributes=attributes)
    assert decide(POLICY, item, []).risk == risk


def test_risk_rule_may_lower_and_min_risk_only_raises() -> None:
    data: dict[str, Any] = {
        **MATRIX_POLICY,
        "tasks": {
            "t": {
                "risk": "high",
                "rules": [
                    {"if": "attributes.amount < 10", "risk": "low"},
                    {"if": "'vip' in tags", "min_risk": "medium"},
                ],
            }
        },
    }
    policy = parse_policy(data)
    small = Item(task_type="t", output="x", confidence=0.9, attributes={"amount": 5})
    assert decide(policy, small, []).risk == "low"
    assert decide(policy, small.model_copy(update={"tags": ("vip",)}), []).risk == "medium"
    big = Item(task_type="t", output="x", confidence=0.9, attributes={"amount": 50}, tags=("vip",))
    assert decide(policy, big, []).risk == "high"


def test_rule_that_cannot_be_evaluated_is_reported_not_fired() -> None:
    item = Item(task_type="refund_approval", output="x", confidence=0.99, attributes={})
    routing = decide(POLICY, item, [])
    assert routing.risk == "high"
    assert "rule 'attributes.amount > 10000' not applied: the item has no 'amount'" in routing.reasons


def test_non_boolean_rule_is_reported() -> None:
    data: dict[str, Any] = {
        **MATRIX_POLICY,
        "tasks": {"t": {"rules": [{"if": "attributes.amount", "risk": "low"}]}},
    }
    item = Item(task_type="t", output="x", attributes={"amount": 3})
    routing = decide(parse_policy(data), item, [])
    assert any("evaluated to int, not a boolean" in r for r in routing.reasons)


def test_irreversible_is_never_released() -> None:
    item = Item(task_type="refund_approval", output="x", confidence=1.0, attributes={"amount": 1})
    routing = decide(POLICY, item, [])
    assert routing.route is Route.QUEUE
    assert "irreversible task: a person must approve before it acts" in routing.reasons


def test_audit_sampling_is_deterministic_and_near_the_rate() -> None:
    items = [
        Item(id=f"i{n}", task_type="refund_approval_like", output="x", confidence=0.99) for n in range(4000)
    ]
    data: dict[str, Any] = {**MATRIX_POLICY, "tasks": {"refund_approval_like": {"risk": "high"}}}
    policy = parse_policy(data)
    first = [decide(policy, i, []).audit_sampled for i in items]
    assert first == [decide(policy, i, []).audit_sampled for i in items]
    assert 0.17 < sum(first) / len(first) < 0.23
    assert all(decide(policy, i, []).route is Route.AUDIT for i in items[:10])


def test_only_released_items_are_sampled() -> None:
    items = [Item(id=f"u{n}", task_type="kb", output="x", confidence=0.1) for n in range(200)]
    assert not any(decide(POLICY, i, []).audit_sampled for i in items)


def test_audit_bucket_is_uniform_enough() -> None:
    buckets = [audit_bucket(f"k{n}", "v") for n in range(10_000)]
    assert all(0 <= b < 1 for b in buckets)
    assert abs(sum(buckets) / len(buckets) - 0.5) < 0.02


def test_gate_runs_custom_checks_and_fails_closed() -> None:
    data: dict[str, Any] = {
        **MATRIX_POLICY,
        "checks": [
            {"type": "testkit.checks:FlagWord", "word": "lawsuit", "on_flag": "escalate"},
            {"type": "testkit.checks:Crashes", "tasks": ["refund_approval"]},
        ],
    }
    gate = Gate.from_dict(data)
    assert (
        gate.route({"task_type": "support_reply", "output": "hello", "confidence": 0.9}).route is Route.AUTO
    )
    flagged = gate.route({"task_type": "support_reply", "output": "a lawsuit", "confidence": 0.9})
    assert flagged.route is Route.ESCALATE
    assert [c.name for c in flagged.checks] == ["FlagWord"]
    crashed = gate.route(
        {
            "task_type": "refund_approval",
            "output": "ok",
            "confidence": 1.0,
            "attributes": {"amount": 1},
        }
    )
    assert crashed.route is Route.QUEUE
    assert "check crashed (RuntimeError: boom)" in crashed.checks[-1].explanation


def test_block_stops_the_cascade() -> None:
    data: dict[str, Any] = {
        **MATRIX_POLICY,
        "checks": [
            {"type": "testkit.checks:FlagWord", "name": "later", "word": "x"},
            {"type": "testkit.checks:FlagWord", "name": "first", "word": "x", "on_flag": "block"},
        ],
    }
    gate = Gate.from_dict(data)
    # Both cost the same, so policy order decides: "later" runs first and only queues; then "first" blocks.
    routing = gate.route({"task_type": "support_reply", "output": "x", "confidence": 0.9})
    assert routing.route is Route.BLOCK
    assert [c.name for c in routing.checks] == ["later", "first"]
    data["checks"].reverse()
    routing = Gate.from_dict(data).route({"task_type": "support_reply", "output": "x", "confidence": 0.9})
    assert [c.name for c in routing.checks] == ["first"]
    assert any("cascade stopped after first" in r for r in routing.reasons)


# --- properties ---

levels = st.sampled_from(["low", "medium", "high", "critical"])
flags = st.sampled_from(FLAGS)
confidences = st.floats(min_value=0.0, max_value=1.0)


def _routed(level: str, confidence: float | None, flag: OnFlag | None, task: str = "t") -> Route:
    data: dict[str, Any] = {**MATRIX_POLICY, "tasks": {task: {"risk": level}}}
    policy = _policies.setdefault(level, parse_policy(data))
    item = Item(id="p", task_type=task, output="x", confidence=confidence)
    return decide(policy, item, [] if flag is None else [finding(flag)]).route


_policies: dict[str, Policy] = {}


@given(levels, confidences, confidences, flags)
def test_more_confidence_never_means_more_review(level: str, a: float, b: float, flag: OnFlag | None) -> None:
    low, high = sorted((a, b))
    assert _routed(level, high, flag).rank <= _routed(level, low, flag).rank


@given(levels, levels, st.one_of(st.none(), confidences), flags)
def test_more_risk_never_means_less_review(
    a: str, b: str, confidence: float | None, flag: OnFlag | None
) -> None:
    low, high = sorted((a, b), key=POLICY.rank)
    assert _routed(high, confidence, flag).rank >= _routed(low, confidence, flag).rank


@given(levels, st.one_of(st.none(), confidences), flags)
def test_routing_is_deterministic(level: str, confidence: float | None, flag: OnFlag | None) -> None:
    assert _routed(level, confidence, flag) is _routed(level, confidence, flag)
