"""API tests: a real ``inloop serve`` process per backend, reached over HTTP.

The ``api`` fixture is session-scoped and parametrised over SQLite and PostgreSQL: one server (on one fresh
database) serves every API test on a backend, because starting a server costs seconds. Tests keep apart by
using task types of their own (each task type is its own queue unless the policy names one) and webhook
receivers of their own. ``SERVER_ENV`` sets what some modules need: a small body limit for the malformed
bodies, few and fast webhook retries for the dead letter.
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from inloop.services import accounts
from testkit import MATRIX_POLICY
from testkit.server import Server
from testkit.service import make_context, make_user

PG_ADMIN_URL = os.environ.get("INLOOP_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

HERE = Path(__file__).resolve().parent
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
PROBLEM_JSON = "application/problem+json"

# The matrix policy of the issue, plus task types of its own for the review tests and two checks, so that
# "wire the funds now" blocks and "lawsuit" escalates.
API_POLICY: dict[str, Any] = copy.deepcopy(MATRIX_POLICY)
API_POLICY["tasks"].update(
    {
        "pair_agree": {"risk": "low", "reviewers": 2},
        "pair_split": {"risk": "low", "reviewers": 2},
        "finance_only": {"risk": "low", "requires": {"tier": "senior", "skills": ["finance"]}},
        "named_queue": {"risk": "low", "queue": "shared_desk"},
    }
)
API_POLICY["checks"] = [
    {"type": "keywords", "block": ["wire the funds now"], "escalate": ["lawsuit"], "on_flag": "escalate"}
]

# name: (role, tier, skills)
USERS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "admin": ("admin", "specialist", ()),
    "lead": ("lead", "specialist", ("finance",)),
    "bob": ("reviewer", "senior", ("finance",)),
    "carol": ("reviewer", "senior", ("finance",)),
    "junior": ("reviewer", "junior", ()),
    "auditor": ("auditor", None, ()),
    "submitter": ("submitter", None, ()),
}
SERVER_ENV = {
    "INLOOP_MAX_BODY_BYTES": "20000",
    "INLOOP_WEBHOOK_ATTEMPTS": "3",
    "INLOOP_WEBHOOK_BACKOFF_SECONDS": "0.3",
}


def unique(prefix: str = "t") -> str:
    """A fresh task type (and so a fresh queue) for one test."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def assert_problem(response: httpx.Response, status: int, *fields: str) -> dict[str, Any]:
    """An RFC 9457 answer with ``status``, naming each of ``fields`` in its ``errors``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "code"} <= body.keys()
    named = {e["field"] for e in body.get("errors", [])}
    for name in fields:
        assert name in named, f"{name!r} not named in {body}"
    return body


@dataclass
class Api:
    """A running server and a key per user, with the helpers the tests share (test modules do not import
    from conftest: with several conftest.py files on the command line, ``conftest`` names the wrong one)."""

    URL_SAFE = URL_SAFE
    unique = staticmethod(unique)
    problem = staticmethod(assert_problem)

    backend: str
    db_url: str
    server: Server
    keys: dict[str, str]
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def http(self, user: str | None = None, *, key: str | None = None) -> httpx.Client:
        """An httpx client on the server, authenticated as ``user`` (or with ``key``; neither: no key)."""
        name = user or f"key:{key}"
        if name not in self._clients:
            headers = {}
            if user is not None or key is not None:
                headers["Authorization"] = f"Bearer {self.keys[user] if user else key}"
            self._clients[name] = httpx.Client(verify=False, base_url=self.url, headers=headers, timeout=30)
        return self._clients[name]

    def submit(self, user: str = "submitter", **item: Any) -> dict[str, Any]:
        """Submit an item (201 expected) and return the item resource."""
        response = self.http(user).post("/v1/items", json=item)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def claim(self, user: str, queue: str | None, **body: Any) -> list[dict[str, Any]]:
        response = self.http(user).post("/v1/reviews/claim", json={"queue": queue, **body})
        assert response.status_code == 200, response.text
        tasks: list[dict[str, Any]] = response.json()["tasks"]
        return tasks

    def decide(
        self, user: str, task: dict[str, Any], verdict: str = "approve", **body: Any
    ) -> httpx.Response:
        return self.http(user).post(
            f"/v1/reviews/{task['id']}/decision",
            json={"lease_token": task["lease_token"], "verdict": verdict, **body},
        )

    def item(self, item_id: str) -> dict[str, Any]:
        response = self.http("admin").get(f"/v1/items/{item_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def count(self, table: str, **where: Any) -> int:
        """Rows of a table matching ``where``, read straight from the database."""
        from inloop.storage import open_database, tables

        db = open_database(self.db_url, migrate=False)
        try:
            t = getattr(tables, table)
            query = select(func.count()).select_from(t)
            for column, value in where.items():
                query = query.where(t.c[column] == value)
            with db.read() as conn:
                return int(conn.execute(query).scalar_one())
        finally:
            db.close()

    def snapshot(self) -> dict[str, int]:
        """Row counts of every table a request could write, and audit events per kind (background work such
        as webhook delivery and lease expiry left out): equal snapshots mean nothing was stored between."""
        from inloop.storage import open_database, tables

        background = ("webhook.delivered", "webhook.failed", "lease.expired", "sla.breached")
        db = open_database(self.db_url, migrate=False)
        try:
            with db.read() as conn:
                counts = {
                    name: int(
                        conn.execute(select(func.count()).select_from(getattr(tables, name))).scalar_one()
                    )
                    for name in (
                        "items",
                        "tasks",
                        "task_skills",
                        "reviews",
                        "users",
                        "api_keys",
                        "webhooks",
                        "outbox",
                    )
                }
                kinds = select(tables.audit_events.c.event, func.count()).group_by(
                    tables.audit_events.c.event
                )
                for event, n in conn.execute(kinds):
                    if event not in background:
                        counts[f"audit:{event}"] = int(n)
            return counts
        finally:
            db.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def _create_pg_database(template: str) -> str:
    name = f"inloop_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(url: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    admin.dispose()


def _launch(backend: str, db_url: str, tmp: Path) -> Api:
    """Users and keys straight into the database, then the server (blocks until it answers /healthz)."""
    ctx = make_context(db_url, API_POLICY)
    keys = {}
    for name, (role, tier, skills) in USERS.items():
        make_user(ctx, name, role, tier=tier, skills=skills)
        keys[name] = accounts.create_key(ctx, name)[1]
    ctx.db.close()
    policy_path = tmp / "policy.yaml"
    policy_path.write_text(yaml.safe_dump(API_POLICY, sort_keys=False))
    server = Server(db_url, policy_path, tmp / "server.log", SERVER_ENV)
    try:
        server.start(timeout=120)
    except BaseException:
        server.stop()
        raise
    return Api(backend, db_url, server, keys)


@pytest.fixture(scope="session")
def _servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Api]]]:
    """Start the server of every backend the selected tests need, at once: starting one costs seconds, so
    the PostgreSQL server boots while the SQLite tests run. A backend that cannot start fails (or skips)
    only its own tests."""
    needed = {
        item.callspec.params["api"]
        for item in request.session.items
        if item.path.parent == HERE and hasattr(item, "callspec") and "api" in item.callspec.params
    }
    pool = ThreadPoolExecutor(max_workers=2)
    futures: dict[str, Future[Api]] = {}
    databases: list[tuple[str, Path]] = []
    for backend in sorted(needed):
        tmp = tmp_path_factory.mktemp(f"api-{backend}")
        if backend == "sqlite":
            db_url = f"sqlite:///{tmp / 'inloop.db'}"
        else:
            try:
                template = request.getfixturevalue("pg_template")
            except Exception as exc:  # PostgreSQL required (INLOOP_REQUIRE_POSTGRES=1) but not reachable
                futures[backend] = Future()
                futures[backend].set_exception(exc)
                continue
            if template is None:
                continue
            db_url = _create_pg_database(template)
        databases.append((db_url, tmp))
        futures[backend] = pool.submit(_launch, backend, db_url, tmp)
    pool.shutdown(wait=False)
    try:
        yield futures
    finally:
        for future in futures.values():
            if future.exception(timeout=180) is None:
                api = future.result()
                api.close()
                api.server.stop()
        for db_url, _ in databases:
            if db_url.startswith("postgresql"):
                _drop_pg_database(db_url)
        for db_url, tmp in databases:
            log = (tmp / "server.log").read_text(errors="replace") if (tmp / "server.log").exists() else ""
            # An unexpected exception in a handler or in the background work is a bug even when every
            # answer looked right (the problem handler turns it into a 500 and logs it).
            assert "Traceback" not in log, f"{db_url}:\n{log[-5000:]}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, _servers: dict[str, Future[Api]]) -> Api:
    """A server on a fresh database with the users of ``USERS`` and a key each."""
    backend: str = request.param
    if backend not in _servers:
        pytest.skip("PostgreSQL is not reachable (set INLOOP_REQUIRE_POSTGRES=1 to fail instead)")
    return _servers[backend].result(timeout=120)
