"""Webhooks: subscriptions, and delivery of the outbox at least once, signed by the Standard Webhooks scheme
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``), with exponential backoff and a dead letter."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx
from standardwebhooks.webhooks import Webhook

from inloop.domain.access import Action
from inloop.errors import InvalidRequest, NotFound, Problem
from inloop.ids import new_id
from inloop.services.accounts import Principal
from inloop.services.context import WEBHOOK_EVENTS, Context, iso, record
from inloop.storage import webhooks
from inloop.storage.webhooks import Delivery

DELIVERY_LEASE_MS = 60_000


def create_webhook(
    ctx: Context, who: Principal, url: str, events: list[str], secret: str | None = None
) -> dict[str, Any]:
    """Subscribe ``url`` to ``events``; the signing secret is generated unless given, and returned."""
    who.require(Action.MANAGE_WEBHOOKS)
    problems = []
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(Problem("url", "must be an absolute http(s) URL"))
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if not events or unknown:
        problems.append(
            Problem(
                "events",
                f"choose from {', '.join(WEBHOOK_EVENTS)}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            )
        )
    if secret is not None:
        try:
            if not secret.startswith("whsec_"):  # Webhook() would take any base64, e.g. "nope"
                raise ValueError(secret)
            Webhook(secret)
        except Exception:
            problems.append(Problem("secret", "must be 'whsec_' followed by base64"))
    if problems:
        raise InvalidRequest(problems)
    secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    webhook_id = new_id("whk")
    with ctx.db.write() as conn:
        webhooks.insert_webhook(
            conn,
            webhook_id=webhook_id,
            url=url,
            events=sorted(set(events)),
            secret=secret,
            by=who.id,
            now_ms=ctx.clock(),
        )
        record(
            conn,
            ctx,
            "webhook.created",
            actor=who.actor,
            data={"id": webhook_id, "url": url, "events": sorted(set(events))},
        )
    return {"id": webhook_id, "url": url, "events": sorted(set(events)), "secret": secret, "active": True}


def list_webhooks(ctx: Context, who: Principal) -> list[dict[str, Any]]:
    who.require(Action.MANAGE_WEBHOOKS)
    with ctx.db.read() as conn:
        rows = webhooks.list_webhooks(conn)
    return [
        {"id": r.id, "url": r.url, "events": r.events, "active": r.active, "created_at": iso(r.created_ms)}
        for r in rows
    ]


def delete_webhook(ctx: Context, who: Principal, webhook_id: str) -> None:
    who.require(Action.MANAGE_WEBHOOKS)
    with ctx.db.write() as conn:
        if not webhooks.deactivate(conn, webhook_id):
            raise NotFound("webhook", webhook_id)
        record(conn, ctx, "webhook.deleted", actor=who.actor, data={"id": webhook_id})


def list_deliveries(ctx: Context, who: Principal, status: str | None = None) -> list[dict[str, Any]]:
    who.require(Action.MANAGE_WEBHOOKS)
    with ctx.db.read() as conn:
        rows = webhooks.deliveries(conn, status=status)
    return [
        {
            "id": r.id,
            "webhook_id": r.webhook_id,
            "event": r.event,
            "item_id": r.item_id,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "created_at": iso(r.created_ms),
            "delivered_at": iso(r.delivered_ms),
        }
        for r in rows
    ]


def resend(ctx: Context, who: Principal, delivery_id: str) -> None:
    """Put a failed delivery back in the outbox."""
    who.require(Action.MANAGE_WEBHOOKS)
    with ctx.db.write() as conn:
        if not webhooks.resend(conn, delivery_id, ctx.clock()):
            raise NotFound("failed delivery", delivery_id)


def signed_headers(delivery: Delivery, body: str, now_ms: int) -> dict[str, str]:
    timestamp = datetime.fromtimestamp(now_ms // 1000, tz=UTC)
    return {
        "content-type": "application/json",
        "webhook-id": delivery.id,
        "webhook-timestamp": str(now_ms // 1000),
        "webhook-signature": Webhook(delivery.secret).sign(delivery.id, timestamp, body),
    }


def dispatch(ctx: Context, client: httpx.Client, limit: int = 50) -> int:
    """Send due deliveries; returns how many were attempted. HTTP happens outside any transaction."""
    with ctx.db.write() as conn:
        batch = webhooks.take_due(conn, ctx.clock(), limit, DELIVERY_LEASE_MS)
    for delivery in batch:
        _send(ctx, client, delivery)
    return len(batch)


def _send(ctx: Context, client: httpx.Client, delivery: Delivery) -> None:
    body = json.dumps(delivery.payload, separators=(",", ":"))
    error: str | None = None
    try:
        response = client.post(
            delivery.url, content=body, headers=signed_headers(delivery, body, ctx.clock())
        )
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = ctx.clock()
    item_id = delivery.payload.get("data", {}).get("item_id")
    with ctx.db.write() as conn:
        if error is None:
            webhooks.finish(conn, delivery.id, status="delivered", delivered_ms=now, last_error=None)
            record(
                conn,
                ctx,
                "webhook.delivered",
                actor="system",
                item_id=item_id,
                now_ms=now,
                data={"delivery": delivery.id, "event": delivery.event, "attempts": delivery.attempts},
            )
        elif delivery.attempts >= ctx.webhook_attempts:
            webhooks.finish(conn, delivery.id, status="failed", last_error=error)
            record(
                conn,
                ctx,
                "webhook.failed",
                actor="system",
                item_id=item_id,
                now_ms=now,
                data={"delivery": delivery.id, "event": delivery.event, "error": error},
            )
        else:
            backoff = ctx.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
            webhooks.finish(
                conn,
                delivery.id,
                status="pending",
                last_error=error,
                next_attempt_ms=now + int(backoff * 1000),
            )
