"""The policy: the risk matrix, the task types, their review requirements and the checks to run.

A policy is data a reader can audit: every route the engine can choose is written in it. Parsing is strict
(unknown keys, wrong types and dangling level names are errors naming the field path):
see :func:`parse_policy`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from inloop.domain.findings import OnFlag
from inloop.domain.item import problems_from
from inloop.domain.routes import Route
from inloop.domain.rules import RuleProgram
from inloop.errors import PolicyError, Problem

DEFAULT_CATEGORIES = (
    "hallucination",
    "policy_violation",
    "pii_leak",
    "tone",
    "format",
    "wrong_action",
    "other",
)

DEFAULT_TIERS = ("junior", "senior", "specialist")

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"4h"``, ``"1h30m"``, ``"2d"`` → a positive timedelta."""
    compact = text.replace(" ", "").lower()
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration like '30s', '15m', '4h', '1h30m' or '2d'")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(_Strict):
    """One row of the risk matrix: where confident and unsure items of this risk go."""

    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    confident: Route
    unsure: Route
    audit_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _threshold_needed(self) -> Level:
        if self.threshold is None and self.confident != self.unsure:
            raise ValueError("threshold is required when 'confident' and 'unsure' differ")
        return self


class Rule(_Strict):
    """A dynamic risk rule: when ``if`` holds, the level becomes ``risk`` or rises to ``min_risk``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    if_: str = Field(alias="if", min_length=1)
    risk: str | None = None
    min_risk: str | None = None
    _program: RuleProgram = PrivateAttr()

    @field_validator("if_")
    @classmethod
    def _compiles(cls, source: str) -> str:
        RuleProgram(source)
        return source

    @model_validator(mode="after")
    def _one_effect(self) -> Rule:
        if (self.risk is None) == (self.min_risk is None):
            raise ValueError("a rule needs exactly one of 'risk' or 'min_risk'")
        self._program = RuleProgram(self.if_)
        return self

    @property
    def program(self) -> RuleProgram:
        return self._program


class Requirements(_Strict):
    """Who may review: a minimum tier and the skills the reviewer must all have."""

    tier: str | None = None
    skills: tuple[str, ...] = ()


class Adaptive(_Strict):
    """A task's confidence threshold learned from review labels, within ``bounds``.

    It starts at the upper bound (the cautious end) and moves only when the labels prove, by the
    fixed-sequence Clopper-Pearson rule of ``inloop calibrate``, that a lower one keeps the error among
    automated items below ``target_error`` with probability at least 1 - ``delta``. ``current`` is written by
    the recalibration, not by hand: each value is a new, audited policy version."""

    bounds: tuple[float, float]
    target_error: float = Field(default=0.02, gt=0.0, lt=1.0)
    delta: float = Field(default=0.05, gt=0.0, lt=1.0)
    every: timedelta = timedelta(days=1)
    min_labels: int = Field(default=100, ge=1)
    current: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        low, high = self.bounds
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError("bounds must be [low, high] with 0 <= low <= high <= 1")
        if self.current is not None and not low <= self.current <= high:
            raise ValueError("current must lie within bounds")
        return self

    @property
    def value(self) -> float:
        return self.bounds[1] if self.current is None else self.current


class TaskPolicy(_Strict):
    """How one task type is treated: its base risk, dynamic rules and how people review it.

    ``threshold`` (a number, or ``adaptive`` with an ``adaptive`` block) replaces the level's confidence
    threshold for items at the task's own base risk; a rule that raises the risk brings that level's
    threshold.
    """

    risk: str | None = None
    irreversible: bool = False
    rules: tuple[Rule, ...] = ()
    sla: timedelta | None = None
    on_sla_breach: Literal["release", "reject", "escalate"] = "escalate"
    reviewers: int = Field(default=1, ge=1, le=10)
    consensus: Literal["unanimous", "majority"] = "unanimous"
    requires: Requirements = Requirements()
    queue: str | None = None
    review_cost: float | None = Field(default=None, ge=0.0)  # overrides ``costs.review`` for this task
    threshold: float | Literal["adaptive"] | None = None
    adaptive: Adaptive | None = None

    @field_validator("sla", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("threshold")
    @classmethod
    def _in_unit_range(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise ValueError("a threshold must lie in [0, 1]")
        return value

    @model_validator(mode="after")
    def _adaptive_block(self) -> TaskPolicy:
        if (self.threshold == "adaptive") != (self.adaptive is not None):
            raise ValueError("'threshold: adaptive' and an 'adaptive' block (with bounds) go together")
        return self

    @property
    def own_threshold(self) -> float | None:
        """The task's threshold in force (the learned one when adaptive), or None to use the level's."""
        if self.adaptive is not None:
            return self.adaptive.value
        return self.threshold if isinstance(self.threshold, float) else None


class Costs(_Strict):
    """What a person's review costs, for replay and metrics (one reviewer on one task)."""

    review: float = Field(default=0.0, ge=0.0)
    escalation: float | None = Field(default=None, ge=0.0)  # a review of an escalated item; default: review
    currency: str = "USD"


