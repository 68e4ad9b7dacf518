"""Review tasks: claim under a lease, heartbeat, release, decide; leads assign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from inloop.api.deps import Ctx, allow
from inloop.api.responses import Json
from inloop.api.schemas import AssignRequest, ClaimRequest, DecisionRequest, LeaseRequest
from inloop.domain.access import Action
from inloop.services import review
from inloop.services.accounts import Principal

router = APIRouter(prefix="/v1", tags=["reviews"])

Reviewer = Annotated[Principal, Depends(allow(Action.REVIEW))]
Lead = Annotated[Principal, Depends(allow(Action.ASSIGN))]


@router.post("/reviews/claim", summary="Lease the next tasks you may take (roles: admin, lead, reviewer)")
def claim(body: ClaimRequest, ctx: Ctx, who: Reviewer) -> Json:
    tasks = review.claim(ctx, who, queue=body.queue, limit=body.limit, lease_seconds=body.lease_seconds)
    return Json({"tasks": tasks})


@router.post("/reviews/{task_id}/decision", summary="Decide a task you hold (roles: admin, lead, reviewer)")
def decide(task_id: str, body: DecisionRequest, ctx: Ctx, who: Reviewer) -> Json:
    decision = review.decide(
        ctx,
        who,
        task_id,
        lease_token=body.lease_token,
        verdict=body.verdict,
        output=body.output,
        reason=body.reason,
        category=body.category,
    )
    return Json(decision)


@router.post("/reviews/{task_id}/heartbeat", summary="Extend your lease (roles: admin, lead, reviewer)")
def heartbeat(task_id: str, body: LeaseRequest, ctx: Ctx, who: Reviewer) -> Json:
    return Json(review.heartbeat(ctx, who, task_id, body.lease_token, body.lease_seconds))


@router.post(
    "/reviews/{task_id}/release", status_code=204, summary="Give a task back (roles: admin, lead, reviewer)"
)
def release(task_id: str, body: LeaseRequest, ctx: Ctx, who: Reviewer) -> Response:
    review.release(ctx, who, task_id, body.lease_token)
    return Response(status_code=204)


@router.post(
    "/items/{item_id}/assign", summary="Send an item's open tasks to one reviewer (roles: admin, lead)"
)
def assign(item_id: str, body: AssignRequest, ctx: Ctx, who: Lead) -> Json:
    tasks = review.assign(ctx, who, item_id, body.reviewer)
    return Json({"item_id": item_id, "assigned_to": body.reviewer, "tasks": tasks})
