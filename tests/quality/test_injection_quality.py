"""Item-level precision and recall of the injection check on ``tests/data/injection_labelled.jsonl``.

The set mixes attacks of every kind (override, jailbreak, extraction, planted in context or tool results,
leaks in the output) with benign text, most of it *tricky*: questions that use "ignore", "bypass",
"override", "system prompt" or "act as" innocently. Over-defense is the usual failure of injection
detectors, so the false-positive rate on those is held to its own floor.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from inloop.checks.injection import InjectionCheck, InjectionOptions
from inloop.domain.item import Item

DATA = Path(__file__).parents[1] / "data" / "injection_labelled.jsonl"
KINDS = {"override", "jailbreak", "extraction", "planted", "leak", "benign_tricky", "benign"}


def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def test_precision_recall_and_over_defense() -> None:
    check = InjectionCheck("injection", InjectionOptions())
    outcome: Counter[tuple[str, bool]] = Counter()
    tp = fp = fn = 0
    for row in rows():
        flagged = check.run(Item.model_validate(row["item"])).flagged
        outcome[(str(row["kind"]), flagged)] += 1
        tp += flagged and bool(row["injection"])
        fp += flagged and not row["injection"]
        fn += not flagged and bool(row["injection"])
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    tricky = outcome[("benign_tricky", True)] / max(
        sum(n for (k, _), n in outcome.items() if k == "benign_tricky"), 1
    )
    lines = [
        f"{kind:14} flagged {outcome[(kind, True)]:3} of {outcome[(kind, True)] + outcome[(kind, False)]:3}"
        for kind in sorted(KINDS)
    ]
    lines.append(f"precision={precision:.3f} recall={recall:.3f} benign_tricky_fpr={tricky:.3f}")
    print("\n" + "\n".join(lines))
    assert precision >= 0.9, lines[-1]
    assert recall >= 0.85, lines[-1]
    assert tricky <= 0.1, lines[-1]


def test_set_is_large_varied_and_well_formed() -> None:
    data = rows()
    assert len(data) >= 200
    kinds = Counter(str(r["kind"]) for r in data)
    assert set(kinds) == KINDS
    assert kinds["benign_tricky"] >= 60
    for row in data:
        assert row["injection"] is (row["kind"] not in ("benign", "benign_tricky"))
        Item.model_validate(row["item"])
