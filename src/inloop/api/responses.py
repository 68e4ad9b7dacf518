"""The API's JSON answers, serialised where the endpoint runs."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from starlette.responses import Response

_RESOURCE: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


class Json(Response):
    """A resource (the services' plain JSON data) as ``application/json``, written by the same pydantic
    encoder FastAPI uses for a returned dict, so the bytes are the same.

    Endpoints return one rather than the dict because FastAPI validates a sync endpoint's returned value in
    the threadpool: a second hop to a worker thread and back per request, which cost more than the encoding.
    The route's ``status_code`` documents the status; the endpoint sets it here."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _RESOURCE.dump_json(content)
