"""Queues, audit, webhooks, users and keys, health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from inloop.api.deps import Ctx, allow
from inloop.api.responses import Json
from inloop.api.schemas import KeyRequest, UserRequest, WebhookRequest
from inloop.domain.access import Action
from inloop.services import accounts, audit_trail, delivery, queues
from inloop.services.accounts import Principal

router = APIRouter(tags=["operations"])

QueueReader = Annotated[Principal, Depends(allow(Action.READ_QUEUES))]
AuditReader = Annotated[Principal, Depends(allow(Action.READ_AUDIT))]
WebhookAdmin = Annotated[Principal, Depends(allow(Action.MANAGE_WEBHOOKS))]
UserAdmin = Annotated[Principal, Depends(allow(Action.MANAGE_USERS))]


@router.get("/healthz", summary="Liveness (no key needed)")
def healthz(ctx: Ctx) -> Json:
    return Json({"ok": True, "policy_version": ctx.policy.version_hash})


@router.get("/v1/queues", summary="Queue depth, age, SLA pressure, per-reviewer progress (not submitters)")
def get_queues(ctx: Ctx, who: QueueReader) -> Json:
    return Json(queues.queue_stats(ctx, who))


@router.get(
    "/v1/audit/events", summary="Audit events, of one item or the latest (roles: admin, lead, auditor)"
)
def audit_events(
    ctx: Ctx, who: AuditReader, item_id: str | None = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500
) -> Json:
    return Json({"events": audit_trail.events(ctx, who, item_id, limit)})


@router.get("/v1/audit/verify", summary="Verify every audit chain (roles: admin, lead, auditor)")
def audit_verify(ctx: Ctx, who: AuditReader) -> Json:
    return Json(audit_trail.verify(ctx))


@router.post("/v1/webhooks", status_code=201, summary="Subscribe a URL to events (role: admin)")
def create_webhook(body: WebhookRequest, ctx: Ctx, who: WebhookAdmin) -> Json:
    return Json(delivery.create_webhook(ctx, who, body.url, body.events, body.secret), status_code=201)


@router.get("/v1/webhooks", summary="Webhook subscriptions (role: admin)")
def list_webhooks(ctx: Ctx, who: WebhookAdmin) -> Json:
    return Json({"webhooks": delivery.list_webhooks(ctx, who)})


@router.delete("/v1/webhooks/{webhook_id}", status_code=204, summary="Unsubscribe (role: admin)")
def delete_webhook(webhook_id: str, ctx: Ctx, who: WebhookAdmin) -> Response:
    delivery.delete_webhook(ctx, who, webhook_id)
    return Response(status_code=204)


@router.get("/v1/webhooks/deliveries", summary="Recent deliveries, e.g. ?status=failed (role: admin)")
def list_deliveries(ctx: Ctx, who: WebhookAdmin, status: str | None = None) -> Json:
    return Json({"deliveries": delivery.list_deliveries(ctx, who, status)})


@router.post("/v1/webhooks/deliveries/{delivery_id}/resend", status_code=202, summary="Re-send (role: admin)")
def resend(delivery_id: str, ctx: Ctx, who: WebhookAdmin) -> Json:
    delivery.resend(ctx, who, delivery_id)
    return Json({"id": delivery_id, "status": "pending"}, status_code=202)


@router.post("/v1/users", status_code=201, summary="Add a user (role: admin)")
def add_user(body: UserRequest, ctx: Ctx, who: UserAdmin) -> Json:
    user = accounts.add_user(
        ctx, body.name, body.role, tier=body.tier, skills=body.skills, password=body.password, actor=who.actor
    )
    resource = {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "tier": user.tier,
        "skills": sorted(user.skills),
    }
    return Json(resource, status_code=201)


@router.post("/v1/keys", status_code=201, summary="Create an API key, shown once (role: admin)")
def create_key(body: KeyRequest, ctx: Ctx, who: UserAdmin) -> Json:
    key_id, key = accounts.create_key(ctx, body.user, actor=who.actor)
    return Json({"id": key_id, "user": body.user, "key": key}, status_code=201)


@router.delete("/v1/keys/{key_id}", status_code=204, summary="Revoke an API key (role: admin)")
def revoke_key(key_id: str, ctx: Ctx, who: UserAdmin) -> Response:
    accounts.revoke_key(ctx, key_id, actor=who.actor)
    return Response(status_code=204)
