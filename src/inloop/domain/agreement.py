"""Inter-reviewer agreement beyond chance, from independent reviews of the same items.

A rating is ``(item, reviewer, label)`` with a nominal label (the verdict: approve, reject, edit). Three
standard statistics, each from a maintained implementation:

- **Cohen's kappa** per pair of reviewers, over the items both rated (statsmodels);
- **Fleiss' kappa** over the items rated by the most common number of reviewers: it assumes every item has
  the same number of ratings, so items with another count are left out and counted (statsmodels);
- **Krippendorff's alpha** (nominal) over every item with two or more ratings: it handles missing ratings
  and any number of reviewers, so it is the one number to watch (``krippendorff``).

A statistic is None when it is undefined: too few items, or a single label throughout (no variance, so
agreement beyond chance cannot be told from agreement by chance).
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

Rating = tuple[str, str, str]
"""(item id, reviewer, label)."""
MIN_SHARED = 2
"""Items two reviewers must share before their kappa is reported."""


@dataclass(frozen=True, slots=True)
class PairKappa:
    a: str
    b: str
    items: int
    agreement: float
    kappa: float | None


def _inter_rater() -> Any:
    """statsmodels' inter-rater module, imported on first use: it costs a server ~170 MB resident."""
    from statsmodels.stats import inter_rater

    return inter_rater


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _by_item(ratings: Iterable[Rating]) -> dict[str, dict[str, str]]:
    """Each item's label per reviewer (a reviewer's later rating of the same item replaces the earlier)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for item, rater, label in ratings:
        out[item][rater] = label
    return out


def cohen_pairs(ratings: Iterable[Rating]) -> list[PairKappa]:
    """Cohen's kappa for every pair of reviewers who rated at least :data:`MIN_SHARED` items in common."""
    by_item = _by_item(ratings)
    shared: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for labels in by_item.values():
        for a, b in combinations(sorted(labels), 2):
            shared[a, b].append((labels[a], labels[b]))
    pairs = []
    for (a, b), both in sorted(shared.items()):
        if len(both) < MIN_SHARED:
            continue
        names = sorted({x for pair in both for x in pair})
        index = {name: i for i, name in enumerate(names)}
        table = np.zeros((len(names), len(names)))
        for x, y in both:
            table[index[x], index[y]] += 1
        observed = float(np.trace(table) / len(both))
        kappa = None
        if len(names) > 1:
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                kappa = _finite(_inter_rater().cohens_kappa(table, return_results=False))
        pairs.append(PairKappa(a, b, len(both), observed, kappa))
    return pairs


def fleiss(ratings: Iterable[Rating]) -> dict[str, Any]:
    """Fleiss' kappa over the items with the most common number (2+) of ratings."""
    by_item = _by_item(ratings)
    counts = Counter(len(labels) for labels in by_item.values() if len(labels) >= 2)
    if not counts:
        return {"kappa": None, "items": 0, "raters_per_item": None, "left_out": 0}
    raters, _ = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    chosen = [labels for labels in by_item.values() if len(labels) == raters]
    names = sorted({label for labels in chosen for label in labels.values()})
    table = np.array([[Counter(labels.values())[name] for name in names] for labels in chosen], dtype=float)
    kappa = None
    if len(names) > 1 and len(chosen) >= 2:
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            kappa = _finite(_inter_rater().fleiss_kappa(table, method="fleiss"))
    left_out = sum(n for r, n in counts.items() if r != raters)
    return {"kappa": kappa, "items": len(chosen), "raters_per_item": raters, "left_out": left_out}


def krippendorff_alpha(ratings: Iterable[Rating]) -> float | None:
    """Nominal Krippendorff's alpha over every item rated two or more times."""
    by_item = {item: labels for item, labels in _by_item(ratings).items() if len(labels) >= 2}
    raters = sorted({r for labels in by_item.values() for r in labels})
    names = sorted({label for labels in by_item.values() for label in labels.values()})
    if len(by_item) < 2 or len(names) < 2:
        return None
    code = {name: float(i) for i, name in enumerate(names)}
    data = np.full((len(raters), len(by_item)), np.nan)
    row = {r: i for i, r in enumerate(raters)}
    for j, labels in enumerate(by_item.values()):
        for rater, label in labels.items():
            data[row[rater], j] = code[label]
    import krippendorff

    return _finite(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def summary(ratings: Iterable[Rating]) -> dict[str, Any]:
    """All three statistics, and the raw agreement they correct for chance."""
    rows = list(ratings)
    by_item = _by_item(rows)
    multi = [labels for labels in by_item.values() if len(labels) >= 2]
    unanimous = sum(len(set(labels.values())) == 1 for labels in multi)
    return {
        "items": len(multi),
        "unanimous_rate": unanimous / len(multi) if multi else None,
        "cohen": [
            {"a": p.a, "b": p.b, "items": p.items, "agreement": p.agreement, "kappa": p.kappa}
            for p in cohen_pairs(rows)
        ],
        "fleiss": fleiss(rows),
        "krippendorff_alpha": krippendorff_alpha(rows),
    }
