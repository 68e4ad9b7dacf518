"""Closing the loop over HTTP: exports of human decisions, the metrics summary and the Prometheus scrape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inloop.api.deps import Ctx, allow
from inloop.api.responses import Json
from inloop.clock import parse_window
from inloop.domain.access import Action
from inloop.domain.exports import FORMATS
from inloop.services import export, summary
from inloop.services.accounts import Principal

router = APIRouter(tags=["feedback"])

Exporter = Annotated[Principal, Depends(allow(Action.EXPORT))]
MetricsReader = Annotated[Principal, Depends(allow(Action.READ_METRICS))]
CHUNK = 500


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
    request = export.ExportRequest(format, task, *parse_window(since, until)).validated()

    def lines() -> Iterator[bytes]:
        for text in export.jsonl(export.stream(ctx, request, actor=who.actor), CHUNK):
            yield text.encode()

    filename = f"inloop-{request.format}.jsonl"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)


@router.get(
    "/v1/metrics/summary", summary="How the loop is doing over a window (roles: admin, lead, auditor)"
)
def metrics_summary(
    ctx: Ctx,
    who: MetricsReader,
    since: Annotated[str | None, Query(description="ISO 8601; from this time on")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; before this time")] = None,
    task: str | None = None,
) -> Json:
    return Json(summary.summary(ctx, *parse_window(since, until), task))


@router.get(
    "/metrics",
    summary="Prometheus metrics of this server (roles: admin, lead, auditor; a Bearer key)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def prometheus(request: Request, who: MetricsReader) -> Response:
    return Response(generate_latest(request.app.state.telemetry.registry), media_type=CONTENT_TYPE_LATEST)
