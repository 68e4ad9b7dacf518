"""What every console page shares: the templates, the signed-in viewer, permission checks, CSRF, and the
route class that turns errors into HTML pages (the API's errors stay problem+json)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from inloop.domain.access import Action
from inloop.errors import Conflict, Forbidden, InloopError, InvalidRequest, LeaseConflict, NotFound
from inloop.services import console
from inloop.services.accounts import Principal
from inloop.services.context import Context
from inloop.web.security import REFRESH_MS, SESSION_COOKIE, LoginThrottle, Session, Sessions

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

HTMX_CONFIG = {
    "includeIndicatorStyles": False,  # htmx would otherwise inject an inline <style>, which the CSP refuses
    "allowEval": False,
    "allowScriptTags": False,
    "historyCacheSize": 0,  # never copy pages (model text, PII) into localStorage
    "refreshOnHistoryMiss": True,
    "selfRequestsOnly": True,
    "defaultSettleDelay": 0,
    "attributesToSettle": ["class", "width", "height"],  # not "style": setting it is an inline style
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "(409|422)", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


class LoginRequired(Exception):
    pass


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass
class Web:
    """The console's per-app state (on ``app.state.web``)."""

    sessions: Sessions
    throttle: LoginThrottle
    env: Environment
    asset_versions: dict[str, str] = field(default_factory=dict)
    secure_cookies: bool | None = None  # None: Secure when the request came over https

    def static_url(self, name: str) -> str:
        return f"/static/{name}?v={self.asset_versions.get(name, '0')}"


def make_web(sessions: Sessions | None = None) -> Web:
    from inloop.web.security import secret_from_env

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"], default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["dt"] = _dt
    env.filters["pct"] = _pct
    env.filters["ms"] = _ms
    env.filters["age"] = _age
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1, sort_keys=True)
    env.globals["quote"] = lambda v: quote(str(v), safe="")
    versions = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in STATIC.iterdir() if p.is_file()
    }
    secure = os.environ.get("INLOOP_COOKIE_SECURE")
    return Web(
        sessions=sessions or Sessions(secret_from_env()),
        throttle=LoginThrottle(),
        env=env,
        asset_versions=versions,
        secure_cookies=None if secure is None else secure.lower() in ("1", "true"),
    )


def _dt(value: str | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 120_000:
        return f"{value / 1000:.1f} s"
    if value < 7_200_000:
        return f"{value / 60_000:.1f} min"
    return f"{value / 3_600_000:.1f} h"


def _age(seconds: float | None) -> str:
    return _ms(None if seconds is None else seconds * 1000)


# --- the viewer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    who: Principal
    session: Session
    csrf: str

    def can(self, action: Action | str) -> bool:
        return self.who.can(Action(action))


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.netloc == host


async def viewer(request: Request) -> Viewer:
    """The signed-in user (or a redirect to the login page); for a POST, also a valid CSRF token."""
    web = web_of(request)
    session = web.sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired()
    found = await run_in_threadpool(console.session_user, ctx_of(request), session.user_id)
    if found is None or found[1] != session.fingerprint:
        raise LoginRequired()
    if web.sessions.now() - session.seen_ms > REFRESH_MS:
        request.state.session_cookie = web.sessions.refreshed(session)
    if request.method not in ("GET", "HEAD"):
        await check_csrf(request, web, session)
    return Viewer(found[0], session, web.sessions.csrf_token(session))


async def check_csrf(request: Request, web: Web, session: Session) -> None:
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not same_origin(request) or not web.sessions.check_csrf(session, token):
        raise PageError(
            403, "Request refused", "The form was not sent from this console (CSRF check failed)."
        )


def needs(*actions: Action) -> Callable[[Request], Coroutine[Any, Any, Viewer]]:
    """A dependency admitting a signed-in viewer whose role may do every one of ``actions``."""

    async def dependency(request: Request) -> Viewer:
        v = await viewer(request)
        for action in actions:
            if not v.who.can(action):
                raise PageError(
                    403,
                    "Not allowed",
                    f"Your role ({v.who.role.value}) may not use this page ({action.value}).",
                )
        return v

    return dependency


# --- rendering ----------------------------------------------------------------------------------------------


def nav(v: Viewer) -> list[tuple[str, str]]:
    links = []
    if v.can(Action.READ_QUEUES):
        links.append(("/queues", "Queues"))
    if v.can(Action.ADJUDICATE):
        links.append(("/adjudication", "Adjudication"))
    if v.can(Action.READ_QUEUES):
        links.append(("/audits", "Audit samples"))
    links.append(("/items", "Items"))
    if v.can(Action.READ_AUDIT):
        links.append(("/dashboard", "Dashboard"))
    if v.can(Action.MANAGE_USERS):
        links.append(("/admin/users", "Users & keys"))
    if v.can(Action.MANAGE_WEBHOOKS):
        links.append(("/admin/webhooks", "Webhooks"))
    return links


def render(
    request: Request,
    template: str,
    v: Viewer | None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    web = web_of(request)
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "main"
    html = web.env.get_template(template).render(
        viewer=v,
        csrf=v.csrf if v else context.pop("csrf", ""),
        nav=nav(v) if v else [],
        path=request.url.path,
        static=web.static_url,
        htmx_config=json.dumps(HTMX_CONFIG, separators=(",", ":")),
        layout="partial.html" if partial else "layout.html",
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def signed_in(request: Request) -> Viewer | None:
    """The viewer a valid session cookie names, or None (no redirect, no CSRF check)."""
    web = web_of(request)
    session = web.sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    found = console.session_user(ctx_of(request), session.user_id)
    if found is None or found[1] != session.fingerprint:
        return None
    return Viewer(found[0], session, web.sessions.csrf_token(session))


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    v = signed_in(request)
    return render(request, "error.html", v, status_code=status, title=title, message=message)


_STATUS: list[tuple[type[InloopError], int]] = [
    (InvalidRequest, 422),
    (NotFound, 404),
    (LeaseConflict, 409),
    (Conflict, 409),
    (Forbidden, 403),
]


class ConsoleRoute(APIRoute):
    """Console routes answer HTML: a redirect to the login page, or an error page, never problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except PageError as exc:
                response = await run_in_threadpool(error_page, request, exc.status, exc.title, exc.message)
            except InloopError as exc:
                status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 400)
                response = await run_in_threadpool(error_page, request, status, type(exc).__name__, str(exc))
            cookie = getattr(request.state, "session_cookie", None)
            if cookie:
                set_session_cookie(request, response, cookie)
            if response.media_type == "text/html" or "text/html" in response.headers.get("content-type", ""):
                response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login" + (f"?next={quote(target, safe='')}" if target not in ("/", "/login") else "")
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def secure(request: Request) -> bool:
    configured = web_of(request).secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    from inloop.web.security import ABSOLUTE_MS

    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=ABSOLUTE_MS // 1000,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )
