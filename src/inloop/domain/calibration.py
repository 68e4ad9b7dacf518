"""Calibrated confidence and routing thresholds chosen from labelled data with a guaranteed error bound.

Pure math over two arrays, ``confidence`` (the model's score, 0..1) and ``correct`` (the human label: True
when a reviewer approved the output unchanged). Nothing here reads files or databases.

**Calibration.** A calibrator maps raw confidence to the probability of being correct: isotonic regression
(scikit-learn's ``IsotonicRegression``, a monotone step-and-ramp function) or Platt scaling (a logistic
regression on the logit of confidence). :func:`analyse` fits it on one part of the data (the *calibration
split*, half by default, chosen by a seeded shuffle) and measures it on the other (the *held-out split*), so
the reported improvement is not the calibrator grading its own homework.

**Quality measures.** ECE (expected calibration error: the mean gap between stated confidence and observed
accuracy, weighted by bin size) with equal-width bins and with equal-mass bins, and the Brier score (mean
squared error of the confidence as a probability).

**Threshold table** (seed 003): for each threshold of a grid, the items at or above it are automated; the
table gives the error rate among them, the escalation rate (the share below the threshold) and the
autonomous volume. It is computed from one sort of the confidences (and one of the wrong items'
confidences): the counts at or above each threshold are positions found by binary search, so the cost is
O(n log n + grid · log n), never a pass over the data per threshold.

**The guarantee.** The recommended threshold is the lowest one whose error rate among automated items is
below the target with probability at least 1 − delta. Each threshold's errors ``k`` out of ``n`` automated
items give an exact one-sided Clopper-Pearson upper bound ``U = Beta⁻¹(1 − delta; k + 1, n − k)``. The
thresholds are tested in a *fixed sequence*, strictest first, and the scan stops at the first one whose bound
is not below the target: testing many thresholds this way costs nothing in error probability (each test
runs only if all stricter ones passed, so at most one true-null threshold can be wrongly accepted first, with
probability at most delta). The sequence starts at the strictest threshold that automates enough items to
pass at all with zero errors (``n > ln(delta) / ln(1 − target)``, 149 items for 2% at delta 0.05); that start
depends on the confidences alone, never on the labels, so the guarantee still holds. The naive rule (the
lowest threshold whose *observed* error rate is at most the target, seed 003's ``find_optimal_threshold``) is
reported alongside: it picks thresholds that are too lenient far more often than delta.

**Which confidence is thresholded.** With a calibration method, the table and the guarantee use the
*calibrated* confidence of the held-out split (the calibrator was fitted on the other split, so the labels the
guarantee rests on were not used to fit it). Both calibrators are non-decreasing, so "calibrated ≥ c" is the
same set of items as "raw ≥ r" for some raw threshold ``r``: :attr:`Analysis.raw_threshold` gives it, and that
is the number a policy (which routes on the model's raw confidence) should use. With ``method="none"`` there
is no split: the raw confidence of every item is thresholded.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from inloop.errors import InvalidRequest, Problem

Method = Literal["isotonic", "platt", "none"]
METHODS: tuple[str, ...] = get_args(Method)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_LOGIT_EPS = 1e-6
_INVERSE_GRID = 100_001
"""Points of the raw-confidence grid that maps a calibrated threshold back to a raw one (resolution 1e-5)."""


# --- inputs -----------------------------------------------------------------------------------------------


def as_arrays(confidence: Any, correct: Any) -> tuple[FloatArray, BoolArray]:
    """Validate and convert: equal lengths, confidences finite in [0, 1], labels boolean."""
    conf = np.asarray(confidence, dtype=np.float64).ravel() + 0.0  # a copy, and -0.0 becomes 0.0
    labels = np.asarray(correct).ravel()
    if labels.dtype != np.bool_:
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise InvalidRequest([Problem("correct", "labels must be booleans (or 0/1)")])
        labels = labels.astype(np.bool_)
    if conf.shape != labels.shape:
        raise InvalidRequest([Problem("correct", f"{labels.size} labels for {conf.size} confidences")])
    if conf.size and not (np.isfinite(conf).all() and conf.min() >= 0.0 and conf.max() <= 1.0):
        raise InvalidRequest([Problem("confidence", "confidences must be finite numbers between 0 and 1")])
    return conf, labels


# --- calibrators ------------------------------------------------------------------------------------------


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _LOGIT_EPS, 1.0 - _LOGIT_EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from raw confidence to calibrated probability of being correct.

    ``isotonic`` keeps the fitted knots (``knots_x`` → ``knots_y``, linear in between, clipped at the ends,
    exactly as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")`` predicts); ``platt`` keeps the
    logistic regression's ``slope`` and ``intercept`` on the logit of the raw confidence; ``none`` is the
    identity. The fitted parameters are plain numbers, so a calibrator can be stored and re-applied anywhere.
    """

    method: Method
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, confidence: FloatArray) -> FloatArray:
        if self.method == "isotonic":
            return np.asarray(np.interp(confidence, self.knots_x, self.knots_y), dtype=np.float64)
        if self.method == "platt":
            return _sigmoid(self.slope * _logit(confidence) + self.intercept)
        return np.asarray(confidence, dtype=np.float64)

    @property
    def increasing(self) -> bool:
        """Non-decreasing in the raw confidence (always for isotonic; for Platt when the slope is ≥ 0)."""
        return self.method != "platt" or self.slope >= 0.0

    def raw_threshold(self, calibrated: float) -> float | None:
        """The smallest raw confidence (to 1e-5) whose calibrated value reaches ``calibrated``: automating
        "raw ≥ this" automates the same items as "calibrated ≥ ``calibrated``". None when no raw confidence
        reaches it, or when the calibrator is decreasing (a model whose confidence is anti-correlated with
        correctness cannot be thresholded from below)."""
        if self.method == "none":
            return calibrated
        if not self.increasing:
            return None
        grid = np.linspace(0.0, 1.0, _INVERSE_GRID)
        values = self(grid)
        # Guard against rounding noise on the flat parts of the curve; a non-decreasing map makes this exact.
        values = np.maximum.accumulate(values)
        index = int(np.searchsorted(values, calibrated, side="left"))
        return None if index >= grid.size else float(round(grid[index], 5))

    def to_dict(self) -> dict[str, Any]:
        if self.method == "isotonic":
            return {"method": "isotonic", "x": list(self.knots_x), "y": list(self.knots_y)}
        if self.method == "platt":
            return {"method": "platt", "slope": self.slope, "intercept": self.intercept}
        return {"method": "none"}


