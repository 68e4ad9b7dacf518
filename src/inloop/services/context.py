"""What every use case needs: the database, the gate (policy and checks), the clock and a few settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inloop.clock import Clock, iso, wall_ms
from inloop.domain.policy import DEFAULT_TIERS, Policy
from inloop.gate import Gate
from inloop.storage import audit, webhooks
from inloop.storage.database import Connection, Database

__all__ = ["WEBHOOK_EVENTS", "Context", "Observer", "iso", "record"]

WEBHOOK_EVENTS = ("item.decided", "item.revised", "item.escalated", "sla.breached", "drift.detected")


Observer = Callable[[str, dict[str, Any]], None]
"""Told of every event as it is recorded (e.g. to count it for Prometheus); must be quick and not raise."""


@dataclass
class Context:
    """``gate`` may be None for administrative commands that route nothing (adding users, verifying audit)."""

    db: Database
    gate: Gate | None
    clock: Clock = wall_ms
    lease_seconds: int = 300
    max_lease_seconds: int = 3600
    sla_reject_text: str = "We could not complete this request in time. A member of our team will follow up."
    webhook_attempts: int = 8
    webhook_backoff_seconds: float = 2.0
    observers: list[Observer] = field(default_factory=list)

    def require_gate(self) -> Gate:
        if self.gate is None:
            raise RuntimeError("this operation needs a policy")
        return self.gate

    @property
    def policy(self) -> Policy:
        return self.require_gate().policy

    @property
    def tiers(self) -> tuple[str, ...]:
        return self.gate.policy.tiers if self.gate is not None else DEFAULT_TIERS

    def tier_rank(self, tier: str | None) -> int:
        return self.tiers.index(tier) if tier in self.tiers else 0


def record(
    conn: Connection,
    ctx: Context,
    event: str,
    *,
    actor: str,
    item_id: str | None = None,
    data: dict[str, Any] | None = None,
    now_ms: int | None = None,
) -> None:
    """Write an audit event and, for the events webhooks announce, the outbox rows; same transaction."""
    at = ctx.clock() if now_ms is None else now_ms
    audit.append(conn, event=event, actor=actor, at_ms=at, item_id=item_id, data=data)
    for observe in ctx.observers:
        observe(event, data or {})
    if event in WEBHOOK_EVENTS:
        payload = {"type": event, "timestamp": iso(at), "data": {"item_id": item_id, **(data or {})}}
        webhooks.enqueue(conn, event=event, item_id=item_id, payload=payload, now_ms=at)
