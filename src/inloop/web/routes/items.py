"""Items: a list of recent ones, and each item's page with its decisions, diffs and audit history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from inloop.domain.access import Action
from inloop.services import console
from inloop.web.pages import ConsoleRoute, Viewer, ctx_of, needs, render
from inloop.web.views import item_view, review_views

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(needs(Action.READ_ITEMS))]
STATUSES = ("pending", "decided")
ROUTES = ("auto", "audit", "queue", "escalate", "block")


@router.get("/items")
def items_list(
    request: Request,
    v: Reader,
    id: str | None = None,
    status: str | None = None,
    route: str | None = None,
) -> Response:
    if id:
        from urllib.parse import quote

        return RedirectResponse(f"/items/{quote(id.strip(), safe='')}", status_code=303)
    status = status if status in STATUSES else None
    route = route if route in ROUTES else None
    rows = console.recent_items(ctx_of(request), v.who, status=status, route=route)
    return render(
        request,
        "items.html",
        v,
        title="Items",
        rows=rows,
        status=status,
        route=route,
        statuses=STATUSES,
        routes=ROUTES,
    )


@router.get("/items/{item_id}")
def item_page(request: Request, v: Reader, item_id: str) -> Response:
    ctx = ctx_of(request)
    page = console.item_page(ctx, v.who, item_id)
    item = item_view(ctx, v, page["item"])
    return render(
        request,
        "item.html",
        v,
        title=f"Item {item_id}",
        item=item,
        reviews=review_views(item, page["reviews"]),
        tasks=page["tasks"],
        events=page["events"],
    )
