"""What-if replay arithmetic: stored items routed by two policies, compared on load, escapes, hours and cost.

The service feeds every stored item once to :meth:`Replay.add` with the route each side gives it; this module
only counts. Per side (the current policy, or the routes actually stored, and the candidate):

- **route counts**, and the items that change route (counts per ``from -> to``);
- **reviews**: an item routed ``queue`` or ``escalate`` takes the task's ``reviewers`` reviews, a released
  item sampled for audit takes one audit review; ``reviewed_items`` counts the items a person would see;
- **expected escaped errors**: only a *released* item that no audit samples (``auto``, or ``audit`` not
  sampled) can carry an error out unseen. A released item a person labelled counts 1 if the label is an error
  and 0 if not. An unlabelled released item counts its estimated error probability, ``1 - confidence``: the
  model's own claim, so the estimate follows the candidate's threshold item by item (run ``inloop calibrate``
  first if confidence is not calibrated). The task's labelled error rate would not do as the main estimate:
  labels come mostly from items people reviewed because confidence was low, so it overstates the error of
  the confident items a threshold releases. It is used only for unlabelled items without a confidence, where
  nothing better is known (falling back to the overall labelled error rate, else 0 with a note);
- **review hours**: reviews x the mean measured handling time of the task type (fallback: the mean over all
  task types; none measured: unknown);
- **cost**: reviews x :meth:`Policy.review_cost` (an escalated item's reviews at the escalation price).

Reviewers per task and prices come from each side's policy; the stored side has none of its own, so it is
priced with the candidate's, and the deltas then show what the routing change alone does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inloop.domain.policy import Policy
from inloop.domain.routes import Route

STORED = "stored routes"
"""The source name of the side that replays the routes each item actually took."""


@dataclass(frozen=True, slots=True)
class Handling:
    """Measured handling time of one task type's reviews."""

    reviews: int
    total_ms: int

    @property
    def mean_ms(self) -> float | None:
        return self.total_ms / self.reviews if self.reviews else None


@dataclass(frozen=True, slots=True)
class Side:
    """One policy's totals over the replayed items."""

    source: str
    policy_version: str | None
    routes: dict[str, int]
    audit_sampled: int
    reviewed_items: int
    reviews: int
    escaped_errors: float
    escaped_labelled: int
    escaped_estimated: float
    review_hours: float | None
    cost: float
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "policy_version": self.policy_version,
            "routes": dict(self.routes),
            "audit_sampled": self.audit_sampled,
            "reviewed_items": self.reviewed_items,
            "reviews": self.reviews,
            "escaped_errors": round(self.escaped_errors, 4),
            "escaped_labelled": self.escaped_labelled,
            "escaped_estimated": round(self.escaped_estimated, 4),
            "review_hours": None if self.review_hours is None else round(self.review_hours, 4),
            "cost": round(self.cost, 4),
            "currency": self.currency,
        }


DELTA_FIELDS = ("audit_sampled", "reviewed_items", "reviews", "escaped_errors", "review_hours", "cost")


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Both sides over the same items, the route changes between them, and what was skipped and why."""

    items: int
    labelled: int
    labelled_errors: int
    current: Side
    candidate: Side
    changes: tuple[tuple[str, str, int], ...]  # (from, to, items), most items first
    handling_ms: dict[str, float]  # mean handling time per task type that has measurements
    skipped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def delta(self) -> dict[str, Any]:
        """Candidate minus current, for the route counts and every total (None where either is unknown)."""
        out: dict[str, Any] = {
            "routes": {r.value: self.candidate.routes[r.value] - self.current.routes[r.value] for r in Route}
        }
        for name in DELTA_FIELDS:
            a, b = getattr(self.current, name), getattr(self.candidate, name)
            out[name] = None if a is None or b is None else b - a
        return out

    def to_dict(self) -> dict[str, Any]:
        delta = self.delta
        for name in ("escaped_errors", "review_hours", "cost"):
            if delta[name] is not None:
                delta[name] = round(delta[name], 4)
        return {
            "items": self.items,
            "labelled": self.labelled,
            "labelled_errors": self.labelled_errors,
            "current": self.current.to_dict(),
            "candidate": self.candidate.to_dict(),
            "delta": delta,
            "changes": [{"from": a, "to": b, "items": n} for a, b, n in self.changes],
            "handling_ms": {t: round(ms, 1) for t, ms in sorted(self.handling_ms.items())},
            "skipped": dict(self.skipped),
            "notes": list(self.notes),
        }


class _Tally:
    """One side's running counts; reviews are kept per task type so hours can be priced per task."""

    __slots__ = (
        "_prices",
        "audit_sampled",
        "cost",
        "escaped_estimated",
        "escaped_labelled",
        "policy",
        "reviewed_items",
        "reviews",
        "routes",
        "unknown_released",
    )

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._prices: dict[str, tuple[int, float, float]] = {}
        self.routes: Counter[Route] = Counter()
        self.audit_sampled = 0
        self.reviewed_items = 0
        self.reviews: Counter[str] = Counter()
        self.cost = 0.0
        self.escaped_labelled = 0
        self.escaped_estimated = 0.0
        self.unknown_released: Counter[str] = Counter()  # unlabelled released items without a confidence

    def _price(self, task_type: str) -> tuple[int, float, float]:
        price = self._prices.get(task_type)
        if price is None:
            policy = self.policy
            price = (
                policy.task(task_type).reviewers,
                policy.review_cost(task_type, False),
                policy.review_cost(task_type, True),
            )
            self._prices[task_type] = price
        return price

    def add(
        self, task_type: str, route: Route, sampled: bool, label: bool | None, confidence: float | None
    ) -> None:
        self.routes[route] += 1
        if route is Route.QUEUE or route is Route.ESCALATE:
            reviewers, plain, escalated = self._price(task_type)
            self.reviewed_items += 1
            self.reviews[task_type] += reviewers
            self.cost += reviewers * (escalated if route is Route.ESCALATE else plain)
        elif route.releases:
            if sampled:
                self.audit_sampled += 1
                self.reviewed_items += 1
                self.reviews[task_type] += 1
                self.cost += self._price(task_type)[1]
            elif label is not None:
                self.escaped_labelled += not label
            elif confidence is not None:
                self.escaped_estimated += 1.0 - confidence
            else:
                self.unknown_released[task_type] += 1

    def side(
        self,
        source: str,
        version: str | None,
        error_rate: Mapping[str, float],
        overall_error: float,
        mean_ms: Mapping[str, float],
        overall_ms: float | None,
    ) -> Side:
        estimated = self.escaped_estimated + sum(
            n * error_rate.get(task, overall_error) for task, n in self.unknown_released.items()
        )
        hours: float | None = 0.0
        for task, n in self.reviews.items():
            ms = mean_ms.get(task, overall_ms)
            if ms is None:
                hours = None
                break
            assert hours is not None
            hours += n * ms / 3_600_000
        return Side(
            source=source,
            policy_version=version,
            routes={r.value: self.routes[r] for r in Route},
            audit_sampled=self.audit_sampled,
            reviewed_items=self.reviewed_items,
            reviews=sum(self.reviews.values()),
            escaped_errors=self.escaped_labelled + estimated,
            escaped_labelled=self.escaped_labelled,
            escaped_estimated=estimated,
            review_hours=hours,
            cost=self.cost,
            currency=self.policy.costs.currency,
        )


