"""Request dependencies: the service context, and the authenticated caller with the right role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inloop.domain.access import Action
from inloop.services.accounts import Principal, authenticate_key
from inloop.services.context import Context

_bearer = HTTPBearer(auto_error=False, description="An API key from `inloop keys create`.")


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(context)]


def caller(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    return authenticate_key(ctx, credentials.credentials if credentials else None)


def allow(action: Action) -> Callable[[Principal], Principal]:
    """A dependency admitting only roles permitted ``action``: 401 without a key, 403 for other roles."""

    def dependency(who: Annotated[Principal, Depends(caller)]) -> Principal:
        who.require(action)
        return who

    dependency.required_action = action  # type: ignore[attr-defined]
    return dependency
