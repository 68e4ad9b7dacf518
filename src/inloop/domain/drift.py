"""Drift: whether what the model sends now looks like what it sent before, so people watching the loop learn
that the thresholds were set on a population that no longer exists.

Two windows of the same signals are compared: the *reference* window (a week, say) and the *recent* window
after it (a day). The signals are the model's confidence, each check's score, and the escalation rate.

**Population stability index.** ``PSI = Σ (r_i − p_i) · ln(r_i / p_i)`` over bins, ``p`` the reference shares
and ``r`` the recent shares: 0 for identical distributions, about 0.1 for a small shift, and above 0.2 (the
usual alarm, the policy's default) for a shift worth a look. It is symmetric and grows with both the size of
the shift and the mass moved.

**Bins from the reference's quantiles** (deciles), not fixed deciles of [0, 1]: model confidence sits mostly
near 1 (a Beta(8, 2) puts 3/4 of its mass above 0.7), so fixed bins would leave most of the reference in two
or three bins and measure a shift within them poorly, while the empty bins would contribute only epsilon
noise. Equal-mass bins give every bin about a tenth of the reference, so each term is well estimated. Bins
are right-closed, ``(e_{i-1}, e_i]``, and repeated edges are merged: a check whose score is 0 for nine items
in ten gets the bins "0" and "above 0" rather than one bin that hides any change. A bin empty in one window
counts as a share of :data:`EPSILON`, so the index stays finite.

A signal with fewer than ``min_items`` values in either window is reported as skipped, never as drifted: a
PSI over a handful of items is noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inloop.domain.policy import Drift

EPSILON = 1e-4
"""The share an empty bin counts as (of either window), so a bin empty on one side adds a finite term."""
BINS = 10
"""Reference quantile bins (deciles)."""


def bin_edges(reference: ArrayLike, bins: int = BINS) -> NDArray[np.float64]:
    """The inner edges of ``bins`` equal-mass bins of ``reference`` (repeated edges merged)."""
    ref = np.asarray(reference, dtype=np.float64)
    if ref.size == 0:
        raise ValueError("the reference sample is empty")
    if bins < 2:
        raise ValueError("at least two bins are needed")
    return np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def shares(values: ArrayLike, edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """The share of ``values`` in each right-closed bin cut at ``edges`` (``len(edges) + 1`` bins)."""
    x = np.asarray(values, dtype=np.float64)
    counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)
    return counts / max(x.size, 1)


def psi_of_shares(reference: ArrayLike, recent: ArrayLike, epsilon: float = EPSILON) -> float:
    """PSI of two share vectors over the same bins; empty bins count as ``epsilon``."""
    p = np.clip(np.asarray(reference, dtype=np.float64), epsilon, None)
    r = np.clip(np.asarray(recent, dtype=np.float64), epsilon, None)
    if p.shape != r.shape:
        raise ValueError("both share vectors must have the same bins")
    return float(np.sum((r - p) * np.log(r / p)))


def psi(reference: ArrayLike, recent: ArrayLike, bins: int = BINS, epsilon: float = EPSILON) -> float:
    """The population stability index of ``recent`` against ``reference``, over the reference's quantile
    bins."""
    ref = np.asarray(reference, dtype=np.float64)
    rec = np.asarray(recent, dtype=np.float64)
    if rec.size == 0:
        raise ValueError("the recent sample is empty")
    edges = bin_edges(ref, bins)
    return psi_of_shares(shares(ref, edges), shares(rec, edges), epsilon)


@dataclass(frozen=True, slots=True)
class Signal:
    """One distribution compared across the windows: ``confidence`` or ``check:<name>``."""

    name: str
    psi: float | None  # None when skipped
    limit: float
    n_reference: int
    n_recent: int
    drifted: bool
    skipped: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Escalation:
    """The share of items routed to ``escalate`` in each window, and its absolute change."""

    reference_rate: float | None
    recent_rate: float | None
    change: float | None
    limit: float
    n_reference: int
    n_recent: int
    drifted: bool
    skipped: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every signal of one comparison, the windows it compared (``[since, until)`` in ms) and the verdict."""

    at_ms: int
    reference: tuple[int, int]
    recent: tuple[int, int]
    min_items: int
    signals: tuple[Signal, ...]
    escalation: Escalation

    @property
    def drifted(self) -> bool:
        return self.escalation.drifted or any(s.drifted for s in self.signals)

    @property
    def drifted_signals(self) -> list[str]:
        """Names of what drifted (``escalation`` for the escalation rate), for alerts and their dedup."""
        names = [s.name for s in self.signals if s.drifted]
        return names + (["escalation"] if self.escalation.drifted else [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "at_ms": self.at_ms,
            "drifted": self.drifted,
            "drifted_signals": self.drifted_signals,
            "reference": {"since_ms": self.reference[0], "until_ms": self.reference[1]},
            "recent": {"since_ms": self.recent[0], "until_ms": self.recent[1]},
            "min_items": self.min_items,
            "signals": [s.to_dict() for s in self.signals],
            "escalation": self.escalation.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        """The report :meth:`to_dict` wrote (as stored in the drift job's state)."""
        esc = data["escalation"]
        return cls(
            at_ms=int(data["at_ms"]),
            reference=(int(data["reference"]["since_ms"]), int(data["reference"]["until_ms"])),
            recent=(int(data["recent"]["since_ms"]), int(data["recent"]["until_ms"])),
            min_items=int(data["min_items"]),
            signals=tuple(
                Signal(
                    name=str(s["name"]),
                    psi=None if s["psi"] is None else float(s["psi"]),
                    limit=float(s["limit"]),
                    n_reference=int(s["n_reference"]),
                    n_recent=int(s["n_recent"]),
                    drifted=bool(s["drifted"]),
                    skipped=bool(s["skipped"]),
                )
                for s in data["signals"]
            ),
            escalation=Escalation(
                reference_rate=esc["reference_rate"],
                recent_rate=esc["recent_rate"],
                change=esc["change"],
                limit=float(esc["limit"]),
                n_reference=int(esc["n_reference"]),
                n_recent=int(esc["n_recent"]),
                drifted=bool(esc["drifted"]),
                skipped=bool(esc["skipped"]),
            ),
        )


def windows(now_ms: int, limits: Drift) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(reference, recent)`` as ``[since, until)`` in ms: the recent window ends now, the reference window
    ends where it starts."""
    recent_ms = int(limits.recent.total_seconds() * 1000)
    reference_ms = int(limits.reference.total_seconds() * 1000)
    start = now_ms - recent_ms
    return (start - reference_ms, start), (start, now_ms)


def signal(name: str, reference: Sequence[float], recent: Sequence[float], limits: Drift) -> Signal:
    """Compare one signal's two samples; skipped when either holds fewer than ``min_items`` values."""
    n_ref, n_rec = len(reference), len(recent)
    if min(n_ref, n_rec) < limits.min_items:
        return Signal(name, None, limits.psi, n_ref, n_rec, drifted=False, skipped=True)
    value = psi(reference, recent)
    return Signal(name, value, limits.psi, n_ref, n_rec, drifted=value > limits.psi, skipped=False)


def escalation(
    escalated_reference: int, total_reference: int, escalated_recent: int, total_recent: int, limits: Drift
) -> Escalation:
    """The escalation rate's change; skipped when either window routed fewer than ``min_items`` items."""
    if min(total_reference, total_recent) < limits.min_items:
        ref_rate = escalated_reference / total_reference if total_reference else None
        rec_rate = escalated_recent / total_recent if total_recent else None
        return Escalation(
            ref_rate, rec_rate, None, limits.escalation_change, total_reference, total_recent, False, True
        )
    ref_rate = escalated_reference / total_reference
    rec_rate = escalated_recent / total_recent
    change = rec_rate - ref_rate
    return Escalation(
        ref_rate,
        rec_rate,
        change,
        limits.escalation_change,
        total_reference,
        total_recent,
        drifted=abs(change) > limits.escalation_change,
        skipped=False,
    )


def assess(
    now_ms: int,
    limits: Drift,
    reference: Mapping[str, Sequence[float]],
    recent: Mapping[str, Sequence[float]],
    routes_reference: Mapping[str, int],
    routes_recent: Mapping[str, int],
) -> DriftReport:
    """The report for samples keyed by signal name (``confidence`` first, then the checks by name) and the
    route counts of each window. A signal seen in only one window is reported, skipped."""
    ref_window, rec_window = windows(now_ms, limits)
    names = sorted(set(reference) | set(recent), key=lambda n: (n != "confidence", n))
    signals = tuple(signal(n, reference.get(n, ()), recent.get(n, ()), limits) for n in names)
    esc = escalation(
        routes_reference.get("escalate", 0),
        sum(routes_reference.values()),
        routes_recent.get("escalate", 0),
        sum(routes_recent.values()),
        limits,
    )
    return DriftReport(now_ms, ref_window, rec_window, limits.min_items, signals, esc)