def fit_calibrator(method: str, confidence: FloatArray, correct: BoolArray) -> Calibrator:
    """Fit ``method`` (isotonic, platt or none) on the given pairs. Needs scikit-learn for isotonic and
    platt (``pip install 'inloop[ml]'``)."""
    if method not in METHODS:
        raise InvalidRequest([Problem("method", f"must be one of {', '.join(METHODS)} (got {method!r})")])
    if method == "none":
        return Calibrator("none")
    if confidence.size == 0:
        raise InvalidRequest([Problem("data", "nothing to fit a calibrator on")])
    if importlib.util.find_spec("sklearn") is None:  # pragma: no cover - installed wherever the tests run
        raise InvalidRequest(
            [Problem("method", f"{method} calibration needs scikit-learn (pip install 'inloop[ml]')")]
        )
    y = correct.astype(np.float64)
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]

        model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        model.fit(confidence, y)
        return Calibrator(
            "isotonic",
            knots_x=tuple(float(v) for v in model.X_thresholds_),
            knots_y=tuple(float(v) for v in model.y_thresholds_),
        )
    if correct.all() or not correct.any():
        # One class only: logistic regression is undefined; the best calibrated value is the constant rate.
        rate = float(y.mean())
        return Calibrator("platt", slope=0.0, intercept=float(_logit(np.array([rate]))[0]))
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    # C=inf: plain maximum likelihood (Platt scaling has two parameters; nothing to regularise).
    lr = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000)
    lr.fit(_logit(confidence).reshape(-1, 1), correct)
    return Calibrator("platt", slope=float(lr.coef_[0, 0]), intercept=float(lr.intercept_[0]))


