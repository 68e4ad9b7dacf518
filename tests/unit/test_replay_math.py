"""The replay arithmetic on hand-made items: route counts, reviews, escapes (labelled and estimated), hours,
cost, deltas and route changes, each worked out by hand below."""

from __future__ import annotations

from typing import Any

import pytest

from inloop.domain.policy import Policy, parse_policy
from inloop.domain.replay import STORED, Handling, Replay
from inloop.domain.routes import Route

A, Q, E, AU, B = Route.AUTO, Route.QUEUE, Route.ESCALATE, Route.AUDIT, Route.BLOCK


def _policy(review: float = 10.0, escalation: float | None = 30.0) -> Policy:
    data: dict[str, Any] = {
        "version": 1,
        "levels": {"low": {"threshold": 0.7, "confident": "auto", "unsure": "queue"}},
        "default_task": {"risk": "low"},
        "tasks": {"t": {"reviewers": 2}, "cheap": {"review_cost": 1.0}},
        "costs": {"review": review, "escalation": escalation, "currency": "EUR"},
    }
    return parse_policy(data)


def _five_items(replay: Replay) -> None:
    """(task, label, confidence, current, candidate): see the expectations in the test for each."""
    replay.add("t", False, 0.9, (Q, False), (A, False))  # 1: a known error the candidate releases
    replay.add("t", None, 0.8, (A, False), (A, False))  # 2: unlabelled, released by both: 0.2 each
    replay.add("t", None, None, (A, False), (E, False))  # 3: no confidence: t's labelled error rate, 1/2
    replay.add("t", True, 0.95, (AU, True), (AU, False))  # 4: audited now; released correct by candidate
    replay.add("cheap", None, 0.6, (B, False), (Q, False))  # 5: blocked now; one cheap review by candidate


def test_both_sides_worked_by_hand() -> None:
    replay = Replay(_policy(), candidate_source="new.yaml", current_source=STORED)
    _five_items(replay)
    handling = {"t": Handling(2, 240_000), "other": Handling(2, 60_000)}  # t: 2 min; overall 75 s
    report = replay.report(handling)

    assert (report.items, report.labelled, report.labelled_errors) == (5, 2, 1)
    cur, new = report.current, report.candidate
    assert cur.source == STORED
    assert cur.policy_version is None
    assert new.policy_version == _policy().version_hash
    assert cur.routes == {"auto": 2, "audit": 1, "queue": 1, "escalate": 0, "block": 1}
    assert new.routes == {"auto": 2, "audit": 1, "queue": 1, "escalate": 1, "block": 0}

    # current: item 1 queued (2 reviewers x 10), item 4 sampled (1 audit review x 10)
    assert (cur.audit_sampled, cur.reviewed_items, cur.reviews, cur.cost) == (1, 2, 3, 30.0)
    # candidate: item 3 escalated (2 x 30), item 5 queued (1 x the task's own 1.0)
    assert (new.audit_sampled, new.reviewed_items, new.reviews, new.cost) == (0, 2, 3, 61.0)
    assert new.currency == "EUR"

    # escapes: current releases 2 (0.2) and 3 (t's labelled error rate 1/2) unsampled; 4 was sampled
    assert cur.escaped_labelled == 0
    assert cur.escaped_estimated == pytest.approx(0.7)
    # candidate releases 1 (a labelled error), 2 (0.2) and 4 (labelled correct)
    assert new.escaped_labelled == 1
    assert new.escaped_estimated == pytest.approx(0.2)
    assert new.escaped_errors == pytest.approx(1.2)

    # hours: current 3 t-reviews x 2 min = 0.1 h; candidate 2 t-reviews x 2 min + 1 cheap x 75 s (fallback)
    assert cur.review_hours == pytest.approx(0.1)
    assert new.review_hours == pytest.approx(315_000 / 3_600_000)
    assert report.handling_ms == {"t": 120_000.0, "other": 30_000.0}
    assert any("cheap" in note and "overall mean" in note for note in report.notes)

    delta = report.delta
    assert delta["routes"] == {"auto": 0, "audit": 0, "queue": 0, "escalate": 1, "block": -1}
    assert delta["cost"] == pytest.approx(31.0)
    assert delta["reviews"] == 0
    assert delta["escaped_errors"] == pytest.approx(0.5)
    assert report.changes == (("auto", "escalate", 1), ("queue", "auto", 1), ("block", "queue", 1))

    doc = report.to_dict()
    assert doc["changes"][0] == {"from": "auto", "to": "escalate", "items": 1}
    assert doc["delta"]["cost"] == 31.0
    assert doc["current"]["escaped_estimated"] == 0.7


def test_a_current_policy_prices_its_own_side() -> None:
    replay = Replay(
        _policy(), _policy(review=5.0, escalation=None), candidate_source="new", current_source="old"
    )
    replay.add("t", None, 0.1, (E, False), (E, False))
    report = replay.report({})
    assert report.current.cost == 10.0, "2 reviewers x the current review price (no escalation price)"
    assert report.candidate.cost == 60.0, "2 reviewers x the candidate's escalation price"
    assert report.current.policy_version == _policy(review=5.0, escalation=None).version_hash
    assert report.changes == ()


def test_unknowns_are_reported_not_guessed() -> None:
    replay = Replay(_policy(), candidate_source="new", current_source=STORED)
    replay.add("t", None, None, (Q, False), (A, False))
    replay.skip("stored body is no longer a valid item")
    report = replay.report({})
    assert report.candidate.escaped_errors == 0.0, "no labels: nothing to estimate an error rate from"
    assert report.current.review_hours is None
    assert report.candidate.review_hours == 0.0
    assert report.delta["review_hours"] is None
    assert report.skipped == {"stored body is no longer a valid item": 1}
    assert any("no labels" in note for note in report.notes)
    assert any("review hours unknown" in note for note in report.notes)


def test_an_empty_replay() -> None:
    report = Replay(_policy(), candidate_source="new", current_source=STORED).report({})
    assert report.items == 0
    assert report.current.reviews == report.candidate.reviews == 0
    assert report.current.review_hours == 0.0
    assert report.notes == ()