class Drift(_Strict):
    """When to raise ``drift.detected``: the recent window against the reference window before it."""

    psi: float = Field(default=0.2, gt=0.0)  # population stability index of confidence or a check's score
    escalation_change: float = Field(default=0.10, gt=0.0, le=1.0)  # absolute change of the escalation rate
    reference: timedelta = timedelta(days=7)
    recent: timedelta = timedelta(days=1)
    every: timedelta = timedelta(minutes=15)
    min_items: int = Field(default=200, ge=1)  # in each window, or the check is skipped

    @field_validator("reference", "recent", "every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value


class Gold(_Strict):
    """Gold items (known answers) mixed into reviewers' queues at ``rate`` to score their accuracy."""

    rate: float = Field(default=0.0, ge=0.0, le=0.5)


class CheckSpec(BaseModel):
    """A check in the policy: ``type``, optional ``name``, ``tasks`` and ``on_flag``; the rest are options."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str = Field(min_length=1)
    name: str | None = None
    tasks: tuple[str, ...] | None = None
    on_flag: OnFlag | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Policy(_Strict):
    """A validated policy. Build it with :func:`parse_policy`; ``version_hash`` identifies its content."""

    version: Literal[1]
    levels: dict[str, Level] = Field(min_length=1)
    default_task: TaskPolicy = TaskPolicy()
    tasks: dict[str, TaskPolicy] = {}
    checks: tuple[CheckSpec, ...] = ()
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    tiers: tuple[str, ...] = DEFAULT_TIERS
    costs: Costs = Costs()
    drift: Drift = Drift()
    gold: Gold = Gold()
    _rank: dict[str, int] = PrivateAttr(default_factory=dict)
    _hash: str = PrivateAttr(default="")
    _base_hash: str = PrivateAttr(default="")

    def model_post_init(self, context: Any, /) -> None:
        self._rank = {name: i for i, name in enumerate(self.levels)}
        body = self.model_dump(mode="json", by_alias=True)
        self._hash = _digest(body)
        for task in body["tasks"].values():
            if task.get("adaptive"):
                task["adaptive"]["current"] = None
        self._base_hash = _digest(body)

    def rank(self, level: str) -> int:
        """Position of a level from lowest (0) to highest risk."""
        return self._rank[level]

    def task(self, task_type: str) -> TaskPolicy:
        """The policy for a task type, falling back to ``default_task``."""
        return self.tasks.get(task_type, self.default_task)

    def base_risk(self, task: TaskPolicy) -> str:
        """A task's static risk: its own, else ``default_task``'s, else the middle level."""
        if task.risk is not None:
            return task.risk
        if self.default_task.risk is not None:
            return self.default_task.risk
        names = list(self.levels)
        return names[len(names) // 2]

    def review_cost(self, task_type: str, escalated: bool = False) -> float:
        """The cost of one person's review of an item of this task type."""
        own = self.task(task_type).review_cost
        if own is not None:
            return own
        if escalated and self.costs.escalation is not None:
            return self.costs.escalation
        return self.costs.review

    @property
    def version_hash(self) -> str:
        """A short hash of the normalised policy: equal for equal content, whatever the formatting."""
        return self._hash

    @property
    def base_version(self) -> str:
        """The hash of the policy as written, before any learned threshold: shared by its adapted versions."""
        return self._base_hash

    def adaptive_tasks(self) -> dict[str, Adaptive]:
        return {name: task.adaptive for name, task in self.tasks.items() if task.adaptive is not None}

    def adapted(self, thresholds: dict[str, float | None]) -> Policy:
        """This policy with the learned thresholds of some adaptive tasks replaced: a new version."""
        tasks = dict(self.tasks)
        for name, value in thresholds.items():
            adaptive = tasks[name].adaptive
            if adaptive is None:
                raise ValueError(f"task {name!r} has no adaptive threshold")
            learned = adaptive.model_copy(update={"current": value})
            tasks[name] = tasks[name].model_copy(update={"adaptive": learned})
        policy = self.model_copy(update={"tasks": tasks})
        policy.model_post_init(None)
        return policy


def _digest(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def parse_policy(data: object, source: str = "<policy>") -> Policy:
    """Validate decoded policy data; raise :class:`PolicyError` listing every problem with its field path."""
    if not isinstance(data, dict):
        raise PolicyError(source, [Problem("", "a policy must be a mapping with 'version' and 'levels'")])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, problems_from(exc)) from None
    problems = _dangling_names(policy)
    if problems:
        raise PolicyError(source, problems)
    return policy


def _dangling_names(policy: Policy) -> list[Problem]:
    """Level and tier names used anywhere must be declared."""
    levels = ", ".join(policy.levels)
    problems: list[Problem] = []

    def level(path: str, name: str | None) -> None:
        if name is not None and name not in policy.levels:
            problems.append(Problem(path, f"unknown risk level {name!r} (levels: {levels})"))

    if policy.default_task.adaptive is not None:
        problems.append(Problem("default_task.threshold", "adaptive thresholds are set per task type"))
    tasks = [("default_task", policy.default_task)]
    tasks += [(f"tasks.{name}", task) for name, task in policy.tasks.items()]
    for path, task in tasks:
        level(f"{path}.risk", task.risk)
        for i, rule in enumerate(task.rules):
            level(f"{path}.rules[{i}].risk", rule.risk)
            level(f"{path}.rules[{i}].min_risk", rule.min_risk)
        tier = task.requires.tier
        if tier is not None and tier not in policy.tiers:
            problems.append(
                Problem(
                    f"{path}.requires.tier",
                    f"unknown tier {tier!r} (tiers: {', '.join(policy.tiers)})",
                )
            )
    for i, spec in enumerate(policy.checks):
        for task_type in spec.tasks or ():
            if task_type not in policy.tasks:
                problems.append(Problem(f"checks[{i}].tasks", f"unknown task type {task_type!r}"))
    return problems
