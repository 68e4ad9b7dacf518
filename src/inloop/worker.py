"""Periodic work of a server process: SLA fallbacks, lease expiry, webhook delivery and the shared periodic
jobs (drift monitoring, adaptive recalibration).

Safe to run in every process on one database: each due row is handed to one worker and applied once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from inloop.services import adaptive, delivery, drift, sla
from inloop.services.context import Context

log = logging.getLogger("inloop.worker")


CHECKPOINT_SECONDS = 0.1


class Worker:
    """Daemon threads, each running every ``interval`` seconds until :meth:`stop`: one applies SLA fallbacks
    and expires leases, one delivers webhooks, one runs the periodic jobs. Apart, so that a slow or hanging
    webhook endpoint (up to the HTTP timeout per delivery, for a whole backlog) or a long drift computation
    never holds back a timer. On SQLite a fourth checkpoints the write-ahead log every
    :data:`CHECKPOINT_SECONDS`, off the requests' path."""

    def __init__(self, ctx: Context, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(self.sweep,), name="inloop-timers", daemon=True),
            threading.Thread(target=self._run, args=(self.deliver,), name="inloop-webhooks", daemon=True),
            threading.Thread(target=self._run, args=(self.jobs,), name="inloop-jobs", daemon=True),
        ]
        if ctx.db.is_sqlite:
            self._threads.append(
                threading.Thread(
                    target=self._run,
                    args=(ctx.db.checkpoint, CHECKPOINT_SECONDS),
                    name="inloop-checkpoint",
                    daemon=True,
                )
            )
        self._http = httpx.Client(timeout=10.0, follow_redirects=False)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._http.close()

    def sweep(self) -> None:
        sla.sweep(self.ctx)

    def deliver(self) -> None:
        while delivery.dispatch(self.ctx, self._http) and not self._stop.is_set():
            pass

    def jobs(self) -> None:
        """Pick up thresholds learned elsewhere, then run whichever shared job is due (each is claimed by one
        server per period; when not due, each costs one indexed read)."""
        if self.ctx.gate is None:
            return
        steps: list[tuple[str, Callable[[Context], object]]] = [
            ("adaptive refresh", adaptive.refresh),
            ("drift", drift.run_due),
            ("adaptive recalibration", adaptive.run_due),
        ]
        for name, step in steps:
            if self._stop.is_set():
                return
            try:
                step(self.ctx)
            except Exception:  # one failing job must not starve the others
                log.exception("periodic job %s failed", name)

    def _run(self, work: Callable[[], None], interval: float | None = None) -> None:
        while not self._stop.wait(self.interval if interval is None else interval):
            try:
                work()
            except Exception:  # keep the loop alive; the next round retries what failed
                log.exception("background work failed")
