"""Service-level fixtures: a context on a fresh database of each backend, with a manual clock."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from inloop.clock import ManualClock
from inloop.services.context import Context
from testkit import MATRIX_POLICY
from testkit.history import HISTORY_POLICY, History, build_history
from testkit.service import make_context

WORKFLOW_POLICY: dict[str, Any] = copy.deepcopy(MATRIX_POLICY)
WORKFLOW_POLICY["tasks"].update(
    {
        "triage": {"risk": "low", "sla": "1h", "on_sla_breach": "escalate", "queue": "ops"},
        "vote": {"risk": "low", "reviewers": 3, "consensus": "majority"},
        "legal": {"risk": "low", "requires": {"tier": "senior", "skills": ["legal"]}},
        "high_risk": {"risk": "high"},
    }
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(db_url: str, clock: ManualClock) -> Iterator[Context]:
    context = make_context(db_url, WORKFLOW_POLICY, clock)
    yield context
    context.db.close()


@pytest.fixture
def loop_ctx(db_url: str, clock: ManualClock) -> Iterator[Context]:
    """A context with the history policy (two checks, review costs), for the loop's reads."""
    context = make_context(db_url, HISTORY_POLICY, clock)
    yield context
    context.db.close()


@pytest.fixture
def history(loop_ctx: Context, clock: ManualClock) -> History:
    return build_history(loop_ctx, clock)
