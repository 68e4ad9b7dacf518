"""What a human label is: from the facts of one stored item, correct, incorrect, or why it is no label.

- *incorrect* when an audit found an error in a released output (``decision.revised`` or ``escaped_error``);
- else, when it was audited after release, *correct* if the audit approved and *incorrect* otherwise;
- else its final human verdict: *correct* when approved unchanged, *incorrect* when edited or rejected;
- no label when it has no confidence, is still pending, or was settled by the policy or an SLA fallback.

One definition for calibration, adaptive thresholds, the ``labels`` export and replay's expected escapes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """One item. ``verdict``/``by``/``provisional`` come from ``items.decision``; ``revised_verdict`` from
    ``decision.revised`` (set when an audit found an error in a released output); ``audit_verdict`` is the
    latest audit review's verdict, if any."""

    item_id: str
    confidence: float | None
    verdict: str | None
    by: str | None
    provisional: bool | None
    revised_verdict: str | None
    audit_verdict: str | None
    escaped_error: bool


def label_of(facts: LabelFacts) -> bool | str:
    """True (correct), False (incorrect), or the reason the item is not a label."""
    if facts.confidence is None:
        return "no confidence"
    if facts.escaped_error or facts.revised_verdict is not None:
        return False
    if facts.audit_verdict is not None:
        return facts.audit_verdict == "approve"
    if facts.verdict is None or facts.provisional:
        return "pending"
    if facts.by in ("sla", "policy") or facts.by is None:
        return "no human verdict"
    return facts.verdict == "approve"
