"""Building a service context on a test database, with a clock the test controls."""

from __future__ import annotations

from typing import Any

from inloop import Gate
from inloop.clock import ManualClock
from inloop.services import accounts
from inloop.services.accounts import Principal
from inloop.services.context import Context
from inloop.storage import open_database


def make_context(db_url: str, policy: dict[str, Any], clock: ManualClock | None = None) -> Context:
    return Context(db=open_database(db_url), gate=Gate.from_dict(policy), clock=clock or ManualClock())


def make_user(
    ctx: Context,
    name: str,
    role: str = "reviewer",
    tier: str | None = "senior",
    skills: tuple[str, ...] = ("finance",),
) -> Principal:
    return accounts.add_user(ctx, name, role, tier=tier, skills=skills)
