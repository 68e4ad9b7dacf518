"""Items: submit, read, and wait for the decision."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from inloop.api.deps import Ctx, allow
from inloop.api.responses import Json
from inloop.api.schemas import SubmitItem
from inloop.domain.access import Action
from inloop.services import gold, intake
from inloop.services.accounts import Principal

router = APIRouter(prefix="/v1/items", tags=["items"])

Submitter = Annotated[Principal, Depends(allow(Action.SUBMIT))]
Reader = Annotated[Principal, Depends(allow(Action.READ_ITEMS))]


@router.post("", status_code=201, summary="Submit an item (roles: admin, lead, submitter)")
def submit(
    body: SubmitItem,
    ctx: Ctx,
    who: Submitter,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Json:
    data = body.model_dump(mode="json", exclude_none=True, exclude={"idempotency_key"})
    key = idempotency_key or body.idempotency_key
    resource, created = intake.submit(ctx, data, actor=who.actor, user_id=who.id, idempotency_key=key)
    return Json(resource, status_code=201 if created else 200)


@router.get("/{item_id}", summary="An item with its routing and decision (all roles)")
def get_item(item_id: str, ctx: Ctx, who: Reader) -> Json:
    return Json(_item(item_id, ctx, who))


def _item(item_id: str, ctx: Ctx, who: Principal) -> dict[str, Any]:
    return gold.item_seen_by(ctx, who, intake.get_item(ctx, item_id))


@router.get(
    "/{item_id}/decision",
    summary="The decision: 200 when final, 202 while pending; waits up to `wait` seconds (all roles)",
    responses={202: {"description": "Still pending"}},
)
async def wait_decision(
    item_id: str, ctx: Ctx, who: Reader, wait: Annotated[float, Query(ge=0, le=60)] = 0
) -> JSONResponse:
    deadline = time.monotonic() + wait
    while True:
        item = await run_in_threadpool(_item, item_id, ctx, who)
        final = item["decision"] is not None
        if final or time.monotonic() >= deadline:
            body = {"id": item_id, "status": item["status"], "decision": item["decision"]}
            return JSONResponse(body, status_code=200 if final else 202)
        await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