# --- calibration quality ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bin:
    """One bin of a reliability diagram: the confidence range, its item count, mean confidence and accuracy
    (both None for an empty bin)."""

    lo: float
    hi: float
    n: int
    confidence: float | None
    accuracy: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lo": self.lo,
            "hi": self.hi,
            "n": self.n,
            "confidence": self.confidence,
            "accuracy": self.accuracy,
        }


def _width_bins(confidence: FloatArray, bins: int) -> NDArray[np.intp]:
    """Equal-width bin index: [0, 1/B), [1/B, 2/B), … [(B-1)/B, 1] (the last bin is closed)."""
    return np.minimum((confidence * bins).astype(np.intp), bins - 1)


def _mass_bins(confidence: FloatArray, bins: int) -> NDArray[np.intp]:
    """Equal-mass bin index: the cut points are the confidences at positions n/B, 2n/B, … of the sorted
    confidences (duplicates removed); a confidence equal to a cut point belongs to the bin above it."""
    ordered = np.sort(confidence)
    positions = (np.arange(1, bins) * ordered.size) // bins
    edges = np.unique(ordered[positions])
    return np.searchsorted(edges, confidence, side="right").astype(np.intp)


def reliability(confidence: FloatArray, correct: BoolArray, bins: int = 10) -> list[Bin]:
    """Equal-width reliability bins (the data of a reliability diagram)."""
    index = _width_bins(confidence, bins)
    counts = np.bincount(index, minlength=bins)
    conf_sums = np.bincount(index, weights=confidence, minlength=bins)
    right = np.bincount(index, weights=correct.astype(np.float64), minlength=bins)
    out = []
    for b in range(bins):
        n = int(counts[b])
        out.append(
            Bin(
                lo=round(b / bins, 10),
                hi=round((b + 1) / bins, 10),
                n=n,
                confidence=float(conf_sums[b] / n) if n else None,
                accuracy=float(right[b] / n) if n else None,
            )
        )
    return out


def ece(
    confidence: FloatArray, correct: BoolArray, bins: int = 10, strategy: Literal["width", "mass"] = "width"
) -> float:
    """Expected calibration error: Σ_b (n_b / n) · |mean confidence_b − accuracy_b|.

    ``width``: B equal-width bins over [0, 1]. ``mass``: up to B bins of (as nearly as possible) equal item
    counts, cut at quantiles of the confidence; equal confidences always share a bin, so heavy ties make
    fewer, larger bins (a model that always says 0.9 has one bin, not B arbitrary slices of one value).
    """
    n = confidence.size
    if n == 0:
        return math.nan
    right = correct.astype(np.float64)
    if strategy == "width":
        index = _width_bins(confidence, bins)
        gaps = np.bincount(index, weights=confidence, minlength=bins) - np.bincount(
            index, weights=right, minlength=bins
        )
    elif strategy == "mass":
        index = _mass_bins(confidence, bins)
        gaps = np.bincount(index, weights=confidence) - np.bincount(index, weights=right)
    else:
        raise ValueError(f"unknown binning strategy {strategy!r}")
    return float(np.abs(gaps).sum() / n)


def brier(confidence: FloatArray, correct: BoolArray) -> float:
    """Mean squared difference between the confidence and the 0/1 outcome (lower is better)."""
    if confidence.size == 0:
        return math.nan
    return float(np.mean((confidence - correct.astype(np.float64)) ** 2))


@dataclass(frozen=True)
class Quality:
    """Calibration quality of one set of confidences against the labels."""

    ece: float
    ece_mass: float
    brier: float
    bins: list[Bin]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ece": _num(self.ece),
            "ece_mass": _num(self.ece_mass),
            "brier": _num(self.brier),
            "bins": [b.to_dict() for b in self.bins],
        }


def quality(confidence: FloatArray, correct: BoolArray, bins: int = 10) -> Quality:
    return Quality(
        ece=ece(confidence, correct, bins, "width"),
        ece_mass=ece(confidence, correct, bins, "mass"),
        brier=brier(confidence, correct),
        bins=reliability(confidence, correct, bins),
    )


# --- thresholds -------------------------------------------------------------------------------------------


