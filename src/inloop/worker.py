"""Periodic work of a server process: SLA fallbacks, lease expiry and webhook delivery.

Safe to run in every process on one database: each due row is handed to one worker and applied once.
"""

from __future__ import annotations

import logging
import threading

import httpx

from inloop.services import delivery, sla
from inloop.services.context import Context

log = logging.getLogger("inloop.worker")


class Worker:
    """A daemon thread running :meth:`tick` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, ctx: Context, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inloop-worker", daemon=True)
        self._http = httpx.Client(timeout=10.0, follow_redirects=False)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._http.close()

    def tick(self) -> None:
        sla.sweep(self.ctx)
        while delivery.dispatch(self.ctx, self._http) and not self._stop.is_set():
            pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # keep the loop alive; the next tick retries what failed
                log.exception("background work failed")
