"""RFC 9457 problem+json for every error, and the one place where inloop's errors become HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from inloop.api.limits import BodyTooLarge
from inloop.domain.item import problems_from_errors
from inloop.errors import (
    Conflict,
    Forbidden,
    InloopError,
    InvalidRequest,
    ItemError,
    NotFound,
    PolicyError,
    Problem,
    Unauthorized,
)

log = logging.getLogger("inloop.api")

STATUS: list[tuple[type[InloopError], int]] = [
    (ItemError, 422),
    (InvalidRequest, 422),
    (PolicyError, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
]


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://inloop.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [{"field": p.path, "message": p.message} for p in errors]
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(InloopError)
    async def _inloop(request: Request, exc: InloopError) -> JSONResponse:
        status = next((s for cls, s in STATUS if isinstance(exc, cls)), 400)
        errors = list(getattr(exc, "problems", ()))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(status, type(exc).__name__, str(exc), exc.code, errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem(400, "Malformed JSON", "the request body is not valid JSON", "malformed_json")
        errors = problems_from_errors(raw, strip=("body", "query", "path", "header"))
        detail = "; ".join(str(p) for p in errors)
        return problem(422, "Invalid request", detail, "invalid_request", errors)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(413, "Body too large", str(exc), "body_too_large")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail),
            str(exc.detail),
            f"http_{exc.status_code}",
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "an unexpected error occurred; it has been logged", "internal")
