"""Span-level precision and recall of the pii check on the labelled set ``tests/data/pii_labelled.jsonl``.

A predicted span counts as correct when a gold span of the same label overlaps it (and a gold span as found
when a predicted span of its label overlaps it): offsets of a phone number's "+" or brackets are a matter of
convention, the label is not.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from inloop.checks.pii import PiiCheck, PiiOptions

DATA = Path(__file__).parents[1] / "data" / "pii_labelled.jsonl"


def evaluate(check: PiiCheck) -> dict[str, tuple[int, int, int, int]]:
    """Per label: (gold spans, gold found, predicted spans, predicted correct)."""
    gold_n: Counter[str] = Counter()
    found: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold = [(s["start"], s["end"], s["label"]) for s in row["spans"]]
        pred = [(h.start, h.end, h.label) for h in check.scan(row["text"])]
        for gs, ge, gl in gold:
            gold_n[gl] += 1
            found[gl] += any(pl == gl and ps < ge and gs < pe for ps, pe, pl in pred)
        for ps, pe, pl in pred:
            pred_n[pl] += 1
            correct[pl] += any(pl == gl and ps < ge and gs < pe for gs, ge, gl in gold)
    labels = sorted(set(gold_n) | set(pred_n))
    return {lab: (gold_n[lab], found[lab], pred_n[lab], correct[lab]) for lab in labels}


def test_precision_and_recall() -> None:
    scores = evaluate(PiiCheck("pii", PiiOptions()))
    lines = []
    for label, (gold, hit, pred, right) in scores.items():
        p, r = right / max(pred, 1), hit / max(gold, 1)
        lines.append(f"{label:7} gold={gold:4} pred={pred:4} precision={p:.3f} recall={r:.3f}")
        assert r >= 0.85, lines[-1]
        assert p >= 0.9, lines[-1]
    gold = sum(v[0] for v in scores.values())
    precision = sum(v[3] for v in scores.values()) / sum(v[2] for v in scores.values())
    recall = sum(v[1] for v in scores.values()) / gold
    lines.append(f"overall gold={gold} precision={precision:.3f} recall={recall:.3f}")
    print("\n" + "\n".join(lines))
    assert recall >= 0.9
    assert precision >= 0.95


def test_set_is_large_and_well_formed() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 250
    assert sum(1 for r in rows if not r["spans"]) >= 100  # hard negatives
    for row in rows:
        for span in row["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(row["text"])
            assert span["label"] in {"EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP", "SECRET"}
