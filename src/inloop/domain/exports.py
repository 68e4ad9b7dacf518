"""Human decisions as training data: the records of the ``sft``, ``dpo``, ``labels`` and ``reviews`` exports.

Pure functions of one stored item (or review) each, so a stream of any length is exported in constant memory.

What a person approved is the item's *final human output*:

- an audit found an error in a released output (``decision.revised``): the audit's edit, or nothing after a
  reject;
- else a person decided (not the policy, not an SLA fallback): the model's output when approved, the edited
  output when edited, nothing when rejected;
- else the policy released it and a post-hoc audit approved it: the model's output.

Both chat formats are *conversational* (lists of ``{role, content}``) for every row, so a file loads as one
dataset with one schema: TRL reads ``messages`` for SFT and ``prompt``/``chosen``/``rejected`` lists for DPO.
The item's context passages, which the model saw, become a system message before the conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from inloop.clock import iso
from inloop.domain.labels import LabelFacts, label_of

Format = Literal["sft", "dpo", "labels", "reviews"]
FORMATS: tuple[Format, ...] = ("sft", "dpo", "labels", "reviews")
NOT_A_PERSON = frozenset({"policy", "sla", ""})
ROLE_MAP = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "user",
}


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A stored item as the exports read it, with the facts its human label is made of."""

    item_id: str
    task_type: str
    body: dict[str, Any]
    decision: dict[str, Any] | None
    policy_version: str
    created_ms: int
    decided_ms: int | None
    facts: LabelFacts
    routing: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StoredReview:
    """One person's review with the item it was about."""

    review_id: str
    item_id: str
    task_type: str
    model: str | None
    policy_version: str
    kind: str
    reviewer: str
    verdict: str
    category: str | None
    reason: str
    output: str | None
    claimed_ms: int
    decided_ms: int
    handling_ms: int
    group_size: int


@dataclass(frozen=True, slots=True)
class HumanOutcome:
    """The human verdict that stands for an item, and the output it approved (None after a reject)."""

    verdict: str
    output: str | None


def outcome(item: StoredItem) -> HumanOutcome | None:
    """The final human verdict and output, or None when no person has judged the item yet."""
    decision = item.decision or {}
    model_output = str(item.body.get("output", ""))
    revised = decision.get("revised")
    if revised:
        return HumanOutcome(revised["verdict"], revised.get("output"))
    by = decision.get("by") or ""
    if decision and by not in NOT_A_PERSON and not decision.get("provisional"):
        verdict = decision["verdict"]
        output = model_output if verdict == "approve" else decision.get("output")
        return HumanOutcome(verdict, output if verdict != "reject" else None)
    if item.facts.audit_verdict == "approve":
        return HumanOutcome("approve", model_output)
    return None


def metadata(item: StoredItem, verdict: str | None) -> dict[str, Any]:
    """The same keys on every record, whatever the item, so the export loads with one schema."""
    decision = item.decision or {}
    categories = [decision.get("category"), (decision.get("revised") or {}).get("category")]
    return {
        "item_id": item.item_id,
        "task_type": item.task_type,
        "model": item.body.get("model"),
        "policy_version": item.policy_version,
        "verdict": verdict,
        "categories": sorted({c for c in categories if c}),
        "created_at": iso(item.created_ms),
        "decided_at": iso(item.decided_ms),
    }


def prompt_messages(body: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation the model answered: its context passages as a system message (after any system
    messages of the input), then the input (a string is one user message)."""
    raw = body.get("input")
    turns: list[dict[str, str]] = []
    if isinstance(raw, str):
        turns.append({"role": "user", "content": raw})
    elif isinstance(raw, list | tuple):
        turns.extend({"role": ROLE_MAP.get(m["role"], m["role"]), "content": m["content"]} for m in raw)
    context = [str(c) for c in body.get("context") or ()]
    if context:
        lead = 0
        while lead < len(turns) and turns[lead]["role"] == "system":
            lead += 1
        passages = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(context, 1))
        turns.insert(lead, {"role": "system", "content": f"Context:\n\n{passages}"})
    return turns


def sft_record(item: StoredItem) -> dict[str, Any] | None:
    """Approved and edited items: the conversation ending in the human-approved answer."""
    human = outcome(item)
    if human is None or human.output is None:
        return None
    messages = [*prompt_messages(item.body), {"role": "assistant", "content": human.output}]
    return {"messages": messages, "metadata": metadata(item, human.verdict)}


def dpo_record(item: StoredItem) -> dict[str, Any] | None:
    """Edited items (however the edit came: a reviewer, an adjudication after a reject, an audit): the human
    output is preferred to the model's."""
    human = outcome(item)
    if human is None or human.verdict != "edit" or human.output is None:
        return None
    model_output = str(item.body.get("output", ""))
    if human.output == model_output:
        return None
    return {
        "prompt": prompt_messages(item.body),
        "chosen": [{"role": "assistant", "content": human.output}],
        "rejected": [{"role": "assistant", "content": model_output}],
        "metadata": metadata(item, human.verdict),
    }


def label_records(item: StoredItem) -> Iterator[dict[str, Any]]:
    """One row per check the item went through, with the human label: ``ok`` when the output was right as
    the model wrote it, ``error`` when a person edited or rejected it."""
    correct = label_of(item.facts)
    if isinstance(correct, str):  # no human label, and why
        return
    human = outcome(item)
    meta = metadata(item, human.verdict if human else None)
    label = "ok" if correct else "error"
    for check in (item.routing or {}).get("checks", []):
        yield {
            "item_id": item.item_id,
            "task_type": item.task_type,
            "check": check["name"],
            "score": check["score"],
            "flagged": check["flagged"],
            "judged": check.get("judged", True),
            "confidence": item.body.get("confidence"),
            "label": label,
            "metadata": meta,
        }


def review_record(review: StoredReview) -> dict[str, Any]:
    """A review as it happened. Reviews of one item that were meant to agree (independent reviews and the
    adjudication that settled them) share ``agreement_group``; audits stand alone."""
    grouped = review.kind in ("review", "adjudication") and review.group_size > 1
    claimed_at, decided_at = iso(review.claimed_ms), iso(review.decided_ms)
    return {
        "review_id": review.review_id,
        "item_id": review.item_id,
        "kind": review.kind,
        "reviewer": review.reviewer,
        "verdict": review.verdict,
        "category": review.category,
        "reason": review.reason,
        "output": review.output,
        "claimed_at": claimed_at,
        "decided_at": decided_at,
        "handling_ms": review.handling_ms,
        "agreement_group": review.item_id if grouped else None,
        "metadata": {
            "item_id": review.item_id,
            "task_type": review.task_type,
            "model": review.model,
            "policy_version": review.policy_version,
            "categories": [review.category] if review.category else [],
            "claimed_at": claimed_at,
            "decided_at": decided_at,
        },
    }
