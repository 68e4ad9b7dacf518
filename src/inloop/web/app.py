"""Mounting the console on the FastAPI app: its routes, its static files and the security headers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from inloop.web.pages import STATIC, make_web
from inloop.web.routes import admin, auth, dashboard, items, work
from inloop.web.security import SecurityHeaders, Sessions


class Assets(StaticFiles):
    """Static files; a versioned URL (``?v=`` the content hash) is cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if scope.get("query_string"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response


def mount(app: FastAPI, *, sessions: Sessions | None = None, **_: Any) -> None:
    app.state.web = make_web(sessions)
    for module in (auth, work, items, dashboard, admin):
        app.include_router(module.router)
    app.mount("/static", Assets(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)
