"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from inloop.domain.access import Action
from inloop.services import accounts, console
from inloop.web.pages import (
    ConsoleRoute,
    PageError,
    Viewer,
    ctx_of,
    render,
    same_origin,
    secure,
    set_session_cookie,
    signed_in,
    viewer,
    web_of,
)
from inloop.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/")
def home(v: Annotated[Viewer, Depends(viewer)]) -> Response:
    return RedirectResponse("/queues" if v.can(Action.READ_QUEUES) else "/items", status_code=303)


def _login_page(request: Request, next_url: str, *, error: str | None = None, status: int = 200) -> Response:
    web = web_of(request)
    token = web.sessions.login_token()
    response = render(
        request,
        "login.html",
        None,
        status_code=status,
        csrf=token,
        next_url=next_url,
        error=error,
        title="Log in",
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, _safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    web = web_of(request)
    ctx = ctx_of(request)
    if not same_origin(request) or not web.sessions.check_login_token(
        request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token
    ):
        raise PageError(403, "Request refused", "The login form expired or was not sent from this console.")
    address = request.client.host if request.client else "unknown"
    wait = web.throttle.retry_after(username, address)
    if wait > 0:
        return _login_page(
            request,
            _safe_next(next),
            error=f"Too many failed attempts. Try again in {int(wait) + 1} seconds.",
            status=429,
        )
    who = accounts.authenticate_password(ctx, username, password) if username and password else None
    found = console.session_user(ctx, who.id) if who is not None else None
    if who is None or found is None:
        web.throttle.failed(username, address)
        return _login_page(request, _safe_next(next), error="Wrong user name or password.", status=401)
    web.throttle.succeeded(username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, web.sessions.issue(who.id, found[1]))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> Response:
    web_of(request).sessions.revoke(v.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
    return response
