"""Administration: users (role, tier, skills, password, disabled), API keys (shown once; revoke), webhooks."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from inloop.domain.access import Action, Role
from inloop.errors import Conflict, InvalidRequest, NotFound
from inloop.services import accounts, console, delivery
from inloop.services.context import WEBHOOK_EVENTS
from inloop.web.pages import ConsoleRoute, Viewer, ctx_of, needs, render

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)

# The redirect after a change names it in ?done=; only these shapes are shown, so a crafted link cannot put
# words of its own on the page.
_DONE = re.compile(r"(added|updated|password set for|revoked|deleted|queued) [\w.@:-]{1,120}( again)?")

UserAdmin = Annotated[Viewer, Depends(needs(Action.MANAGE_USERS))]
HookAdmin = Annotated[Viewer, Depends(needs(Action.MANAGE_WEBHOOKS))]


def _skills(raw: str) -> list[str]:
    return [s.strip() for s in raw.replace(";", ",").split(",") if s.strip()]


def _users_page(request: Request, v: Viewer, *, status: int = 200, **extra: Any) -> Response:
    ctx = ctx_of(request)
    return render(
        request,
        "admin_users.html",
        v,
        status_code=status,
        title="Users & keys",
        users=console.list_users(ctx, v.who),
        roles=[r.value for r in Role],
        tiers=list(ctx.tiers),
        **extra,
    )


@router.get("/users")
def users_page(request: Request, v: UserAdmin, done: str | None = None) -> Response:
    return _users_page(request, v, notice=done if done and _DONE.fullmatch(done) else None)


@router.post("/users")
def add_user(
    request: Request,
    v: UserAdmin,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    tier: Annotated[str, Form(max_length=60)] = "",
    skills: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        accounts.add_user(
            ctx_of(request),
            name,
            role,
            tier=tier or None,
            skills=_skills(skills),
            password=password or None,
            actor=v.who.actor,
        )
    except (InvalidRequest, Conflict) as exc:
        errors = [str(p) for p in exc.problems] if isinstance(exc, InvalidRequest) else [str(exc)]
        form = {"name": name, "role": role, "tier": tier, "skills": skills}
        return _users_page(request, v, status=422, errors=errors, form=form)
    return RedirectResponse(f"/admin/users?done=added+{name}", status_code=303)


@router.post("/users/{name}")
def update_user(
    request: Request,
    v: UserAdmin,
    name: str,
    role: Annotated[str, Form(max_length=20)] = "",
    tier: Annotated[str, Form(max_length=60)] = "",
    skills: Annotated[str, Form(max_length=2000)] = "",
    disabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        console.update_user(
            ctx_of(request),
            v.who,
            name,
            role=role,
            tier=tier or None,
            skills=_skills(skills),
            disabled=disabled in ("1", "on", "true"),
        )
    except (InvalidRequest, Conflict) as exc:
        errors = [str(p) for p in exc.problems] if isinstance(exc, InvalidRequest) else [str(exc)]
        return _users_page(request, v, status=422, errors=errors)
    return RedirectResponse(f"/admin/users?done=updated+{name}", status_code=303)


@router.post("/users/{name}/password")
def set_password(
    request: Request, v: UserAdmin, name: str, password: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    try:
        console.set_password(ctx_of(request), v.who, name, password)
    except InvalidRequest as exc:
        return _users_page(request, v, status=422, errors=[str(p) for p in exc.problems])
    return RedirectResponse(f"/admin/users?done=password+set+for+{name}", status_code=303)


@router.post("/users/{name}/keys")
def create_key(request: Request, v: UserAdmin, name: str) -> Response:
    key_id, key = accounts.create_key(ctx_of(request), name, actor=v.who.actor)
    # Shown on this response only: it is not stored, and the page is not cached.
    return _users_page(request, v, new_key={"user": name, "id": key_id, "key": key})


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, v: UserAdmin, key_id: str) -> Response:
    accounts.revoke_key(ctx_of(request), key_id, actor=v.who.actor)
    return RedirectResponse(f"/admin/users?done=revoked+{key_id}", status_code=303)


def _hooks_page(request: Request, v: Viewer, *, status: int = 200, **extra: Any) -> Response:
    ctx = ctx_of(request)
    return render(
        request,
        "admin_webhooks.html",
        v,
        status_code=status,
        title="Webhooks",
        hooks=delivery.list_webhooks(ctx, v.who),
        deliveries=delivery.list_deliveries(ctx, v.who)[:50],
        events=WEBHOOK_EVENTS,
        **extra,
    )


@router.get("/webhooks")
def webhooks_page(request: Request, v: HookAdmin, done: str | None = None) -> Response:
    return _hooks_page(request, v, notice=done if done and _DONE.fullmatch(done) else None)


@router.post("/webhooks")
async def create_webhook(request: Request, v: HookAdmin) -> Response:
    form = await request.form()
    url = str(form.get("url") or "")[:2000]
    events = [str(e) for e in form.getlist("events")][:10]
    from fastapi.concurrency import run_in_threadpool

    try:
        hook = await run_in_threadpool(delivery.create_webhook, ctx_of(request), v.who, url, events)
    except InvalidRequest as exc:
        errors = [str(p) for p in exc.problems]
        return await run_in_threadpool(
            lambda: _hooks_page(request, v, status=422, errors=errors, form={"url": url, "events": events})
        )
    return await run_in_threadpool(lambda: _hooks_page(request, v, new_hook=hook))


@router.post("/webhooks/{webhook_id}/delete")
def delete_webhook(request: Request, v: HookAdmin, webhook_id: str) -> Response:
    delivery.delete_webhook(ctx_of(request), v.who, webhook_id)
    return RedirectResponse(f"/admin/webhooks?done=deleted+{webhook_id}", status_code=303)


@router.post("/deliveries/{delivery_id}/resend")
def resend(request: Request, v: HookAdmin, delivery_id: str) -> Response:
    try:
        delivery.resend(ctx_of(request), v.who, delivery_id)
    except NotFound as exc:
        return _hooks_page(request, v, status=404, errors=[str(exc)])
    return RedirectResponse(f"/admin/webhooks?done=queued+{delivery_id}+again", status_code=303)
