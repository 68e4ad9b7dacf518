"""Fixtures for the reliability tests: wall-clock service contexts, real ``inloop serve`` processes, a local
webhook receiver, and direct reads of the database the services wrote.

These tests are slow (tens of seconds per backend) and carry the ``slow`` marker, but they are never skipped:
``make test`` runs them, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from inloop import Gate
from inloop.clock import wall_ms
from inloop.services import accounts
from inloop.services.context import Context
from inloop.storage import open_database
from inloop.storage.tables import audit_events, items, outbox, reviews, tasks
from testkit.server import Server

# Everything is queued for one human review: no checks, no SLA unless a test adds one.
QUEUE_POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {"all": {"confident": "queue", "unsure": "queue"}},
    "default_task": {"risk": "all"},
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a long reliability test (real processes, thousands of tasks); runs in make test"
    )


@pytest.fixture
def queue_policy() -> dict[str, Any]:
    return copy.deepcopy(QUEUE_POLICY)


@pytest.fixture
def wall_context() -> Iterator[Callable[[str, dict[str, Any]], Context]]:
    """Contexts on the wall clock (leases and SLAs must really expire); closed after the test."""
    opened: list[Context] = []

    def make(db_url: str, policy: dict[str, Any]) -> Context:
        ctx = Context(db=open_database(db_url), gate=Gate.from_dict(policy), clock=wall_ms)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.db.close()


class Accounts:
    """Users created in-process, with an API key each (``keys[name]``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.keys: dict[str, str] = {}

    def add(self, name: str, role: str, tier: str | None = "senior") -> str:
        accounts.add_user(self.ctx, name, role, tier=tier)
        self.keys[name] = accounts.create_key(self.ctx, name)[1]
        return self.keys[name]


@pytest.fixture
def make_accounts() -> Callable[[Context], Accounts]:
    return Accounts


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start ``inloop serve`` processes on a database; every one still running is stopped after the test."""
    started: list[Server] = []

    def start(db_url: str, policy: dict[str, Any], env: dict[str, str] | None = None) -> Server:
        n = len(started)
        path = tmp_path / f"policy-{n}.yaml"
        path.write_text(yaml.safe_dump(policy, sort_keys=False))
        server = Server(db_url, path, tmp_path / f"server-{n}.log", env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class Receiver:
    """A local webhook endpoint: verifies each Standard Webhooks signature and counts each ``webhook-id``."""

    def __init__(self) -> None:
        self.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        self.verifier = Webhook(self.secret)
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.messages: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0
        self.delay = 0.0  # seconds each answer takes: a slow endpoint
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(receiver.delay)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = receiver.verifier.verify(body, headers)
                except Exception:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.ids[headers["webhook-id"]] += 1
                    receiver.messages[headers["webhook-id"]] = payload
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def events_of(self, event: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages.values() if m["type"] == event]


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.httpd.shutdown()
    receiver.httpd.server_close()


class Rows:
    """Read-only views of what the services stored, straight from the tables."""

    def __init__(self, db_url: str) -> None:
        self.db = open_database(db_url, migrate=False)

    def close(self) -> None:
        self.db.close()

    def _all(self, query: Any) -> list[Any]:
        with self.db.read() as conn:
            return list(conn.execute(query))

    def items(self) -> list[Any]:
        return self._all(select(items))

    def tasks(self) -> list[Any]:
        return self._all(select(tasks))

    def reviews(self) -> list[Any]:
        return self._all(select(reviews))

    def outbox(self) -> list[Any]:
        return self._all(select(outbox))

    def events(self, *names: str) -> list[Any]:
        """Audit events, in the order their chains recorded them (per chain: commit order)."""
        query = select(audit_events).order_by(audit_events.c.chain, audit_events.c.seq)
        if names:
            query = query.where(audit_events.c.event.in_(names))
        return self._all(query)


@pytest.fixture
def rows() -> Iterator[Callable[[str], Rows]]:
    opened: list[Rows] = []

    def make(db_url: str) -> Rows:
        view = Rows(db_url)
        opened.append(view)
        return view

    yield make
    for view in opened:
        view.close()


def lease_history_problems(events: list[Any], user_ids: dict[str, str]) -> list[str]:
    """Replay each task's claims, expiries, releases and decisions from the audit trail (per-item chains are
    in commit order) and report every moment a task was held by two leases or decided outside a lease."""
    names = {uid: name for name, uid in user_ids.items()}
    holder: dict[str, str | None] = {}
    done: set[str] = set()
    problems: list[str] = []
    for ev in events:
        task_id = ev.data.get("task_id")
        if task_id is None:
            continue
        current = holder.get(task_id)
        if task_id in done:
            problems.append(f"{ev.event} on {task_id} after it was decided")
        elif ev.event == "task.claimed":
            if current is not None:
                problems.append(f"{task_id} claimed by {ev.actor} while held by {current}")
            holder[task_id] = ev.actor
        elif ev.event == "lease.expired":
            expected = f"user:{names.get(ev.data.get('holder'), '?')}"
            if current != expected:
                problems.append(f"{task_id} lease of {expected} expired but the holder was {current}")
            holder[task_id] = None
        elif ev.event == "task.released":
            if current != ev.actor:
                problems.append(f"{task_id} released by {ev.actor} but held by {current}")
            holder[task_id] = None
        elif ev.event == "review.decided":
            if current != ev.actor:
                problems.append(f"{task_id} decided by {ev.actor} but held by {current}")
            holder[task_id] = None
            done.add(task_id)
    return problems


@pytest.fixture
def lease_history() -> Callable[[list[Any], dict[str, str]], list[str]]:
    return lease_history_problems
