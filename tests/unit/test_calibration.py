"""Calibration: ECE and Brier against known distributions and brute force, the calibrators, the labels read
from files and the review history's label rule, and the reliability diagram."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from inloop.domain import calibration as cal
from inloop.domain.labels import LabelFacts, label_of
from inloop.errors import InvalidRequest
from inloop.reports.reliability_svg import Series, analysis_svg, reliability_svg
from inloop.services.labels import from_jsonl


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    conf = rng.uniform(size=n)
    return conf, rng.uniform(size=n) < conf


def _ece_brute(conf: np.ndarray, correct: np.ndarray, bins: int, strategy: str) -> float:
    n = len(conf)
    if strategy == "width":
        groups: list[list[int]] = [[] for _ in range(bins)]
        for i, c in enumerate(conf):
            groups[min(int(c * bins), bins - 1)].append(i)
    else:
        ordered = sorted(conf)
        cuts = sorted({ordered[k * n // bins] for k in range(1, bins)})
        groups = [[] for _ in range(len(cuts) + 1)]
        for i, c in enumerate(conf):
            groups[sum(1 for cut in cuts if cut <= c)].append(i)
    total = 0.0
    for g in groups:
        if g:
            total += len(g) / n * abs(sum(conf[i] for i in g) / len(g) - sum(correct[i] for i in g) / len(g))
    return total


# --- ECE and Brier ----------------------------------------------------------------------------------------


def test_perfectly_calibrated_data_has_ece_near_zero() -> None:
    conf, correct = _calibrated(200_000, seed=1)
    assert cal.ece(conf, correct, 10, "width") < 0.006
    assert cal.ece(conf, correct, 10, "mass") < 0.006
    assert cal.ece(conf, correct, 15, "width") < 0.008
    # Brier of a calibrated uniform score: E[c(1-c)] = 1/6.
    assert cal.brier(conf, correct) == pytest.approx(1 / 6, abs=0.003)


def test_always_ninety_percent_with_sixty_percent_accuracy_is_detected() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    conf = np.full(n, 0.9)
    correct = rng.uniform(size=n) < 0.6
    gap = 0.9 - correct.mean()
    assert cal.ece(conf, correct, 10, "width") == pytest.approx(gap, abs=1e-12)
    assert cal.ece(conf, correct, 10, "mass") == pytest.approx(gap, abs=1e-12)
    assert cal.ece(conf, correct) > 0.25
    result = cal.analyse(conf, correct, target=0.02, method="isotonic")
    assert result.before.ece > 0.25
    assert result.after is not None
    assert result.after.ece < 0.02, "isotonic calibration maps 0.9 to about 0.6"
    assert result.threshold is None, "a 40% error rate is automatable at no threshold"
    assert result.recommendation.reason is not None
    assert "fails" in result.recommendation.reason
    assert result.naive_threshold is None


@pytest.mark.parametrize("strategy", ["width", "mass"])
@pytest.mark.parametrize("seed", range(5))
def test_ece_matches_brute_force(strategy: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    conf = np.round(rng.uniform(size=n), int(rng.integers(1, 4)))  # ties and values on bin edges
    correct = rng.uniform(size=n) < 0.7
    bins = int(rng.integers(2, 16))
    expected = _ece_brute(conf, correct, bins, strategy)
    assert cal.ece(conf, correct, bins, strategy) == pytest.approx(expected, abs=1e-9)  # type: ignore[arg-type]


def test_brier_known_values() -> None:
    assert cal.brier(np.array([1.0, 0.0]), np.array([True, False])) == 0.0
    assert cal.brier(np.array([0.8, 0.3]), np.array([True, False])) == pytest.approx((0.04 + 0.09) / 2)
    assert math.isnan(cal.brier(np.zeros(0), np.zeros(0, dtype=bool)))


def test_reliability_bins() -> None:
    conf = np.array([0.05, 0.15, 0.15, 0.95, 1.0])
    correct = np.array([False, True, False, True, True])
    bins = cal.reliability(conf, correct, 10)
    assert [b.n for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins[1].confidence == pytest.approx(0.15)
    assert bins[1].accuracy == 0.5
    assert bins[2].confidence is None
    assert bins[9].accuracy == 1.0


# --- calibrators ------------------------------------------------------------------------------------------


def test_isotonic_calibrator_predicts_like_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    conf = rng.beta(5, 2, size=5000)
    correct = rng.uniform(size=5000) < conf**2
    calibrator = cal.fit_calibrator("isotonic", conf, correct)
    reference = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(conf, correct.astype(float))
    probe = np.concatenate([rng.uniform(size=2000), [0.0, 1.0]])
    np.testing.assert_allclose(calibrator(probe), reference.predict(probe), atol=1e-12)


def test_platt_recovers_a_known_logistic_map() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(0.0, 1.5, size=50_000)
    conf = 1 / (1 + np.exp(-z))
    correct = rng.uniform(size=z.size) < 1 / (1 + np.exp(-(2.0 * z + 0.5)))
    calibrator = cal.fit_calibrator("platt", conf, correct)
    assert calibrator.slope == pytest.approx(2.0, abs=0.08)
    assert calibrator.intercept == pytest.approx(0.5, abs=0.05)
    reference = LogisticRegression(C=np.inf).fit(np.log(conf / (1 - conf)).reshape(-1, 1), correct)
    probe = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(
        calibrator(probe),
        reference.predict_proba(np.log(probe / (1 - probe)).reshape(-1, 1))[:, 1],
        atol=1e-5,
    )


def test_platt_on_one_class_is_the_constant_rate() -> None:
    calibrator = cal.fit_calibrator("platt", np.array([0.2, 0.9, 0.7]), np.array([True, True, True]))
    assert calibrator.slope == 0.0
    assert calibrator(np.array([0.1, 0.99])) == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_fixes_an_overconfident_model_on_held_out_data(method: str) -> None:
    rng = np.random.default_rng(5)
    conf = rng.beta(6, 1.2, size=40_000)
    correct = rng.uniform(size=conf.size) < conf**2  # says 0.9 when right 81% of the time
    result = cal.analyse(conf, correct, target=0.05, method=method)
    assert result.n_fit == result.n_eval == 20_000
    assert result.before.ece > 0.1
    assert result.after is not None
    assert result.after.ece < 0.02
    assert result.after.brier < result.before.brier


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_raw_threshold_automates_the_same_items(method: str) -> None:
    rng = np.random.default_rng(6)
    conf = np.round(rng.beta(4, 1.5, size=20_000), 3)
    correct = rng.uniform(size=conf.size) < 0.3 + 0.7 * conf
    calibrator = cal.fit_calibrator(method, conf, correct)
    scored = calibrator(conf)
    for c in (0.5, 0.8, 0.9, 0.95):
        raw = calibrator.raw_threshold(c)
        if raw is None:
            assert not (scored >= c).any()
            continue
        differ = (scored >= c) != (conf >= raw)
        # Only a confidence within the 1e-5 resolution of the inverse may land on the other side.
        assert np.all(np.abs(conf[differ] - raw) < 1e-5)


def test_none_method_is_identity_and_unknown_method_is_refused() -> None:
    calibrator = cal.fit_calibrator("none", np.zeros(0), np.zeros(0, dtype=bool))
    assert calibrator(np.array([0.3]))[0] == 0.3
    assert calibrator.raw_threshold(0.7) == 0.7
    with pytest.raises(InvalidRequest, match="method"):
        cal.fit_calibrator("beta", np.array([0.5]), np.array([True]))


def test_calibrator_parameters_are_plain_numbers() -> None:
    conf, correct = _calibrated(1000, seed=7)
    iso = cal.fit_calibrator("isotonic", conf, correct).to_dict()
    assert iso["method"] == "isotonic"
    assert len(iso["x"]) == len(iso["y"]) > 1
    platt = cal.fit_calibrator("platt", conf, correct).to_dict()
    assert set(platt) == {"method", "slope", "intercept"}


def test_split_is_seeded_and_disjoint() -> None:
    a_fit, a_eval = cal.split(101, 0.5, seed=3)
    b_fit, _ = cal.split(101, 0.5, seed=3)
    np.testing.assert_array_equal(a_fit, b_fit)
    assert len(a_fit) == 50
    assert len(a_eval) == 51
    assert set(a_fit).isdisjoint(a_eval)
    assert not np.array_equal(cal.split(101, 0.5, seed=4)[0], a_fit)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidRequest, match="between 0 and 1"):
        cal.as_arrays([0.5, 1.5], [True, False])
    with pytest.raises(InvalidRequest, match="between 0 and 1"):
        cal.as_arrays([math.nan], [True])
    with pytest.raises(InvalidRequest, match="2 labels for 1"):
        cal.as_arrays([0.5], [True, False])
    with pytest.raises(InvalidRequest, match="booleans"):
        cal.as_arrays([0.5], [2])
    with pytest.raises(InvalidRequest, match="target_error"):
        cal.analyse([0.5] * 10, [True] * 10, target=0.0)
    with pytest.raises(InvalidRequest, match="delta"):
        cal.analyse([0.5] * 10, [True] * 10, target=0.1, delta=1.0)
    with pytest.raises(InvalidRequest, match="no labelled items"):
        cal.analyse([], [], target=0.1)
    with pytest.raises(InvalidRequest, match="too few"):
        cal.analyse([0.5, 0.6], [True, False], target=0.1)


def test_to_dict_is_json_ready() -> None:
    import json

    conf, correct = _calibrated(5000, seed=8)
    doc = cal.analyse(conf, correct, target=0.1).to_dict()
    text = json.dumps(doc, allow_nan=False)
    assert json.loads(text)["n"] == 2500
    for key in (
        "threshold",
        "error_rate",
        "error_rate_upper",
        "escalation_rate",
        "auto_volume",
        "n",
        "ece_before",
        "ece_after",
        "naive_threshold",
        "table",
    ):
        assert key in doc


# --- labels -----------------------------------------------------------------------------------------------


def test_jsonl_labels_stream_and_ignore_extra_keys() -> None:
    lines = [
        '{"confidence": 0.9, "correct": true, "id": "a", "task_type": "x"}\n',
        "\n",
        '{"confidence": 1, "correct": false}\n',
        '{"correct": true, "confidence": 0}',
    ]
    labels = from_jsonl(lines, "f.jsonl")
    assert labels.n == 3
    np.testing.assert_array_equal(labels.confidence, [0.9, 1.0, 0.0])
    np.testing.assert_array_equal(labels.correct, [True, False, True])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ("[0.5, true]", "expected an object"),
        ('{"correct": true}', "missing confidence"),
        ('{"confidence": 0.5}', "missing correct"),
        ('{"confidence": true, "correct": true}', "confidence must be a number"),
        ('{"confidence": 1.5, "correct": true}', "confidence must be a number"),
        ('{"confidence": NaN, "correct": true}', "confidence must be a number"),
        ('{"confidence": "0.5", "correct": true}', "confidence must be a number"),
        ('{"confidence": 0.5, "correct": "yes"}', "correct must be true or false"),
        ('{"confidence": 0.5, "correct": 1}', "correct must be true or false"),
    ],
)
def test_bad_jsonl_lines_are_named_by_line_number(line: str, message: str) -> None:
    good = '{"confidence": 0.5, "correct": true}'
    with pytest.raises(InvalidRequest) as info:
        from_jsonl([good, good, line, good], "data.jsonl")
    assert f"data.jsonl:3: {message}" in str(info.value)


def test_many_bad_lines_are_counted() -> None:
    with pytest.raises(InvalidRequest) as info:
        from_jsonl(["x"] * 12, "f")
    text = str(info.value)
    assert "f:1:" in text
    assert "f:5:" in text
    assert "f:6:" not in text
    assert "and 7 more bad lines" in text


def _facts(**kw: object) -> LabelFacts:
    base: dict[str, object] = {
        "item_id": "i",
        "confidence": 0.8,
        "verdict": "approve",
        "by": "user:alice",
        "provisional": False,
        "revised_verdict": None,
        "audit_verdict": None,
        "escaped_error": False,
    }
    base.update(kw)
    return LabelFacts(**base)  # type: ignore[arg-type]


def test_label_rule() -> None:
    assert label_of(_facts()) is True
    assert label_of(_facts(verdict="edit")) is False
    assert label_of(_facts(verdict="reject")) is False
    assert label_of(_facts(by="user:a, user:b")) is True
    # Released by policy, then audited.
    assert label_of(_facts(by="policy", audit_verdict="approve")) is True
    assert (
        label_of(_facts(by="policy", audit_verdict="edit", revised_verdict="edit", escaped_error=True))
        is False
    )
    # Not labels.
    assert label_of(_facts(confidence=None)) == "no confidence"
    assert label_of(_facts(verdict=None)) == "pending"
    assert label_of(_facts(by="sla", provisional=True)) == "pending"
    assert label_of(_facts(by="sla", verdict="reject")) == "no human verdict"


# --- the reliability diagram ------------------------------------------------------------------------------


def test_reliability_svg_is_well_formed() -> None:
    rng = np.random.default_rng(9)
    conf = rng.beta(6, 1.2, size=4000)
    correct = rng.uniform(size=conf.size) < conf**2
    result = cal.analyse(conf, correct, target=0.1, method="isotonic")
    svg = analysis_svg(result, "test <data> & more")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    circles = root.findall(f".//{ns}circle")
    assert len(circles) >= 8, "points of both series"
    texts = "".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "isotonic calibrated" in texts
    assert "test <data> & more" in texts
    assert "recommended threshold" in texts


def test_reliability_svg_tolerates_empty_bins() -> None:
    empty = [cal.Bin(lo=k / 10, hi=(k + 1) / 10, n=0, confidence=None, accuracy=None) for k in range(10)]
    svg = reliability_svg([Series("nothing", empty, "#000")], threshold=None)
    ET.fromstring(svg)


def test_anti_correlated_confidence_has_no_raw_threshold() -> None:
    rng = np.random.default_rng(10)
    conf = rng.uniform(size=20_000)
    correct = rng.uniform(size=conf.size) < 1 - conf  # the more confident, the more often wrong
    result = cal.analyse(conf, correct, target=0.2, method="platt")
    assert result.calibrator.slope < 0
    assert result.calibrator.raw_threshold(0.9) is None
    assert any("decreases" in note for note in result.notes)