class Replay:
    """Accumulates both sides item by item (constant memory), then :meth:`report` prices them.

    ``current`` is the current policy, or None when the current side is the stored routes; it is then priced
    with ``candidate`` (see the module docstring)."""

    def __init__(
        self, candidate: Policy, current: Policy | None = None, *, candidate_source: str, current_source: str
    ) -> None:
        self.candidate_source = candidate_source
        self.current_source = current_source
        self._current_version = None if current is None else current.version_hash
        self._candidate_version = candidate.version_hash
        self._now = _Tally(current if current is not None else candidate)
        self._new = _Tally(candidate)
        self._changes: Counter[tuple[Route, Route]] = Counter()
        self._labelled: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._skipped: Counter[str] = Counter()
        self.items = 0

    def add(
        self,
        task_type: str,
        label: bool | None,
        confidence: float | None,
        current: tuple[Route, bool],
        candidate: tuple[Route, bool],
    ) -> None:
        """One item: its human label (True correct, False error, None unknown), its confidence, and the
        (route, sampled for audit) each side gives it."""
        self.items += 1
        if label is not None:
            self._labelled[task_type] += 1
            self._errors[task_type] += not label
        self._now.add(task_type, current[0], current[1], label, confidence)
        self._new.add(task_type, candidate[0], candidate[1], label, confidence)
        if current[0] is not candidate[0]:
            self._changes[(current[0], candidate[0])] += 1

    def skip(self, reason: str) -> None:
        """An item that could not be replayed (e.g. its stored body no longer parses), counted by reason."""
        self._skipped[reason] += 1

    def report(self, handling: Mapping[str, Handling]) -> ReplayReport:
        """Price both sides: review hours from ``handling`` (measured per task type)."""
        labelled = sum(self._labelled.values())
        errors = sum(self._errors.values())
        overall_error = errors / labelled if labelled else 0.0
        error_rate = {t: self._errors[t] / n for t, n in self._labelled.items()}
        mean_ms = {t: m for t, h in handling.items() if (m := h.mean_ms) is not None}
        total_reviews = sum(h.reviews for h in handling.values())
        overall_ms = sum(h.total_ms for h in handling.values()) / total_reviews if total_reviews else None

        notes: list[str] = []
        unknown = self._now.unknown_released + self._new.unknown_released
        if unknown and not labelled:
            notes.append(
                "released items without a confidence or a label count as 0 expected errors: no labels to "
                "estimate from"
            )
        reviewed_tasks = set(self._now.reviews) | set(self._new.reviews)
        if overall_ms is None and reviewed_tasks:
            notes.append("no review handling times measured: review hours unknown")
        elif overall_ms is not None:
            fallback = sorted(reviewed_tasks - set(mean_ms))
            if fallback:
                notes.append(
                    f"no handling time measured for {', '.join(fallback)}: priced at the overall mean "
                    f"({overall_ms / 60_000:.1f} min)"
                )
        args = (error_rate, overall_error, mean_ms, overall_ms)
        changes = sorted(self._changes.items(), key=lambda kv: (-kv[1], kv[0][0].rank, kv[0][1].rank))
        return ReplayReport(
            items=self.items,
            labelled=labelled,
            labelled_errors=errors,
            current=self._now.side(self.current_source, self._current_version, *args),
            candidate=self._new.side(self.candidate_source, self._candidate_version, *args),
            changes=tuple((a.value, b.value, n) for (a, b), n in changes),
            handling_ms=mean_ms,
            skipped=dict(self._skipped),
            notes=tuple(notes),
        )
