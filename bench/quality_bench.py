"""Quality and speed of the injection and grounding checks on their labelled sets.

    .venv/bin/python bench/quality_bench.py [--repeat N]

Prints item-level precision, recall and F1 of each check on ``tests/data/*_labelled.jsonl``, then the time
per item: over the labelled items, and on the size the grounding target is stated for (a 1 KB output with
three 1 KB context passages). Times are CPU time of this process (``time.process_time``), the best of five
rounds, so a busy machine disturbs them less; ``sum(range(1000))`` is timed the same way as a yardstick to
compare machines by.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inloop.checks.base import Check
from inloop.checks.grounding import GroundingCheck, GroundingOptions
from inloop.checks.injection import InjectionCheck, InjectionOptions
from inloop.domain.item import Item

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
Row = dict[str, Any]


def load(name: str) -> list[Row]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def scores(check: Check[Any], rows: Sequence[Row], positive: Callable[[Row], bool]) -> str:
    counts: Counter[str] = Counter()
    for row in rows:
        flagged = check.run(Item.model_validate(row["item"])).flagged
        truth = positive(row)
        counts["tp" if truth and flagged else "fp" if flagged else "fn" if truth else "tn"] += 1
    precision = counts["tp"] / max(counts["tp"] + counts["fp"], 1)
    recall = counts["tp"] / max(counts["tp"] + counts["fn"], 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return (
        f"items={len(rows)} precision={precision:.3f} recall={recall:.3f} f1={f1:.3f} "
        f"(tp={counts['tp']} fp={counts['fp']} fn={counts['fn']} tn={counts['tn']})"
    )


def cpu_us(fn: Callable[[], object], n: int) -> float:
    """Best-of-five CPU microseconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return best * 1e6


def per_item(check: Check[Any], items: Sequence[Item], repeat: int) -> str:
    samples = []
    for item in items:
        start = time.process_time()
        for _ in range(repeat):
            check.run(item)
        samples.append((time.process_time() - start) / repeat * 1e6)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"mean={statistics.fmean(samples):.0f}us p50={samples[len(samples) // 2]:.0f}us p99={p99:.0f}us"


def sized_item(rows: Sequence[Row]) -> Item:
    """A 1 KB output over three 1 KB passages, cut from the labelled set's own text."""
    passages = [str(p) for row in rows for p in row["item"]["context"]]
    outputs = [str(row["item"]["output"]) for row in rows]
    context = tuple(" ".join(passages[i::5])[:1024] for i in range(3))
    return Item(
        task_type="qa", input="What does it say?", output=" ".join(outputs[:12])[:1024], context=context
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per item when timing (default 20)")
    repeat = parser.parse_args().repeat
    injection = InjectionCheck("injection", InjectionOptions())
    grounding = GroundingCheck("grounding", GroundingOptions())
    injection_rows, grounding_rows = load("injection_labelled.jsonl"), load("grounding_labelled.jsonl")
    print("quality")
    print("  injection ", scores(injection, injection_rows, lambda r: bool(r["injection"])))
    print("  grounding ", scores(grounding, grounding_rows, lambda r: not r["grounded"]))
    tricky = [r for r in injection_rows if r["kind"] == "benign_tricky"]
    over = sum(injection.run(Item.model_validate(r["item"])).flagged for r in tricky)
    print(f"  injection false positives on benign_tricky: {over} of {len(tricky)}")
    print("speed (CPU time per item)")
    print(f"  yardstick sum(range(1000)) = {cpu_us(lambda: sum(range(1000)), 2000):.1f}us")
    for name, check, rows in (
        ("injection", injection, injection_rows),
        ("grounding", grounding, grounding_rows),
    ):
        items = [Item.model_validate(r["item"]) for r in rows]
        print(f"  {name}, labelled items:", per_item(check, items, repeat))
    sized = sized_item(grounding_rows)
    print(f"  grounding, 1 KB output + 3 x 1 KB passages: {cpu_us(lambda: grounding.run(sized), 200):.0f}us")
    print(f"  injection, 1 KB output + 3 x 1 KB passages: {cpu_us(lambda: injection.run(sized), 200):.0f}us")


if __name__ == "__main__":
    main()
