"""Claiming a shared periodic job (``storage.jobs``) from a service: one server per period runs it."""

from __future__ import annotations

from typing import Any

from inloop.services.context import Context
from inloop.storage import jobs


def claim(ctx: Context, name: str, every_ms: int, now_ms: int) -> dict[str, Any] | None:
    """The state the job's last run saved (``{}`` if none) when this process is to run it now; None when it
    is not due or another server claimed it. A cheap read comes first, so the write lock is only taken when
    the job is due."""
    with ctx.db.read() as conn:
        job = jobs.load(conn, name)
    if job is not None and job.next_run_ms > now_ms:
        return None
    with ctx.db.write() as conn:
        if not jobs.claim_due(conn, name, now_ms, every_ms):
            return None
        return jobs.load_state(conn, name) or {}