def threshold_grid(step: float = 0.01, lo: float = 0.0, hi: float = 1.0) -> FloatArray:
    """Thresholds lo, lo + step, …, hi, each the double nearest its decimal value (so a confidence written as
    ``0.85`` compares equal to the threshold 0.85)."""
    if not (0.0 < step <= 0.5):
        raise InvalidRequest([Problem("step", "must be above 0 and at most 0.5")])
    count = math.floor((hi - lo) / step + 1e-9) + 1
    return np.array([round(lo + k * step, 10) for k in range(count)], dtype=np.float64)


def clopper_pearson_upper(errors: Any, n: Any, delta: float) -> FloatArray:
    """Exact one-sided (1 − delta) upper confidence bound on a binomial rate from ``errors`` out of ``n``:
    the ``1 − delta`` quantile of Beta(errors + 1, n − errors); 1 when every trial failed, NaN when n = 0.

    The quantile is ``scipy.special.betaincinv``, the inverse regularised incomplete beta function that
    ``scipy.stats.beta.ppf`` evaluates too (the same numbers; ``scipy.special`` loads in a fraction of the
    time of ``scipy.stats``, which matters for a command-line tool)."""
    from scipy.special import betaincinv  # type: ignore[import-untyped]

    k = np.asarray(errors, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    k, m = np.broadcast_arrays(k, m)
    out = np.full(k.shape, np.nan)
    out[(m > 0) & (k >= m)] = 1.0
    ok = (m > 0) & (k < m)
    out[ok] = betaincinv(k[ok] + 1.0, m[ok] - k[ok], 1.0 - delta)
    return out


def min_automated(target: float, delta: float) -> int:
    """The fewest automated items whose Clopper-Pearson bound can fall below ``target`` at all, i.e. with zero
    errors: the smallest n with 1 − delta^(1/n) < target, that is n > ln(delta) / ln(1 − target)."""
    n = max(1, math.floor(math.log(delta) / math.log1p(-target)))
    while 1.0 - delta ** (1.0 / n) >= target:
        n += 1
    while n > 1 and 1.0 - delta ** (1.0 / (n - 1)) < target:
        n -= 1
    return n


@dataclass(frozen=True)
class ThresholdTable:
    """Seed 003's table for a grid of thresholds (ascending). ``auto[i]`` items have confidence ≥
    ``thresholds[i]`` and are automated; ``errors[i]`` of them are wrong; the other ``n − auto[i]``
    escalate."""

    n: int
    thresholds: FloatArray
    auto: NDArray[np.int64]
    errors: NDArray[np.int64]
    upper: FloatArray
    delta: float

    @property
    def error_rate(self) -> FloatArray:
        """Observed error rate among automated items (NaN where nothing is automated)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.auto > 0, self.errors / np.maximum(self.auto, 1), np.nan)

    @property
    def escalation_rate(self) -> FloatArray:
        return (self.n - self.auto) / self.n if self.n else np.full(self.auto.shape, np.nan)

    def row(self, i: int) -> dict[str, Any]:
        return {
            "threshold": float(self.thresholds[i]),
            "error_rate": _num(self.error_rate[i]),
            "error_rate_upper": _num(self.upper[i]),
            "errors": int(self.errors[i]),
            "escalation_rate": _num(self.escalation_rate[i]),
            "auto_volume": int(self.auto[i]),
        }

    def rows(self) -> list[dict[str, Any]]:
        return [self.row(i) for i in range(self.thresholds.size)]


def threshold_table(
    confidence: FloatArray, correct: BoolArray, thresholds: FloatArray, delta: float = 0.05
) -> ThresholdTable:
    """Counts at or above each threshold from one sort: ``auto = n − #(confidence < t)`` and likewise for the
    wrong items, each count a binary search in sorted confidences. (Sorting the confidences and, separately,
    the wrong items' confidences is the cumulative-sum method without its argsort, which numpy runs about
    ten times slower than a plain sort.)"""
    thresholds = np.sort(np.asarray(thresholds, dtype=np.float64))
    ordered = np.sort(confidence)
    wrong = np.sort(confidence[~correct])
    auto = (ordered.size - np.searchsorted(ordered, thresholds, side="left")).astype(np.int64)
    errors = (wrong.size - np.searchsorted(wrong, thresholds, side="left")).astype(np.int64)
    return ThresholdTable(
        n=int(confidence.size),
        thresholds=thresholds,
        auto=auto,
        errors=errors,
        upper=clopper_pearson_upper(errors, auto, delta),
        delta=delta,
    )


@dataclass(frozen=True)
class Recommendation:
    """The fixed-sequence outcome, as indices into the table's thresholds. ``index``: the lowest threshold
    that passed (None when none did, and ``reason`` says why); ``start``: where the sequence began (None when
    no threshold automates ``min_auto`` items); ``tested``: how many thresholds were tested;
    ``naive_index``: the naive rule's choice."""

    target: float
    delta: float
    min_auto: int
    index: int | None
    start: int | None
    tested: int
    naive_index: int | None
    reason: str | None


def recommend(table: ThresholdTable, target: float, delta: float) -> Recommendation:
    """Fixed-sequence Clopper-Pearson selection (see the module docstring); the naive rule for contrast."""
    _check_rates(target, delta)
    needed = min_automated(target, delta)
    naive_index = recommend_naive(table, target)
    # The start: the strictest (highest) threshold automating at least `needed` items; confidences only.
    enough = np.flatnonzero(table.auto >= needed)
    if enough.size == 0:
        return Recommendation(
            target,
            delta,
            needed,
            None,
            None,
            0,
            naive_index,
            f"too few items: a bound below {_pct(target)} at delta {delta:g} needs at least {needed} "
            f"automated items even with no errors, and only {table.n} were evaluated",
        )
    start = int(enough[-1])
    accepted: int | None = None
    tested = 0
    for i in range(start, -1, -1):
        tested += 1
        if not table.upper[i] < target:
            break
        accepted = i
    if accepted is None:
        k, n = int(table.errors[start]), int(table.auto[start])
        reason = (
            f"the strictest testable threshold {table.thresholds[start]:g} ({n} items automated, {k} wrong) "
            f"already fails: its {_pct(1 - delta, 0)} upper bound {_pct(float(table.upper[start]))} is not "
            f"below the target {_pct(target)}"
        )
        return Recommendation(target, delta, needed, None, start, tested, naive_index, reason)
    return Recommendation(target, delta, needed, accepted, start, tested, naive_index, None)


# --- the whole analysis -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """Calibration quality before and after, the threshold table and the recommendation (see the module
    docstring for which data each part uses)."""

    method: Method
    n_total: int
    n_fit: int
    n_eval: int
    seed: int
    calibrator: Calibrator
    before: Quality
    after: Quality | None
    table: ThresholdTable
    recommendation: Recommendation
    bins: int = 10
    notes: list[str] = field(default_factory=list)

    @property
    def threshold(self) -> float | None:
        i = self.recommendation.index
        return None if i is None else float(self.table.thresholds[i])

    @property
    def raw_threshold(self) -> float | None:
        """The recommended threshold on the model's raw confidence scale (what a policy compares against)."""
        t = self.threshold
        return None if t is None else self.calibrator.raw_threshold(t)

    @property
    def naive_threshold(self) -> float | None:
        i = self.recommendation.naive_index
        return None if i is None else float(self.table.thresholds[i])

    def to_dict(self) -> dict[str, Any]:
        rec = self.recommendation
        chosen = self.table.row(rec.index) if rec.index is not None else None
        naive = self.table.row(rec.naive_index) if rec.naive_index is not None else None
        return {
            "threshold": self.threshold,
            "raw_threshold": self.raw_threshold,
            "error_rate": chosen["error_rate"] if chosen else None,
            "error_rate_upper": chosen["error_rate_upper"] if chosen else None,
            "escalation_rate": chosen["escalation_rate"] if chosen else None,
            "auto_volume": chosen["auto_volume"] if chosen else None,
            "n": self.n_eval,
            "ece_before": _num(self.before.ece),
            "ece_after": _num(self.after.ece) if self.after else None,
            "naive_threshold": self.naive_threshold,
            "naive_error_rate": naive["error_rate"] if naive else None,
            "naive_error_rate_upper": naive["error_rate_upper"] if naive else None,
            "reason": rec.reason,
            "target_error": rec.target,
            "delta": rec.delta,
            "method": self.method,
            "scale": "raw" if self.method == "none" else "calibrated",
            "n_total": self.n_total,
            "n_calibration": self.n_fit,
            "seed": self.seed,
            "min_auto_volume": rec.min_auto,
            "sequence_start": float(self.table.thresholds[rec.start]) if rec.start is not None else None,
            "thresholds_tested": rec.tested,
            "before": self.before.to_dict(),
            "after": self.after.to_dict() if self.after else None,
            "calibrator": self.calibrator.to_dict(),
            "notes": list(self.notes),
            "table": self.table.rows(),
        }


