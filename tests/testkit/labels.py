"""Review labels made by driving the real service: items whose people approve exactly those at or above a
known confidence, so the threshold the labels support is known."""

from __future__ import annotations

import copy
from typing import Any

from inloop.services import intake, review
from inloop.services.context import Context
from testkit import MATRIX_POLICY
from testkit.service import make_user

CUT = 0.7
"""People approve items at or above this confidence and reject the rest."""
TARGET = 0.05
ADAPTIVE_POLICY: dict[str, Any] = copy.deepcopy(MATRIX_POLICY)
ADAPTIVE_POLICY["tasks"]["learned"] = {
    "risk": "low",
    "threshold": "adaptive",
    "adaptive": {"bounds": [0.5, 0.95], "target_error": TARGET, "delta": 0.05, "min_labels": 100},
}


def review_labelled(ctx: Context, n: int, task_type: str = "learned") -> None:
    """Submit ``n`` items with confidences spread over [0.5, 0.95) and decide each: approve at or above
    :data:`CUT`, reject below."""
    reviewer = make_user(ctx, "rae")
    for i in range(n):
        confidence = 0.5 + 0.45 * i / n
        body = {"task_type": task_type, "output": f"answer {i}", "confidence": confidence}
        item = intake.submit(ctx, body, actor="test")[0]
        assert item["route"] == "queue", "everything below the upper bound starts in review"
        [task] = review.claim(ctx, reviewer)
        verdict = "approve" if confidence >= CUT else "reject"
        category = None if verdict == "approve" else "hallucination"
        review.decide(
            ctx, reviewer, task["id"], lease_token=task["lease_token"], verdict=verdict, category=category
        )
