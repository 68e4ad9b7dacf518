"""Agreement statistics against textbook worked examples."""

from __future__ import annotations

import pytest

from inloop.domain import agreement
from inloop.domain.agreement import Rating


def test_cohen_kappa_of_the_textbook_yes_no_table() -> None:
    # 50 items: both yes 20, both no 15, A yes/B no 5, A no/B yes 10 -> p_o 0.7, p_e 0.5, kappa 0.4
    cells = [("yes", "yes", 20), ("no", "no", 15), ("yes", "no", 5), ("no", "yes", 10)]
    ratings: list[Rating] = []
    n = 0
    for a, b, count in cells:
        for _ in range(count):
            ratings += [(f"i{n}", "A", a), (f"i{n}", "B", b)]
            n += 1
    [pair] = agreement.cohen_pairs(ratings)
    assert (pair.a, pair.b, pair.items) == ("A", "B", 50)
    assert pair.agreement == pytest.approx(0.7)
    assert pair.kappa == pytest.approx(0.4)


def test_fleiss_kappa_of_fleiss_1971() -> None:
    # The worked example: 10 subjects, 14 raters each, 5 categories; kappa = 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    ratings: list[Rating] = []
    for subject, row in enumerate(table):
        rater = 0
        for category, count in enumerate(row):
            for _ in range(count):
                ratings.append((f"s{subject}", f"r{rater}", f"c{category}"))
                rater += 1
    result = agreement.fleiss([*ratings, ("extra", "r0", "c0"), ("extra", "r1", "c1")])
    assert result["kappa"] == pytest.approx(0.2099, abs=1e-4)
    assert result["items"] == 10
    assert result["raters_per_item"] == 14
    assert result["left_out"] == 1, "the item with two ratings does not fit Fleiss' fixed rater count"


def test_krippendorff_alpha_of_krippendorff_2011() -> None:
    # Four observers, twelve units, missing values (Krippendorff 2011, "Computing Krippendorff's alpha");
    # nominal alpha = 0.743
    observers = {
        "A": "1 2 3 3 2 1 4 1 2 . . .",
        "B": "1 2 3 3 2 2 4 1 2 5 . 3",
        "C": ". 3 3 3 2 3 4 2 2 5 1 .",
        "D": "1 2 3 3 2 4 4 1 2 5 1 .",
    }
    ratings: list[Rating] = [
        (f"u{unit}", name, value)
        for name, row in observers.items()
        for unit, value in enumerate(row.split())
        if value != "."
    ]
    assert agreement.krippendorff_alpha(ratings) == pytest.approx(0.743, abs=5e-4)


def test_undefined_statistics_are_none() -> None:
    same: list[Rating] = [(f"i{n}", r, "approve") for n in range(5) for r in ("A", "B")]
    result = agreement.summary(same)
    assert result["unanimous_rate"] == 1.0
    assert result["cohen"][0]["kappa"] is None, "one label throughout: no variance, kappa undefined"
    assert result["fleiss"]["kappa"] is None
    assert result["krippendorff_alpha"] is None
    assert agreement.summary([])["items"] == 0
