"""The team dashboard: the numbers of :mod:`inloop.services.metrics` with charts drawn as inline SVG."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from inloop.domain.access import Action
from inloop.services import drift, metrics
from inloop.web import charts
from inloop.web.pages import ConsoleRoute, Viewer, ctx_of, needs, render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

Watcher = Annotated[Viewer, Depends(needs(Action.READ_AUDIT))]


def _label(iso: str | None, bucket_ms: int) -> str:
    if iso is None:
        return ""
    return iso[11:16] if bucket_ms < 86_400_000 else iso[5:10]


@router.get("/dashboard")
def dashboard(request: Request, v: Watcher, window: str = "24h") -> Response:
    data = metrics.dashboard(ctx_of(request), v.who, window)
    labels = [_label(s, data["bucket_ms"]) for s in data["bucket_starts"]]
    if data["bucket_ms"] < 86_400_000:
        labels = [
            f"{s[5:10]} {lbl}" if lbl == "00:00" else lbl
            for s, lbl in zip(data["bucket_starts"], labels, strict=True)
        ]
    routes_chart = charts.stacked_bars(
        {r: data["routes"].get(r, [0] * len(labels)) for r in metrics.ROUTES},
        labels,
        "Items submitted per route",
        {r: f"route-{r}" for r in metrics.ROUTES},
    )
    depth_chart = charts.line(data["queue_depth"], labels, "Queue depth (open and leased tasks)")
    breaches_chart = charts.stacked_bars(
        {"SLA breaches": data["sla_breaches"]}, labels, "SLA breaches", {"SLA breaches": "breach"}
    )
    lat = data["latency_ms"]
    handling = data["handling_ms"]
    from inloop.web.pages import _ms

    latency_chart = charts.hbars(
        [(f"decision {q.upper()}", float(lat[q] or 0), _ms(lat[q])) for q in ("p50", "p95", "p99")]
        + [
            (f"handling {q.upper()}", float(handling[q] or 0), _ms(handling[q]))
            for q in ("p50", "p95", "p99")
        ],
        "Review latency",
    )
    reviewer_chart = charts.hbars(
        [
            (r["reviewer"], r["per_active_hour"], f"{r['per_active_hour']:.1f}/h · {r['decisions']}")
            for r in data["reviewers"]
        ],
        "Decisions per reviewer per active hour",
    )
    reviewer_series = charts.stacked_bars(
        {r["reviewer"]: r["per_hour"] for r in data["reviewers"]},
        labels,
        "Decisions per hour, by reviewer",
        {r["reviewer"]: f"s{i % 8}" for i, r in enumerate(data["reviewers"])},
    )
    return render(
        request,
        "dashboard.html",
        v,
        title="Dashboard",
        data=data,
        windows=list(metrics.WINDOWS),
        routes_chart=routes_chart,
        depth_chart=depth_chart,
        breaches_chart=breaches_chart,
        latency_chart=latency_chart,
        reviewer_chart=reviewer_chart,
        reviewer_series=reviewer_series,
        drift=drift.latest(ctx_of(request), v.who),
    )
