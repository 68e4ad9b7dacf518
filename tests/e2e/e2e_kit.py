"""Helpers of the browser tests: the running console (server, users, items, checks through the API) and a
browser tab that records dialogs and console errors."""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from inloop.services import accounts
from inloop.services import console as console_service
from inloop.services.context import Context
from inloop.storage import users
from inloop.web.security import SESSION_COOKIE, Sessions
from testkit.server import Server

CHROMIUM = os.environ.get("INLOOP_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

E2E_POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {
        "low": {"threshold": 0.7, "confident": "auto", "unsure": "queue", "audit_rate": 0.0},
        "high": {"threshold": 0.9, "confident": "audit", "unsure": "escalate", "audit_rate": 1.0},
    },
    "default_task": {"risk": "low", "sla": "2h", "on_sla_breach": "release"},
    "tasks": {
        "pair_task": {"risk": "low", "reviewers": 2, "consensus": "unanimous"},
        "audit_task": {"risk": "high"},
    },
    "checks": [
        {"type": "pii", "fields": ["output", "input", "context"], "on_flag": "queue"},
        {"type": "keywords", "escalate": ["lawsuit"], "on_flag": "escalate"},
        {"type": "grounding", "min_support": 0.5, "on_flag": "queue"},
    ],
}


def browser_args() -> list[str]:
    return ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Console:
    """The running server, a service context on its database, and an admin API key to verify with."""

    server: Server
    ctx: Context
    admin_key: str
    submit_key: str
    secret: bytes
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return self.server.url

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self._n)}"

    def user(
        self,
        role: str = "reviewer",
        *,
        tier: str | None = "specialist",
        skills: tuple[str, ...] = (),
        prefix: str | None = None,
    ) -> str:
        name = self.unique(prefix or role)
        user = accounts.add_user(self.ctx, name, role, tier=tier, skills=skills, actor="test")
        with self.ctx.db.write() as conn:  # a cheap argon2 hash (the default costs a second under load)
            users.update_user(conn, user.id, password_hash=CHEAP_HASHER.hash(PASSWORD))
        return name

    def session_cookie(self, name: str) -> dict[str, Any]:
        """A signed session cookie for ``name``, as the login form would set (saves an argon2 check)."""
        user = accounts.by_name(self.ctx, name)
        found = console_service.session_user(self.ctx, user.id)
        assert found is not None
        value = Sessions(self.secret).issue(user.id, found[1])
        return {"name": SESSION_COOKIE, "value": value, "url": self.url, "httpOnly": True, "sameSite": "Lax"}

    def submit(self, **item: Any) -> dict[str, Any]:
        item.setdefault("id", self.unique("it-"))
        r = httpx.post(
            f"{self.url}/v1/items", json=item, headers={"Authorization": f"Bearer {self.submit_key}"}
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def item(self, item_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/v1/items/{item_id}", headers={"Authorization": f"Bearer {self.admin_key}"})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def queues(self) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/v1/queues", headers={"Authorization": f"Bearer {self.admin_key}"})
        body: dict[str, Any] = r.json()
        return body

    def queue(self, name: str) -> dict[str, Any]:
        return next((q for q in self.queues()["queues"] if q["queue"] == name), {"open": 0, "leased": 0})


@dataclass
class Tab:
    """A browser page with what it saw: dialogs (there must be none) and console errors (CSP violations)."""

    page: Any
    console: Console
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.console.url + path)

    def login(self, name: str, password: str | None = None) -> None:
        """Sign in as ``name``: through the login form with ``password``, else with a minted cookie."""
        if password is None:
            self.page.context.add_cookies([self.console.session_cookie(name)])
            return

        self.go("/login")
        self.page.fill("input[name=username]", name)
        self.page.fill("input[name=password]", password)
        self.page.click("[data-testid=login]")
        self.page.wait_for_selector("[data-testid=whoami]")

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)

    def task_id(self) -> str | None:
        value: str | None = self.page.locator("#main").get_attribute("data-task-id")
        return value

    def item_id(self) -> str | None:
        value: str | None = self.page.locator("#main").get_attribute("data-item-id")
        return value

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def csp_errors(self) -> list[str]:
        return [e for e in self.errors if re.search(r"Content Security Policy|Refused to", e)]
