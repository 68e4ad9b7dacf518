"""The population stability index and the drift report, on known distributions and a hand-computed case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inloop.domain import drift
from inloop.domain.policy import Drift

LIMITS = Drift(min_items=200)
RNG_SEED = 20261124


def test_identical_samples_have_no_drift() -> None:
    rng = np.random.default_rng(RNG_SEED)
    sample = rng.beta(8, 2, 5000)
    assert drift.psi(sample, sample) == pytest.approx(0.0, abs=1e-12)
    # two independent draws of the same distribution stay far below the alarm
    assert drift.psi(rng.beta(8, 2, 5000), rng.beta(8, 2, 2000)) < 0.02


def test_shifted_samples_pass_the_alarm() -> None:
    rng = np.random.default_rng(RNG_SEED)
    assert drift.psi(rng.beta(8, 2, 5000), rng.beta(2, 2, 1000)) > 0.2
    normal = np.clip(rng.normal(0.6, 0.1, 5000), 0, 1)
    shifted = np.clip(rng.normal(0.75, 0.1, 1000), 0, 1)
    assert drift.psi(normal, shifted) > 0.2
    # a small shift is measured as small
    assert drift.psi(normal, np.clip(rng.normal(0.61, 0.1, 1000), 0, 1)) < 0.1


def test_hand_computed_psi() -> None:
    # two bins cut at the reference's median (0.5): reference 50/50, recent 80/20
    reference = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    recent = [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.3, 0.2, 0.7, 0.8]
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert drift.psi(reference, recent, bins=2) == pytest.approx(expected)
    assert expected == pytest.approx(0.415888, abs=1e-6)
    assert drift.psi_of_shares([0.5, 0.5], [0.8, 0.2]) == pytest.approx(expected)


def test_empty_bins_count_as_epsilon() -> None:
    # every recent value falls in the reference's top bin; the others count as EPSILON, not as zero
    value = drift.psi_of_shares([0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.0, 1.0])
    eps = drift.EPSILON
    expected = 3 * (eps - 0.25) * math.log(eps / 0.25) + 0.75 * math.log(1 / 0.25)
    assert value == pytest.approx(expected)
    assert math.isfinite(value)


def test_a_point_mass_keeps_a_bin_of_its_own() -> None:
    # a check that scores 0 on nine items in ten: the bins are "0" and "above 0", so a rise is seen
    reference = [0.0] * 900 + [0.8] * 100
    edges = drift.bin_edges(reference)
    assert edges[0] == 0.0
    assert edges.size <= 2
    assert drift.shares(reference, edges)[0] == pytest.approx(0.9)
    assert drift.psi(reference, [0.0] * 500 + [0.8] * 500) > 0.2


def test_bad_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="reference sample is empty"):
        drift.psi([], [0.5])
    with pytest.raises(ValueError, match="recent sample is empty"):
        drift.psi([0.5], [])
    with pytest.raises(ValueError, match="same bins"):
        drift.psi_of_shares([0.5, 0.5], [1.0])


def test_report_skips_thin_signals_and_flags_the_escalation_change() -> None:
    rng = np.random.default_rng(RNG_SEED)
    now = 1_700_000_000_000
    report = drift.assess(
        now,
        LIMITS,
        {"confidence": list(rng.beta(8, 2, 1000)), "check:pii": [0.0] * 900, "check:rare": [0.5] * 10},
        {"confidence": list(rng.beta(2, 2, 300)), "check:pii": [0.0] * 300},
        {"auto": 900, "escalate": 100},
        {"auto": 240, "escalate": 60},
    )
    names = [s.name for s in report.signals]
    assert names == ["confidence", "check:pii", "check:rare"]
    confidence, pii, rare = report.signals
    assert confidence.drifted
    assert confidence.psi is not None
    assert confidence.psi > 0.2
    assert not pii.drifted
    assert pii.psi == pytest.approx(0.0)
    assert rare.skipped
    assert not rare.drifted
    assert rare.psi is None
    assert (rare.n_reference, rare.n_recent) == (10, 0)
    assert report.escalation.change == pytest.approx(0.2 - 0.1)
    assert not report.escalation.drifted  # 0.10 is not past the 0.10 limit
    assert report.drifted
    assert report.drifted_signals == ["confidence"]
    day, week = 86_400_000, 7 * 86_400_000
    assert report.recent == (now - day, now)
    assert report.reference == (now - day - week, now - day)
    assert drift.DriftReport.from_dict(report.to_dict()) == report


def test_escalation_change_past_the_limit_and_thin_windows() -> None:
    report = drift.assess(1, LIMITS, {}, {}, {"auto": 950, "escalate": 50}, {"auto": 150, "escalate": 50})
    assert report.escalation.drifted
    assert report.escalation.change == pytest.approx(0.25 - 0.05)
    assert report.drifted_signals == ["escalation"]
    thin = drift.assess(1, LIMITS, {}, {}, {"auto": 950, "escalate": 50}, {"escalate": 50})
    assert thin.escalation.skipped
    assert not thin.drifted
    assert thin.escalation.recent_rate == 1.0
    assert thin.escalation.change is None
