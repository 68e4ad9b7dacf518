"""Items for drift tests, submitted through the real service with a controlled clock: a reference week like
the model's usual output (confidence ~ Beta(8, 2), short answers, few escalations), then a recent day either
like it or shifted (confidence ~ Beta(2, 2), long answers, many escalations)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from inloop.clock import ManualClock
from inloop.services import intake
from inloop.services.context import Context

DAY = 86_400
DRIFT_POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {
        "low": {"threshold": 0.5, "confident": "auto", "unsure": "queue", "audit_rate": 0.0},
        "critical": {"confident": "escalate", "unsure": "escalate"},
    },
    "default_task": {"risk": "low"},
    "tasks": {"urgent": {"risk": "critical"}},
    "checks": [{"type": "length", "name": "long", "max_chars": 20, "on_flag": "note"}],
    "drift": {"min_items": 100, "every": "15m"},
}


def clock_of(ctx: Context) -> ManualClock:
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    return clock


def submit_over(
    ctx: Context, seconds: float, confidences: NDArray[np.float64], *, long: bool, urgent: int = 0
) -> None:
    """Submit one item per confidence, spread evenly over ``seconds``; the first ``urgent`` escalate."""
    step = seconds / len(confidences)
    for i, c in enumerate(confidences):
        body = {
            "task_type": "urgent" if i < urgent else "plain",
            "output": "a much longer answer than before" if long else "short answer",
            "confidence": float(c),
        }
        intake.submit(ctx, body, actor="test")
        clock_of(ctx).advance(step)


def a_week_then_a_day(ctx: Context, *, shifted: bool, n_reference: int = 210, n_recent: int = 120) -> None:
    """The reference week then the recent day; the clock ends at the end of the day. In the recent day a
    quarter of the items escalate when shifted, a twentieth when not (as in the reference week)."""
    rng = np.random.default_rng(7)
    submit_over(ctx, 7 * DAY, rng.beta(8, 2, n_reference), long=False, urgent=n_reference // 20)
    recent = rng.beta(2, 2, n_recent) if shifted else rng.beta(8, 2, n_recent)
    submit_over(ctx, DAY, recent, long=shifted, urgent=n_recent // 4 if shifted else n_recent // 20)
