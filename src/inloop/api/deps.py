"""Request dependencies: the service context, and the authenticated caller with the right role."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inloop.domain.access import Action
from inloop.errors import InvalidRequest, Problem
from inloop.services.accounts import Principal, authenticate_key, remembered_key
from inloop.services.context import Context

_bearer = HTTPBearer(auto_error=False, description="An API key from `inloop keys create`.")


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(context)]


async def caller(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """A key the services remember is checked on the event loop (a hop to a worker thread and back costs more
    than the check); any other goes to the threadpool, since looking it up reads the database."""
    key = credentials.credentials if credentials else None
    if key:
        remembered = remembered_key(key)
        if remembered is not None:
            return remembered
    return await run_in_threadpool(authenticate_key, ctx, key)


def allow(action: Action) -> Callable[..., Any]:
    """A dependency admitting only roles permitted ``action``: 401 without a key, 403 for other roles; then
    422 for text no backend can store (see :func:`storable_text`), before the body is validated."""

    # On the event loop: the role check is cheap, and the key lookup goes to the threadpool only when it may
    # read the database (see caller). A default, not Annotated: with postponed annotations FastAPI cannot
    # resolve a local name in a hint.
    async def dependency(request: Request, who: Principal = Depends(caller)) -> Principal:  # noqa: B008
        who.require(action)
        await storable_text(request)
        return who

    dependency.required_action = action  # type: ignore[attr-defined]
    return dependency


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


async def storable_text(request: Request) -> None:
    """Refuse NUL characters (PostgreSQL cannot store them) and unpaired surrogates (not Unicode: no JSON
    encoder can write them back) in path and query parameters and in JSON strings, naming each field, so
    that such input is a 422 on both backends rather than a 500 (or, on SQLite, an item that cannot be read).
    FastAPI has already read (and cached) a route's body; it is parsed again only in the rare case of an
    escape that may decode to such a character (raw NUL bytes and invalid UTF-8 are malformed JSON)."""
    problems = [
        Problem(name, "must not contain NUL characters")
        for name, value in [*request.path_params.items(), *request.query_params.items()]
        if isinstance(value, str) and "\x00" in value
    ]
    body = await request.body()
    if _UNSTORABLE_ESCAPE.search(body):
        try:
            data = json.loads(body)
        except ValueError:
            data = None  # FastAPI reports malformed JSON
        problems += [
            Problem(path, "must not contain NUL characters or unpaired surrogates")
            for path in _unstorable(data, "")
        ]
    if problems:
        raise InvalidRequest(problems)


def _unstorable(value: Any, path: str) -> Iterator[str]:
    """The paths of the strings (and keys) holding such characters; iterative, so nesting cannot overflow."""
    stack = [(path, value)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                yield here
        elif isinstance(value, dict):
            for key, item in value.items():
                if _UNSTORABLE.search(key):
                    name = key.encode("unicode_escape").decode("ascii")  # the answer must be valid JSON
                    yield f"{here}.{name}" if here else name
                else:
                    stack.append((f"{here}.{key}" if here else key, item))
        elif isinstance(value, list):
            stack.extend((f"{here}[{n}]", item) for n, item in enumerate(value))
