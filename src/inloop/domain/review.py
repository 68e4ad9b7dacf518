"""Review rules: what a valid decision is, when several reviews agree, and who may take which task."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from inloop.errors import InvalidRequest, Problem


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"


class TaskKind(StrEnum):
    REVIEW = "review"
    ADJUDICATION = "adjudication"
    AUDIT = "audit"


Consensus = Literal["unanimous", "majority"]

PRIORITY_ESCALATED = 0
PRIORITY_REVIEW = 1
PRIORITY_AUDIT = 2


@dataclass(frozen=True, slots=True)
class Vote:
    """One reviewer's decision: the verdict and, for ``edit``, the corrected output."""

    verdict: Verdict
    output: str | None = None

    def key(self) -> tuple[str, str | None]:
        """Two votes agree when their keys are equal (edits must match up to whitespace)."""
        text = " ".join(self.output.split()) if self.verdict is Verdict.EDIT and self.output else None
        return (self.verdict.value, text)

    def final_output(self, model_output: str) -> str | None:
        """The output that goes out after this vote: the model's when approved, the edit, none on reject."""
        if self.verdict is Verdict.EDIT:
            return self.output
        return model_output if self.verdict is Verdict.APPROVE else None


def validate_decision(
    verdict: str, output: str | None, reason: str | None, category: str | None, categories: Sequence[str]
) -> Verdict:
    """Check a reviewer's decision; raise :class:`InvalidRequest` naming each bad field."""
    problems: list[Problem] = []
    try:
        parsed = Verdict(verdict)
    except ValueError:
        problems.append(Problem("verdict", f"must be one of approve, reject, edit (got {verdict!r})"))
        parsed = Verdict.APPROVE
    if parsed is Verdict.EDIT and not (output and output.strip()):
        problems.append(Problem("output", "an edit needs the edited output"))
    if parsed is not Verdict.EDIT and output is not None:
        problems.append(Problem("output", f"only an edit carries an output, not {parsed.value}"))
    if parsed in (Verdict.REJECT, Verdict.EDIT) and not category:
        problems.append(Problem("category", f"a {parsed.value} needs a category ({', '.join(categories)})"))
    if category and category not in categories:
        problems.append(Problem("category", f"unknown category {category!r} ({', '.join(categories)})"))
    if reason is not None and len(reason) > 10_000:
        problems.append(Problem("reason", "at most 10,000 characters"))
    if problems:
        raise InvalidRequest(problems)
    return parsed


def consensus(votes: Sequence[Vote], rule: Consensus) -> Vote | None:
    """The agreed vote, or None when the reviews disagree and a lead must adjudicate."""
    if not votes:
        return None
    counts = Counter(v.key() for v in votes)
    key, count = counts.most_common(1)[0]
    needed = len(votes) if rule == "unanimous" else len(votes) // 2 + 1
    if count < needed:
        return None
    return next(v for v in votes if v.key() == key)


def tier_rank(tiers: Sequence[str], tier: str | None) -> int:
    """Position of a tier (0 = lowest); no tier ranks lowest."""
    return tiers.index(tier) if tier in tiers else 0


def meets(
    user_tier_rank: int, user_skills: frozenset[str], task_tier_rank: int, skills: frozenset[str]
) -> bool:
    """A reviewer may take a task when at or above its tier and holding every skill it requires."""
    return user_tier_rank >= task_tier_rank and skills <= user_skills
