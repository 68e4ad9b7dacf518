"""Closing the loop over HTTP: exports of human decisions, the metrics summary and the Prometheus scrape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from inloop.api.deps import Ctx, allow
from inloop.clock import parse_iso
from inloop.domain.access import Action
from inloop.domain.exports import FORMATS
from inloop.errors import InvalidRequest, Problem
from inloop.services import export
from inloop.services.accounts import Principal

router = APIRouter(tags=["feedback"])

Exporter = Annotated[Principal, Depends(allow(Action.EXPORT))]
CHUNK = 500


def times(**values: str | None) -> dict[str, int | None]:
    """ISO 8601 query parameters as milliseconds; every bad one named in one 422."""
    parsed: dict[str, int | None] = {}
    problems = []
    for name, value in values.items():
        try:
            parsed[name] = None if value is None else parse_iso(value)
        except ValueError as exc:
            problems.append(Problem(name, str(exc)))
    if problems:
        raise InvalidRequest(problems)
    return parsed


@router.get(
    "/v1/export",
    summary="Human decisions as JSON Lines, streamed (roles: admin, auditor)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_lines(
    ctx: Ctx,
    who: Exporter,
    format: Annotated[str, Query(description=f"One of {', '.join(FORMATS)}")],
    task: str | None = None,
    since: Annotated[str | None, Query(description="ISO 8601; decided at or after")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; decided before")] = None,
) -> StreamingResponse:
    window = times(since=since, until=until)
    request = export.ExportRequest(format, task, window["since"], window["until"]).validated()

    def lines() -> Iterator[bytes]:
        for text in export.jsonl(export.stream(ctx, request, actor=who.actor), CHUNK):
            yield text.encode()

    filename = f"inloop-{request.format}.jsonl"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)