def split(n: int, fraction: float, seed: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices of the calibration split (``round(fraction · n)`` items) and the held-out split, by a seeded
    shuffle."""
    order = np.random.default_rng(seed).permutation(n)
    cut = round(fraction * n)
    return np.sort(order[:cut]), np.sort(order[cut:])


def analyse(
    confidence: Any,
    correct: Any,
    *,
    target: float,
    delta: float = 0.05,
    method: str = "isotonic",
    fit_fraction: float = 0.5,
    seed: int = 0,
    step: float = 0.01,
    bins: int = 10,
) -> Analysis:
    """Calibrate (fit on a seeded ``fit_fraction`` of the data, evaluate on the rest), then build the
    threshold table and the recommendation on the held-out calibrated confidences. ``method="none"`` uses all
    the data, raw."""
    _check_rates(target, delta)
    if method not in METHODS:
        raise InvalidRequest([Problem("method", f"must be one of {', '.join(METHODS)} (got {method!r})")])
    if not 2 <= bins <= 1000:
        raise InvalidRequest([Problem("bins", "must be between 2 and 1000")])
    grid = threshold_grid(step)
    conf, labels = as_arrays(confidence, correct)
    if conf.size == 0:
        raise InvalidRequest([Problem("data", "no labelled items")])
    notes: list[str] = []
    if method == "none":
        fit_conf, fit_labels, eval_conf, eval_labels = conf[:0], labels[:0], conf, labels
    else:
        if not 0.05 <= fit_fraction <= 0.95:
            raise InvalidRequest([Problem("fit_fraction", "must be between 0.05 and 0.95")])
        if conf.size < 4:
            raise InvalidRequest(
                [Problem("data", f"{conf.size} labelled items are too few to split for calibration")]
            )
        fit_idx, eval_idx = split(conf.size, fit_fraction, seed)
        fit_conf, fit_labels = conf[fit_idx], labels[fit_idx]
        eval_conf, eval_labels = conf[eval_idx], labels[eval_idx]
    calibrator = fit_calibrator(method, fit_conf, fit_labels)
    if not calibrator.increasing:
        notes.append(
            "the fitted calibration decreases with confidence: higher confidence means more errors, so no "
            "raw threshold corresponds to the calibrated one"
        )
    before = quality(eval_conf, eval_labels, bins)
    scored = calibrator(eval_conf) if method != "none" else eval_conf
    after = quality(scored, eval_labels, bins) if method != "none" else None
    table = threshold_table(scored, eval_labels, grid, delta)
    return Analysis(
        method=calibrator.method,
        n_total=int(conf.size),
        n_fit=int(fit_conf.size),
        n_eval=int(eval_conf.size),
        seed=seed,
        calibrator=calibrator,
        before=before,
        after=after,
        table=table,
        recommendation=recommend(table, target, delta),
        bins=bins,
        notes=notes,
    )


def recommend_naive(table: ThresholdTable, target: float) -> int | None:
    """Seed 003's rule: the index of the lowest threshold whose observed error rate among automated items is
    at most ``target`` (None when there is none)."""
    with np.errstate(invalid="ignore"):
        ok = np.flatnonzero((table.auto > 0) & (table.error_rate <= target))
    return int(ok[0]) if ok.size else None


def _check_rates(target: float, delta: float) -> None:
    problems = []
    if not 0.0 < target < 1.0:
        problems.append(Problem("target_error", f"must be between 0 and 1, exclusive (got {target:g})"))
    if not 0.0 < delta < 1.0:
        problems.append(Problem("delta", f"must be between 0 and 1, exclusive (got {delta:g})"))
    if problems:
        raise InvalidRequest(problems)


def _num(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def _pct(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}%"
