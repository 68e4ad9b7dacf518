"""Prometheus metrics of a live server, scraped at ``GET /metrics`` (with a key whose role reads metrics).

Counters and histograms are this process's own, fed by the events the services record (each server counts
what it did; Prometheus sums over servers): items routed, reviews, claims' queue wait, handling time, SLA
breaches, escaped errors, webhook deliveries, drift alerts, and HTTP request durations. Queue depth is read
from the database at scrape time, so it is the whole deployment's (take ``max`` over servers, not ``sum``).
An event is counted when it is recorded; a transaction that rolls back after recording (only on a database
error) is still counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inloop.services import summary
from inloop.services.context import Context

WAIT_BUCKETS = (1, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)
HANDLING_BUCKETS = (1, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
HTTP_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _Queues(Collector):
    """Depth, oldest age and tasks past their deadline per queue, read when Prometheus scrapes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("inloop_queue_depth", "Open and leased review tasks", labels=["queue"])
        oldest = GaugeMetricFamily(
            "inloop_queue_oldest_age_seconds", "Age of the oldest open or leased task", labels=["queue"]
        )
        late = GaugeMetricFamily(
            "inloop_queue_past_deadline", "Open or leased tasks past their SLA deadline", labels=["queue"]
        )
        for q in summary.queues_now(self.ctx):
            depth.add_metric([q["queue"]], q["depth"])
            oldest.add_metric([q["queue"]], q["oldest_age_seconds"])
            late.add_metric([q["queue"]], q["past_deadline"])
        yield from (depth, oldest, late)


class Telemetry:
    """One registry per app (so tests and several apps in one process never share counters)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()  # no auto_describe: the queue collector must not query at start
        r = self.registry
        self.routed = Counter("inloop_items_routed", "Items routed", ["route", "risk"], registry=r)
        self.reviews = Counter("inloop_reviews", "People's decisions", ["kind", "verdict"], registry=r)
        self.wait = Histogram(
            "inloop_review_queue_wait_seconds",
            "Time a task waited in its queue before a reviewer claimed it",
            ["kind"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.handling = Histogram(
            "inloop_review_handling_seconds",
            "Time from claim to decision",
            ["kind"],
            buckets=HANDLING_BUCKETS,
            registry=r,
        )
        self.breaches = Counter("inloop_sla_breaches", "SLA deadlines passed", registry=r)
        self.escaped = Counter("inloop_escaped_errors", "Released outputs an audit found wrong", registry=r)
        self.webhooks = Counter("inloop_webhook_deliveries", "Webhook attempts", ["outcome"], registry=r)
        self.drift = Counter("inloop_drift_alerts", "drift.detected alerts raised", registry=r)
        self.http = Histogram(
            "inloop_http_request_duration_seconds",
            "HTTP requests by route template",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "item.routed": lambda d: self.routed.labels(d.get("route", ""), d.get("risk", "")).inc(),
            "task.claimed": self._claimed,
            "review.decided": self._decided,
            "sla.breached": lambda d: self.breaches.inc(),
            "item.revised": lambda d: self.escaped.inc(),
            "webhook.delivered": lambda d: self.webhooks.labels("delivered").inc(),
            "webhook.failed": lambda d: self.webhooks.labels("failed").inc(),
            "drift.detected": lambda d: self.drift.inc(),
        }

    def watch(self, ctx: Context) -> None:
        """Count ``ctx``'s events and read its queues at scrape time."""
        ctx.observers.append(self.observe)
        self.registry.register(_Queues(ctx))

    def observe(self, event: str, data: dict[str, Any]) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            handler(data)

    def _claimed(self, data: dict[str, Any]) -> None:
        if "waited_ms" in data:
            self.wait.labels(data.get("kind", "")).observe(data["waited_ms"] / 1000)

    def _decided(self, data: dict[str, Any]) -> None:
        kind = data.get("kind", "")
        self.reviews.labels(kind, data.get("verdict", "")).inc()
        if "handling_ms" in data:
            self.handling.labels(kind).observe(data["handling_ms"] / 1000)


class RequestTimer:
    """ASGI middleware timing each request by its route template (``/v1/items/{item_id}``, never the raw
    path, so ids do not explode the label set)."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.telemetry.http.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - start
            )
