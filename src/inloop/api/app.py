"""The FastAPI application factory: ``create_app(settings)`` opens the database and the policy in the
lifespan and starts the background worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from inloop import __version__
from inloop.api import problems
from inloop.api.limits import BodySizeLimit
from inloop.api.routes import admin, gold, items, loop, reviews
from inloop.api.telemetry import RequestTimer, Telemetry
from inloop.clock import Clock, wall_ms
from inloop.gate import Gate
from inloop.services import adaptive
from inloop.services.context import Context, record
from inloop.settings import Settings
from inloop.storage import open_database
from inloop.web import mount as mount_console
from inloop.worker import Worker


def create_app(settings: Settings, *, clock: Clock = wall_ms) -> FastAPI:
    telemetry = Telemetry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gate = Gate.from_file(settings.policy)
        db = open_database(settings.db)
        ctx = Context(
            db=db,
            gate=gate,
            clock=clock,
            lease_seconds=settings.lease_seconds,
            webhook_attempts=settings.webhook_attempts,
            webhook_backoff_seconds=settings.webhook_backoff_seconds,
        )
        telemetry.watch(ctx)
        adaptive.refresh(ctx)  # start from the thresholds learned so far, wherever they were learned
        with db.write() as conn:
            record(
                conn,
                ctx,
                "policy.loaded",
                actor="system",
                data={"policy_version": ctx.policy.version_hash, "source": settings.policy},
            )
        app.state.ctx = ctx
        worker = Worker(ctx, settings.sweep_interval_seconds)
        if settings.background:
            worker.start()
        try:
            yield
        finally:
            if settings.background:
                worker.stop()
            db.close()

    app = FastAPI(
        title="inloop",
        version=__version__,
        description="Human-in-the-loop review for LLM outputs. Every endpoint but /healthz needs "
        "`Authorization: Bearer <key>`; errors are RFC 9457 problem+json.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.state.telemetry = telemetry
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTimer, telemetry=telemetry)
    for module in (items, reviews, admin, loop, gold):
        app.include_router(module.router)
    mount_console(app)  # the reviewer console at /, its static files, and the security headers
    return app
