"""Gold items: admins mark decided items with their known answer; metrics readers see reviewer accuracy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from inloop.api.deps import Ctx, allow
from inloop.api.responses import Json
from inloop.clock import parse_window
from inloop.domain.access import Action
from inloop.services import gold
from inloop.services.accounts import Principal

router = APIRouter(prefix="/v1/gold", tags=["gold"])

GoldAdmin = Annotated[Principal, Depends(allow(Action.MANAGE_GOLD))]
MetricsReader = Annotated[Principal, Depends(allow(Action.READ_METRICS))]


class GoldRequest(BaseModel):
    """The known answer, with a decision's rules (checked by the service, which names each bad field)."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=64)
    verdict: str = Field(max_length=20)
    output: str | None = Field(default=None, max_length=200_000)
    category: str | None = Field(default=None, max_length=100)


@router.post("", status_code=201, summary="Mark a decided item as gold with its known answer (role: admin)")
def mark(body: GoldRequest, ctx: Ctx, who: GoldAdmin) -> Json:
    marked = gold.mark(
        ctx,
        body.item_id,
        verdict=body.verdict,
        output=body.output,
        category=body.category,
        actor=who.actor,
        user_id=who.id,
    )
    return Json(marked, status_code=201)


@router.get("", summary="Gold items and their known answers (role: admin)")
def listing(ctx: Ctx, who: GoldAdmin, include_inactive: bool = False) -> Json:
    return Json({"gold": gold.listing(ctx, include_inactive=include_inactive)})


@router.get("/accuracy", summary="Reviewer accuracy on gold items (roles: admin, lead, auditor)")
def accuracy(
    ctx: Ctx,
    who: MetricsReader,
    since: Annotated[str | None, Query(max_length=40, description="ISO 8601, inclusive")] = None,
    until: Annotated[str | None, Query(max_length=40, description="ISO 8601, exclusive")] = None,
) -> Json:
    since_ms, until_ms = parse_window(since, until)
    return Json(gold.accuracy(ctx, since_ms, until_ms))


@router.delete(
    "/{item_id}", status_code=204, summary="Stop mixing an item in; answers stay scored (role: admin)"
)
def unmark(item_id: str, ctx: Ctx, who: GoldAdmin) -> Response:
    gold.unmark(ctx, item_id, actor=who.actor)
    return Response(status_code=204)
