"""The routing decision: risk from task and rules, confidence against the level's threshold, then the checks.

Everything here is a pure function of (policy, item, findings), so the same inputs always give the
same routing;
audit sampling hashes the item's id instead of drawing a random number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from inloop.domain.findings import CheckResult, Finding
from inloop.domain.item import Item
from inloop.domain.policy import Policy, TaskPolicy
from inloop.domain.routes import Route


@dataclass(frozen=True, slots=True)
class Routing:
    """Where an item goes and why. ``reasons`` are sentences a reviewer can read."""

    item_id: str | None
    task_type: str
    route: Route
    risk: str
    confident: bool
    reasons: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    audit_sampled: bool
    policy_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "task_type": self.task_type,
            "route": self.route.value,
            "risk": self.risk,
            "confident": self.confident,
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
            "audit_sampled": self.audit_sampled,
            "policy_version": self.policy_version,
        }


def item_activation(item: Item, fields: Collection[str] | None = None) -> dict[str, Any]:
    """The variables a CEL rule sees: the item's fields (only ``fields`` when given) as plain JSON values."""
    if fields is None:
        return item.model_dump(mode="json")
    return item.model_dump(mode="json", include=set(fields))


def _fields_read(task: TaskPolicy) -> frozenset[str]:
    """The item fields a task's rules read. Passing only these matters: the CEL binding converts every value
    it is given on each call, and a rule on ``attributes`` would otherwise pay for a 1 KB output."""
    return frozenset().union(*(rule.program.variables for rule in task.rules))


def assess_risk(policy: Policy, task: TaskPolicy, item: Item, reasons: list[str]) -> str:
    """The item's risk level: the task's, reset by ``risk`` rules and raised by ``min_risk`` rules."""
    base = policy.base_risk(task)
    if not task.rules:
        return base
    activation = item_activation(item, _fields_read(task))
    set_to: list[str] = []
    floors: list[str] = []
    for rule in task.rules:
        try:
            fired = rule.program.evaluate(activation)
        except ValueError as exc:
            reasons.append(f"rule '{rule.if_}' not applied: {exc}")
            continue
        if fired and rule.risk is not None:
            set_to.append(rule.risk)
            reasons.append(f"rule '{rule.if_}' sets risk {rule.risk}")
        elif fired and rule.min_risk is not None:
            floors.append(rule.min_risk)
            reasons.append(f"rule '{rule.if_}' raises risk to at least {rule.min_risk}")
    level = max(set_to, key=policy.rank) if set_to else base
    return max([level, *floors], key=policy.rank)


def audit_bucket(key: str, policy_version: str) -> float:
    """A number in [0, 1) fixed by the key: sampling that is reproducible and not guessable per item."""
    digest = hashlib.blake2b(f"{policy_version}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def decide(
    policy: Policy, item: Item, findings: Sequence[Finding], *, stopped_by: str | None = None
) -> Routing:
    """Route one item whose checks have already run."""
    task = policy.task(item.task_type)
    reasons: list[str] = []
    risk = assess_risk(policy, task, item, reasons)
    level = policy.levels[risk]

    threshold, whose = level.threshold, f"risk {risk}"
    own = task.own_threshold
    if own is not None and threshold is not None and risk == policy.base_risk(task):
        kind = "adaptive threshold" if task.adaptive is not None else "threshold"
        threshold, whose = own, f"the {kind} of {item.task_type} (risk {risk})"
    confident = _is_confident(item.confidence, threshold, whose, reasons)
    route = level.confident if confident else level.unsure

    for finding in findings:
        effect = finding.effect
        if effect is not None and effect.rank > route.rank:
            reasons.append(f"check {finding.result.name} flagged: {finding.result.explanation}")
            route = effect
        elif effect is not None:
            reasons.append(
                f"check {finding.result.name} flagged (route already {route}): {finding.result.explanation}"
            )
    if stopped_by is not None:
        reasons.append(f"cascade stopped after {stopped_by}: later checks not run")

    if task.irreversible and route.releases:
        reasons.append("irreversible task: a person must approve before it acts")
        route = Route.QUEUE

    version = policy.version_hash
    sampled = False
    if route.releases and level.audit_rate > 0:
        sampled = audit_bucket(item.id or item.fingerprint(), version) < level.audit_rate
        if sampled:
            reasons.append(f"sampled for audit ({level.audit_rate:.0%} of released {risk}-risk items)")

    return Routing(
        item_id=item.id,
        task_type=item.task_type,
        route=route,
        risk=risk,
        confident=confident,
        reasons=tuple(reasons),
        checks=tuple(f.result for f in findings),
        audit_sampled=sampled,
        policy_version=version,
    )


def _is_confident(confidence: float | None, threshold: float | None, whose: str, reasons: list[str]) -> bool:
    if threshold is None:
        reasons.append(f"{whose} has no confidence threshold: every item counts as unsure")
        return False
    if confidence is None:
        reasons.append(f"no confidence given: counts as unsure for {whose}")
        return False
    confident = confidence >= threshold
    sign = ">=" if confident else "<"
    reasons.append(f"confidence {confidence:.2f} {sign} {threshold:.2f} for {whose}")
    return confident
