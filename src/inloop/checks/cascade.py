"""Run a policy's checks on an item, cheapest first, stopping at the first block.

A crashing check fails closed: the item goes to a person with the error as the reason, rather than out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from inloop.checks.base import Check
from inloop.checks.registry import check_class
from inloop.domain.findings import CheckResult, Finding, OnFlag
from inloop.domain.item import Item, problems_from
from inloop.domain.policy import CheckSpec
from inloop.domain.routes import Route
from inloop.errors import Problem


@dataclass(frozen=True, slots=True)
class Step:
    """A configured check and what the policy does with it."""

    check: Check[Any]
    on_flag: OnFlag
    tasks: frozenset[str] | None

    def applies_to(self, task_type: str) -> bool:
        return self.tasks is None or task_type in self.tasks


@dataclass(frozen=True, slots=True)
class CascadeOutcome:
    """The findings in the order the checks ran, and the check that stopped the cascade, if one did."""

    findings: tuple[Finding, ...]
    stopped_by: str | None


class Cascade:
    """The ordered checks of one policy."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(sorted(steps, key=lambda s: s.check.cost))

    @classmethod
    def build(cls, specs: Sequence[CheckSpec]) -> tuple[Cascade, list[Problem]]:
        """Configure every check of a policy; problems carry paths like ``checks[2].schema``."""
        steps: list[Step] = []
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, spec in enumerate(specs):
            try:
                cls_ = check_class(spec.type)
                options = cls_.options_model.model_validate(spec.options)
                base = spec.name or cls_.kind or spec.type.rpartition(":")[2]
                seen[base] = seen.get(base, 0) + 1
                name = base if seen[base] == 1 else f"{base}_{seen[base]}"
                check = cls_(name, options)
            except ValidationError as exc:
                problems.extend(problems_from(exc, prefix=f"checks[{i}]"))
                continue
            except ValueError as exc:
                problems.append(Problem(f"checks[{i}].type", str(exc)))
                continue
            tasks = frozenset(spec.tasks) if spec.tasks is not None else None
            steps.append(Step(check, spec.on_flag or cls_.default_on_flag, tasks))
        return cls(steps), problems

    def run(self, item: Item) -> CascadeOutcome:
        findings: list[Finding] = []
        for step in self.steps:
            if not step.applies_to(item.task_type):
                continue
            finding = Finding(_run_safely(step.check, item), step.on_flag)
            findings.append(finding)
            if finding.effect is Route.BLOCK:
                return CascadeOutcome(tuple(findings), step.check.name)
        return CascadeOutcome(tuple(findings), None)


def _run_safely(check: Check[Any], item: Item) -> CheckResult:
    try:
        return check.run(item)
    except Exception as exc:  # a broken check must not let the item out unreviewed
        return CheckResult(
            name=check.name,
            score=1.0,
            flagged=True,
            severity="high",
            explanation=f"check crashed ({type(exc).__name__}: {exc}); a person must look",
            demands=Route.QUEUE,
        )
