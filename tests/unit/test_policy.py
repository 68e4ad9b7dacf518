"""Policy files: the valid example loads; each kind of mistake is an error naming the file and field path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from inloop import Gate, PolicyError
from inloop.domain.policy import parse_duration, parse_policy


def problems_of(data: Any, source: str = "p.yaml") -> list[str]:
    with pytest.raises(PolicyError) as info:
        Gate.from_dict(data, source)
    assert info.value.source == source
    return [str(p) for p in info.value.problems]


def test_example_matrix_loads(policy_data: dict[str, Any]) -> None:
    policy = parse_policy(policy_data)
    refund = policy.task("refund_approval")
    assert list(policy.levels) == ["low", "medium", "high", "critical"]
    assert refund.sla == timedelta(minutes=15)
    assert refund.requires.skills == ("finance",)
    assert policy.task("unknown_task") is policy.default_task
    assert policy.base_risk(policy.task("unknown_task")) == "medium"


def test_version_hash_ignores_formatting(policy_data: dict[str, Any]) -> None:
    a = parse_policy(policy_data)
    reordered = dict(reversed(list(policy_data.items())))
    assert parse_policy(reordered).version_hash == a.version_hash
    policy_data["levels"]["low"]["threshold"] = 0.71
    assert parse_policy(policy_data).version_hash != a.version_hash


def test_unknown_key(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["support_reply"]["slaa"] = "4h"
    assert problems_of(policy_data) == ["tasks.support_reply.slaa: unknown key"]


def test_wrong_type(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["reviewers"] = "two"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.refund_approval.reviewers: ")
    assert "integer" in problem


def test_unknown_route(policy_data: dict[str, Any]) -> None:
    policy_data["levels"]["low"]["unsure"] = "later"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("levels.low.unsure: ")
    assert "'auto'" in problem
    assert "'block'" in problem


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_threshold_out_of_range(policy_data: dict[str, Any], value: float) -> None:
    policy_data["levels"]["medium"]["threshold"] = value
    (problem,) = problems_of(policy_data)
    assert problem.startswith("levels.medium.threshold: ")


def test_threshold_required_when_routes_differ(policy_data: dict[str, Any]) -> None:
    del policy_data["levels"]["high"]["threshold"]
    assert problems_of(policy_data) == [
        "levels.high: threshold is required when 'confident' and 'unsure' differ"
    ]


def test_rule_that_does_not_compile(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["rules"][0]["if"] = "attributes.amount >"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.refund_approval.rules[0].if: does not compile: ")


def test_rule_with_unknown_variable(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["rules"][1]["if"] = "user.is_new"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.refund_approval.rules[1].if: unknown variable user")


def test_rule_needs_one_effect(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["rules"][0]["min_risk"] = "high"
    assert problems_of(policy_data) == [
        "tasks.refund_approval.rules[0]: a rule needs exactly one of 'risk' or 'min_risk'"
    ]


def test_unknown_level_name(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["rules"][0]["risk"] = "extreme"
    assert problems_of(policy_data) == [
        "tasks.refund_approval.rules[0].risk: unknown risk level 'extreme' "
        "(levels: low, medium, high, critical)"
    ]


def test_unknown_tier(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["requires"]["tier"] = "wizard"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.refund_approval.requires.tier: unknown tier 'wizard'")


def test_bad_duration(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["support_reply"]["sla"] = "soon"
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.support_reply.sla: 'soon' is not a duration")


def test_every_problem_is_reported(policy_data: dict[str, Any]) -> None:
    policy_data["levels"]["low"]["audit_rate"] = 2
    policy_data["tasks"]["support_reply"]["on_sla_breach"] = "explode"
    assert len(problems_of(policy_data)) == 2


def test_unknown_check_type(policy_data: dict[str, Any]) -> None:
    policy_data["checks"] = [{"type": "telepathy"}]
    (problem,) = problems_of(policy_data)
    assert problem.startswith("checks[0].type: unknown check type 'telepathy'")


def test_check_option_errors_have_paths(policy_data: dict[str, Any]) -> None:
    policy_data["checks"] = [{"type": "testkit.checks:FlagWord", "wrod": "x"}]
    assert sorted(problems_of(policy_data)) == [
        "checks[0].word: required field is missing",
        "checks[0].wrod: unknown key",
    ]


def test_custom_check_must_subclass_check(policy_data: dict[str, Any]) -> None:
    policy_data["checks"] = [{"type": "testkit.checks:NotACheck"}]
    (problem,) = problems_of(policy_data)
    assert "is not a subclass of inloop.checks.Check" in problem


def test_check_on_flag_must_be_known(policy_data: dict[str, Any]) -> None:
    policy_data["checks"] = [{"type": "testkit.checks:FlagWord", "word": "x", "on_flag": "panic"}]
    (problem,) = problems_of(policy_data)
    assert problem.startswith("checks[0].on_flag: ")


def test_check_tasks_must_exist(policy_data: dict[str, Any]) -> None:
    policy_data["checks"] = [{"type": "testkit.checks:FlagWord", "word": "x", "tasks": ["nope"]}]
    assert problems_of(policy_data) == ["checks[0].tasks: unknown task type 'nope'"]


def test_not_a_mapping() -> None:
    assert problems_of(["version", 1]) == ["a policy must be a mapping with 'version' and 'levels'"]


def test_file_errors_name_the_file(tmp_path: Path, write_policy: Any) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(PolicyError, match=r"absent\.yaml: file not found"):
        Gate.from_file(missing)
    broken = write_policy("version: 1\nlevels: {low: [\n")
    with pytest.raises(PolicyError, match=r"policy.yaml: not valid YAML: line \d+, column \d+"):
        Gate.from_file(broken)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("4h", 14400), ("1h30m", 5400), ("2d", 172800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0m", "15", "m15", "4 hours", "1h-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_a_task_threshold_applies_at_the_task_base_risk(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["support_reply"]["threshold"] = 0.9
    gate = Gate.from_dict(policy_data)
    routing = gate.route({"task_type": "support_reply", "output": "Hello.", "confidence": 0.8})
    assert routing.route.value == "queue"  # the level's 0.70 would have released it
    assert "confidence 0.80 < 0.90 for the threshold of support_reply (risk low)" in routing.reasons


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (
            {"threshold": "adaptive"},
            "'threshold: adaptive' and an 'adaptive' block (with bounds) go together",
        ),
        ({"adaptive": {"bounds": [0.5, 0.9]}}, "'threshold: adaptive' and an 'adaptive' block"),
        ({"threshold": 1.2}, "a threshold must lie in [0, 1]"),
        ({"threshold": "adaptive", "adaptive": {"bounds": [0.9, 0.5]}}, "bounds must be [low, high]"),
        ({"threshold": "adaptive", "adaptive": {"bounds": [0.5, 0.9], "every": "soon"}}, "not a duration"),
    ],
)
def test_task_threshold_errors(policy_data: dict[str, Any], task: dict[str, Any], message: str) -> None:
    policy_data["tasks"]["support_reply"].update(task)
    (problem,) = problems_of(policy_data)
    assert problem.startswith("tasks.support_reply"), problem
    assert message in problem


def test_adaptive_thresholds_are_per_task_type(policy_data: dict[str, Any]) -> None:
    policy_data["default_task"] = {"threshold": "adaptive", "adaptive": {"bounds": [0.5, 0.9]}}
    assert problems_of(policy_data) == ["default_task.threshold: adaptive thresholds are set per task type"]


def test_adapted_versions_share_their_base(policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["support_reply"].update(
        {"threshold": "adaptive", "adaptive": {"bounds": [0.5, 0.9], "every": "6h"}}
    )
    policy = parse_policy(policy_data)
    assert policy.task("support_reply").own_threshold == 0.9  # the cautious end until labels say otherwise
    learned = policy.adapted({"support_reply": 0.62})
    assert learned.task("support_reply").own_threshold == 0.62
    assert learned.version_hash != policy.version_hash
    assert learned.base_version == policy.base_version
    assert policy.adapted({"support_reply": 0.62}).version_hash == learned.version_hash
    assert learned.adapted({"support_reply": None}).version_hash == policy.version_hash
    with pytest.raises(ValueError, match="no adaptive threshold"):
        policy.adapted({"refund_approval": 0.5})
