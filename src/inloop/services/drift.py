"""Drift monitoring (human-on-the-loop): compare the recent window with the reference window before it and,
past the policy's ``drift`` limits, tell people.

Every server's worker calls :func:`run_due`; the shared job ``drift`` (``storage.jobs``) lets one of them
compute the report per ``drift.every``. The report is kept in the job's state, so the dashboard shows it
without recomputing. ``drift.detected`` (an audit event and a webhook) fires when a signal *starts* drifting
(it did not drift in the previous report), not on every run while it stays drifted: a persistent shift is one
alert, not 96 a day; the dashboard keeps showing it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from inloop.domain.access import Action
from inloop.domain.drift import DriftReport, assess
from inloop.domain.drift import windows as drift_windows
from inloop.services import jobs as shared_jobs
from inloop.services.accounts import Principal
from inloop.services.context import Context, iso, record
from inloop.storage import drift as drift_rows
from inloop.storage import jobs
from inloop.storage.summary import Scope, route_counts

JOB = "drift"


def _ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


def check(ctx: Context, now_ms: int | None = None) -> DriftReport:
    """Compute the report now (or as of ``now_ms``) from the stored items; stores and announces nothing."""
    limits = ctx.policy.drift
    now = ctx.clock() if now_ms is None else now_ms
    (ref_since, ref_until), (rec_since, rec_until) = drift_windows(now, limits)
    with ctx.db.read() as conn:
        reference = drift_rows.sample(conn, ref_since, ref_until)
        recent = drift_rows.sample(conn, rec_since, rec_until)
        routes_reference = route_counts(conn, Scope(ref_since, ref_until))
        routes_recent = route_counts(conn, Scope(rec_since, rec_until))
    return assess(now, limits, reference.values, recent.values, routes_reference, routes_recent)


def to_json(report: DriftReport) -> dict[str, Any]:
    """The report as JSON, with the windows also as ISO 8601 times."""
    data = report.to_dict()
    data["at"] = iso(report.at_ms)
    for key, (since, until) in (("reference", report.reference), ("recent", report.recent)):
        data[key].update(since=iso(since), until=iso(until))
    return data


def run_due(ctx: Context) -> DriftReport | None:
    """Compute, keep and (on a new drift) announce the report when the ``drift`` job is due and this process
    claimed it; None otherwise. Cheap when not due: one read of the job's row."""
    now = ctx.clock()
    previous = shared_jobs.claim(ctx, JOB, _ms(ctx.policy.drift.every), now)
    if previous is None:
        return None
    report = check(ctx, now)
    data = to_json(report)
    started = sorted(set(report.drifted_signals) - set(previous.get("drifted_signals", ())))
    with ctx.db.write() as conn:
        jobs.save_state(conn, JOB, data, now)
        if started:
            record(conn, ctx, "drift.detected", actor="system", now_ms=now, data={**data, "started": started})
    return report


def latest(ctx: Context, who: Principal) -> dict[str, Any]:
    """The last report the ``drift`` job kept, or one computed now when it never ran (``stored`` says
    which)."""
    who.require(Action.READ_METRICS)
    with ctx.db.read() as conn:
        state = jobs.load_state(conn, JOB)
    if state is not None:
        return {**state, "stored": True}
    return {**to_json(check(ctx)), "stored": False}
