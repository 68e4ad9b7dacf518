"""A limit on request body size, enforced while the body streams in (a lying Content-Length cannot pass).

A declared oversize body is refused before it is read; a streamed one raises :class:`BodyTooLarge` while it is
read, which the problem handlers turn into a 413.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """An HTTPException, because FastAPI turns any other exception raised while it reads the body into a 400;
    the handler registered for this class (more specific than HTTPException's) answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")

    def __str__(self) -> str:
        return str(self.detail)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        seen = int(declared) if declared is not None and declared.isdigit() else 0

        async def limited() -> Message:
            nonlocal seen
            if seen > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request" and declared is None:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)
