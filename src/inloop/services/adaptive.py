"""Adaptive thresholds: each task type with ``threshold: adaptive`` gets the lowest threshold within its
bounds that the review labels prove safe, and every change becomes a new, audited policy version.

The proof is the one ``inloop calibrate`` recommends by: Clopper-Pearson upper bounds tested in a fixed
sequence from the strictest threshold down, so the error among automated items stays below ``target_error``
with probability at least 1 - ``delta`` however many thresholds are looked at. Without enough labels, or when
even the strictest threshold fails, the threshold goes back to the upper bound: uncertainty costs reviews,
never quality.

Labels come from the review history (``services.labels``), which over-represents what the current policy
sent to people; error rates above the threshold rest on the audit sample. Keep ``audit_rate`` above zero for
adaptive tasks, or the labels above the threshold stop coming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inloop.domain.calibration import recommend, threshold_grid, threshold_table
from inloop.domain.policy import Adaptive
from inloop.gate import Gate
from inloop.ids import new_id
from inloop.services import jobs as shared_jobs
from inloop.services import labels
from inloop.services.context import Context, record
from inloop.storage import jobs, policy_versions
from inloop.storage.policy_versions import PolicyVersion

STEP = 0.01
"""The grid the thresholds are chosen from."""
MIN_CHANGE = 0.005
"""Smaller moves are not worth a policy version."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the labels say about one adaptive task: the threshold they support and the evidence."""

    task_type: str
    before: float
    after: float
    labels: int
    automated: int | None
    errors: int | None
    error_upper: float | None
    reason: str

    @property
    def changed(self) -> bool:
        return abs(self.after - self.before) >= MIN_CHANGE

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "before": self.before,
            "after": self.after,
            "changed": self.changed,
            "labels": self.labels,
            "automated": self.automated,
            "errors": self.errors,
            "error_upper": self.error_upper,
            "reason": self.reason,
        }


def assess(ctx: Context, task_type: str, adaptive: Adaptive) -> Assessment:
    """The threshold the labels of ``task_type`` support within its bounds (its upper bound when none)."""
    low, high = adaptive.bounds
    found = labels.from_database(ctx, task_type)
    before = adaptive.value

    def stay_high(reason: str) -> Assessment:
        return Assessment(task_type, before, high, found.n, None, None, None, reason)

    if found.n < adaptive.min_labels:
        return stay_high(f"{found.n} labels, fewer than the {adaptive.min_labels} required")
    grid = threshold_grid(STEP, low, high)
    table = threshold_table(found.confidence, found.correct, grid, adaptive.delta)
    choice = recommend(table, adaptive.target_error, adaptive.delta)
    if choice.index is None:
        return stay_high(choice.reason or "no threshold within the bounds passed")
    i = choice.index
    upper = float(table.upper[i])
    return Assessment(
        task_type,
        before,
        float(table.thresholds[i]),
        found.n,
        int(table.auto[i]),
        int(table.errors[i]),
        upper,
        f"{int(table.errors[i])} errors in {int(table.auto[i])} automated labels: the error rate is below "
        f"{upper:.2%} with probability {1 - adaptive.delta:.0%} (target {adaptive.target_error:.2%})",
    )


def recalibrate(ctx: Context, tasks: list[str] | None = None, *, actor: str = "system") -> list[Assessment]:
    """Assess the adaptive tasks (all, or ``tasks``); when a threshold moves, store and audit the new policy
    version and route with it from now on. Returns every assessment, changed or not."""
    gate = ctx.require_gate()
    policy = gate.policy
    adaptive = policy.adaptive_tasks()
    names = list(adaptive) if tasks is None else [t for t in tasks if t in adaptive]
    assessments = [assess(ctx, name, adaptive[name]) for name in names]
    moved = {a.task_type: a.after for a in assessments if a.changed}
    if not moved:
        return assessments
    new_policy = policy.adapted(dict(moved))
    learned = {name: task.value for name, task in new_policy.adaptive_tasks().items()}
    evidence = {a.task_type: a.to_dict() for a in assessments if a.changed}
    with ctx.db.write() as conn:
        now = ctx.clock()
        row = PolicyVersion(
            new_id("pol"), new_policy.version_hash, policy.base_version, learned, evidence, actor, now
        )
        policy_versions.insert(conn, row)
        record(
            conn,
            ctx,
            "policy.adapted",
            actor=actor,
            now_ms=now,
            data={
                "before": policy.version_hash,
                "after": new_policy.version_hash,
                "base_version": policy.base_version,
                "thresholds": learned,
                "changes": evidence,
            },
        )
    ctx.gate = Gate(new_policy, gate.cascade)
    return assessments


def refresh(ctx: Context) -> bool:
    """Route with the newest learned thresholds of this policy file, wherever they were learned; True when
    the gate changed. Cheap (one indexed row), so every server calls it each round."""
    gate = ctx.require_gate()
    if not gate.policy.adaptive_tasks():
        return False
    with ctx.db.read() as conn:
        newest = policy_versions.latest(conn, gate.policy.base_version)
    if newest is None or newest.version == gate.policy.version_hash:
        return False
    known = gate.policy.adaptive_tasks()
    thresholds: dict[str, float | None] = {k: v for k, v in newest.thresholds.items() if k in known}
    ctx.gate = Gate(gate.policy.adapted(thresholds), gate.cascade)
    return True


JOB = "adaptive"


def run_due(ctx: Context) -> list[Assessment] | None:
    """Recalibrate the adaptive tasks whose ``every`` has passed since they last were, when the shared job
    ``adaptive`` (checked at the smallest ``every``) is due and this process claimed it; None otherwise. One
    server per period does it, whatever the number of servers on the database."""
    tasks = ctx.policy.adaptive_tasks()
    if not tasks:
        return None
    now = ctx.clock()
    periods = {name: int(a.every.total_seconds() * 1000) for name, a in tasks.items()}
    previous = shared_jobs.claim(ctx, JOB, min(periods.values()), now)
    if previous is None:
        return None
    last: dict[str, int] = dict(previous.get("last_run_ms", {}))
    due = [name for name, every in periods.items() if name not in last or now - last[name] >= every]
    assessments: list[Assessment] = []
    if due:
        refresh(ctx)  # start from the thresholds another server may have learned meanwhile
        assessments = recalibrate(ctx, due, actor="system")
    state = {
        "last_run_ms": {**last, **dict.fromkeys(due, now)},
        "assessed": [a.to_dict() for a in assessments],
    }
    with ctx.db.write() as conn:
        jobs.save_state(conn, JOB, state, now)
    return assessments


def history(ctx: Context, limit: int = 50) -> list[dict[str, Any]]:
    """The learned versions of the loaded policy file, newest first."""
    with ctx.db.read() as conn:
        rows = policy_versions.history(conn, ctx.policy.base_version, limit)
    return [
        {
            "version": r.version,
            "thresholds": r.thresholds,
            "evidence": r.evidence,
            "created_by": r.created_by,
            "created_ms": r.created_ms,
        }
        for r in rows
    ]
