"""Items: a list of recent ones, and each item's page with its decisions, diffs and audit history."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from inloop.domain.access import Action
from inloop.errors import Conflict, InvalidRequest
from inloop.services import console, gold
from inloop.web.pages import ConsoleRoute, Viewer, ctx_of, needs, render
from inloop.web.views import item_view, review_views

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(needs(Action.READ_ITEMS))]
GoldAdmin = Annotated[Viewer, Depends(needs(Action.READ_ITEMS, Action.MANAGE_GOLD))]
GOLD_DONE = {"marked": "Marked as gold.", "unmarked": "No longer gold: its past answers stay scored."}
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
def item_page(request: Request, v: Reader, item_id: str, done: str | None = None) -> Response:
    return _item_page(request, v, item_id, notice=GOLD_DONE.get(done or ""))


def _item_page(
    request: Request,
    v: Viewer,
    item_id: str,
    *,
    status: int = 200,
    notice: str | None = None,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    ctx = ctx_of(request)
    page = console.item_page(ctx, v.who, item_id)
    item = item_view(ctx, v, page["item"])
    admin = v.can(Action.MANAGE_GOLD)  # only admins learn that an item is gold
    return render(
        request,
        "item.html",
        v,
        status_code=status,
        title=f"Item {item_id}",
        item=item,
        reviews=review_views(item, page["reviews"]),
        tasks=page["tasks"],
        events=page["events"],
        gold_admin=admin,
        gold=gold.answer_of(ctx, item_id) if admin else None,
        gold_form=(form or gold.default_answer(page["item"])) if admin else None,
        gold_errors=errors or [],
        gold_notice=notice,
        categories=ctx.policy.categories,
    )


@router.post("/items/{item_id}/gold")
def mark_gold(
    request: Request,
    v: GoldAdmin,
    item_id: str,
    verdict: Annotated[str, Form(max_length=20)] = "",
    output: Annotated[str, Form(max_length=200_000)] = "",
    category: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Mark the item gold with the answer in the form (an edit's output only for ``edit``)."""
    try:
        gold.mark(
            ctx_of(request),
            item_id,
            verdict=verdict,
            output=output if verdict == "edit" else None,
            category=category or None,
            actor=v.who.actor,
            user_id=v.who.id,
        )
    except (InvalidRequest, Conflict) as exc:
        errors = [str(p) for p in exc.problems] if isinstance(exc, InvalidRequest) else [str(exc)]
        form = {"verdict": verdict, "output": output, "category": category}
        return _item_page(request, v, item_id, status=422, errors=errors, form=form)
    return RedirectResponse(f"/items/{quote(item_id, safe='')}?done=marked", status_code=303)


@router.post("/items/{item_id}/gold/unmark")
def unmark_gold(request: Request, v: GoldAdmin, item_id: str) -> Response:
    gold.unmark(ctx_of(request), item_id, actor=v.who.actor)
    return RedirectResponse(f"/items/{quote(item_id, safe='')}?done=unmarked", status_code=303)
