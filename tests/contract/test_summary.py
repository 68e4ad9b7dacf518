"""The metrics summary on every backend, on a history made by driving the real service."""

from __future__ import annotations

import pytest

from inloop.clock import ManualClock
from inloop.services import export, summary
from inloop.services.context import Context
from testkit.history import History

MINUTE = 60_000


@pytest.fixture
def ctx(loop_ctx: Context) -> Context:
    return loop_ctx


def test_summary_of_a_known_history(ctx: Context, history: History) -> None:
    s = summary.summary(ctx)
    released = 2 + len(history.unaudited)  # the two audited high-risk items and the unsampled ones
    assert s["routes"] == {"queue": 4, "auto": 1, "audit": released}
    assert s["submitted"] == 5 + released
    assert s["escalation_rate"] == 0
    assert s["auto_resolve_rate"] == pytest.approx((1 + released) / s["submitted"])
    assert s["block_rate"] == 0

    escape = s["error_escape"]
    assert (escape["audited"], escape["escaped"], escape["rate"]) == (2, 1, 0.5)
    low, high = escape["ci95"]
    assert low == pytest.approx(0.0126, abs=1e-4)  # exact Clopper-Pearson for 1 of 2
    assert high == pytest.approx(0.9874, abs=1e-4)

    latency = s["latency_ms"]
    assert latency["handling"] == {"n": 8, "p50": MINUTE, "p95": MINUTE, "p99": MINUTE}
    assert latency["queue_wait"]["p50"] == MINUTE
    assert latency["queue_wait"]["p99"] == 3 * MINUTE, "the second refund reviewer waited for the first"
    assert latency["end_to_end"]["n"] == 4

    reviewers = {r["reviewer"]: r for r in s["reviewers"]}
    assert reviewers["rae"]["decisions"] == 5
    assert reviewers["rae"]["mean_handling_ms"] == MINUTE
    assert {"ann", "ben", "lee"} <= reviewers.keys()

    agreement = s["agreement"]
    assert agreement["items"] == 1
    assert agreement["unanimous_rate"] == 0.0

    cost = s["cost"]
    assert cost["reviews"] == 8
    assert cost["total"] == 16.0
    assert cost["currency"] == "USD"
    assert cost["per_decision"] == pytest.approx(16.0 / s["submitted"])

    assert s["corrections"] == {"total": 4, "exported": 0, "exported_share": 0.0}
    assert s["sla_breaches"] == 0


def test_exported_share_follows_the_exports(ctx: Context, history: History) -> None:
    list(export.stream(ctx, export.ExportRequest("dpo"), actor="test"))
    assert summary.summary(ctx)["corrections"] == {"total": 4, "exported": 3, "exported_share": 0.75}
    list(export.stream(ctx, export.ExportRequest("labels", task="support_reply"), actor="test"))
    assert summary.summary(ctx)["corrections"]["exported"] == 4, "labels carry the plain reject too"


def test_task_and_window_filters(ctx: Context, history: History, clock: ManualClock) -> None:
    refunds = summary.summary(ctx, task="refund_approval")
    assert refunds["routes"] == {"queue": 1}
    assert refunds["cost"]["reviews"] == 3
    assert refunds["agreement"]["items"] == 1
    future = summary.summary(ctx, since_ms=clock() + 1)
    assert future["submitted"] == 0
    assert future["escalation_rate"] is None
    assert future["error_escape"]["ci95"] is None
    assert future["cost"]["per_decision"] is None
