"""Periodic work of a server process: SLA fallbacks, lease expiry and webhook delivery.

Safe to run in every process on one database: each due row is handed to one worker and applied once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from inloop.services import delivery, sla
from inloop.services.context import Context

log = logging.getLogger("inloop.worker")


class Worker:
    """Two daemon threads, each running every ``interval`` seconds until :meth:`stop`: one applies SLA
    fallbacks and expires leases, the other delivers webhooks. Apart, so that a slow or hanging webhook
    endpoint (up to the HTTP timeout per delivery, for a whole backlog) never holds back a timer."""

    def __init__(self, ctx: Context, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(self.sweep,), name="inloop-timers", daemon=True),
            threading.Thread(target=self._run, args=(self.deliver,), name="inloop-webhooks", daemon=True),
        ]
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

    def _run(self, work: Callable[[], None]) -> None:
        while not self._stop.wait(self.interval):
            try:
                work()
            except Exception:  # keep the loop alive; the next round retries what failed
                log.exception("background work failed")
