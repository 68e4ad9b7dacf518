"""What a check reports about an item, in a form the routing decision and a reviewer can both read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from inloop.domain.routes import Route

Severity = Literal["info", "low", "medium", "high", "critical"]
OnFlag = Literal["note", "audit", "queue", "escalate", "block"]
"""What a flagged check does to the route: raise it to at least that route, or only record (``note``)."""


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of text a check points at; ``field`` is ``output``, ``input[2]``, ``context[0]``..."""

    field: str
    start: int
    end: int
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "label": self.label}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict of one check on one item.

    ``score`` is in [0, 1] (higher means more of what the check looks for, except ``grounding``,
    whose score is the supported share). ``demands`` is a route the check requires whatever the
    policy's ``on_flag`` says (a block-listed keyword demands ``block``). ``judged`` is False when the
    check did not apply to the item;
    ``explanation`` then says why.
    """

    name: str
    score: float
    flagged: bool
    severity: Severity
    explanation: str
    spans: tuple[Span, ...] = ()
    demands: Route | None = None
    judged: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "score": round(self.score, 4),
            "flagged": self.flagged,
            "severity": self.severity,
            "explanation": self.explanation,
            "spans": [s.to_dict() for s in self.spans],
            "judged": self.judged,
        }
        if self.demands is not None:
            out["demands"] = self.demands.value
        if self.details:
            out["details"] = self.details
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """A check result together with what the policy does when it is flagged."""

    result: CheckResult
    on_flag: OnFlag

    @property
    def effect(self) -> Route | None:
        """The route this finding requires at least, or None when it changes nothing."""
        if not self.result.flagged:
            return None
        if self.result.demands is not None:
            return self.result.demands
        return None if self.on_flag == "note" else Route(self.on_flag)
