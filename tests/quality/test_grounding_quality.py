"""Item-level precision and recall of the grounding check on ``tests/data/grounding_labelled.jsonl``.

Each source has faithful paraphrases (grounded), answers with an invented claim and answers with a wrong
number, date or amount (not grounded). Invented figures are also scored on their own: every one the set
names must be reported, and none that it does not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inloop.checks.grounding import GroundingCheck, GroundingOptions
from inloop.domain.item import Item

DATA = Path(__file__).parents[1] / "data" / "grounding_labelled.jsonl"


def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def test_item_f1_and_number_recall() -> None:
    check = GroundingCheck("grounding", GroundingOptions())
    tp = fp = fn = 0
    numbers_gold = numbers_found = numbers_reported = numbers_right = 0
    for row in rows():
        result = check.run(Item.model_validate(row["item"]))
        ungrounded = not row["grounded"]
        tp += result.flagged and ungrounded
        fp += result.flagged and not ungrounded
        fn += not result.flagged and ungrounded
        gold = set(row["unsupported_numbers"])
        reported = set(result.details["unsupported_numbers"])
        numbers_gold += len(gold)
        numbers_found += len(gold & reported)
        numbers_reported += len(reported)
        numbers_right += len(gold & reported)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    number_recall = numbers_found / max(numbers_gold, 1)
    number_precision = numbers_right / max(numbers_reported, 1)
    summary = (
        f"items precision={precision:.3f} recall={recall:.3f} f1={f1:.3f}; "
        f"unsupported numbers precision={number_precision:.3f} recall={number_recall:.3f}"
    )
    print("\n" + summary)
    assert f1 >= 0.85, summary
    assert number_recall >= 0.9, summary
    assert number_precision >= 0.9, summary


def test_set_is_large_and_well_formed() -> None:
    data = rows()
    assert len(data) >= 120
    assert sum(1 for r in data if r["grounded"]) >= 50
    assert sum(1 for r in data if r["unsupported_numbers"]) >= 40
    for row in data:
        item = Item.model_validate(row["item"])
        assert item.context
        assert not (row["grounded"] and row["unsupported_numbers"])
        for number in row["unsupported_numbers"]:
            assert number in item.output
