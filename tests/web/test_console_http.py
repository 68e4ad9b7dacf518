"""The console over HTTP, in-process: login, CSRF, headers, roles, decisions and errors (no browser)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher

from inloop.api import create_app
from inloop.services import accounts, intake
from inloop.services.context import Context
from inloop.settings import Settings
from inloop.storage import open_database, users

with warnings.catch_warnings():  # Starlette would rather have httpx2, which is not installed
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "a-good-long-password"
POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {"low": {"threshold": 0.7, "confident": "auto", "unsure": "queue"}},
    "default_task": {"risk": "low"},
    "checks": [{"type": "pii", "fields": ["output"], "on_flag": "queue"}],
}


@dataclass
class App:
    client: TestClient
    ctx: Context

    def login(self, name: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        return self.client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": token.group(1), "next": "/queues"},
            follow_redirects=False,
        )

    def csrf(self, path: str = "/queues") -> str:
        match = re.search(r'name="csrf-token" content="([^"]+)"', self.client.get(path).text)
        assert match is not None
        return match.group(1)

    def submit(self, output: str = "Write to jane@example.com.", task_type: str = "t") -> str:
        body, _ = intake.submit(self.ctx, {"task_type": task_type, "output": output}, actor="test")
        item_id: str = body["id"]
        return item_id


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("INLOOP_SESSION_SECRET", "unit-test-secret-" + "x" * 20)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    db = f"sqlite:///{tmp_path / 'inloop.db'}"
    from inloop import Gate

    ctx = Context(db=open_database(db), gate=Gate.from_dict(POLICY))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2, fast: tests log in a lot
    for name, role in (("rita", "reviewer"), ("lena", "lead"), ("adam", "admin"), ("aude", "auditor")):
        user = accounts.add_user(ctx, name, role, tier="specialist")
        with ctx.db.write() as conn:
            users.update_user(conn, user.id, password_hash=cheap.hash(PASSWORD))
    with TestClient(create_app(Settings(db=db, policy=str(policy), background=False))) as client:
        yield App(client, ctx)
    ctx.db.close()


def test_pages_need_a_session(app: App) -> None:
    for path in ("/", "/queues", "/review/next", "/items", "/dashboard", "/admin/users"):
        r = app.client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login")
    r = app.client.get("/review/next", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.headers["HX-Redirect"].startswith("/login")


def test_login_sets_a_hardened_cookie_and_logout_ends_it(app: App) -> None:
    r = app.login("rita")
    assert r.status_code == 303
    assert r.headers["location"] == "/queues"
    cookie = r.headers["set-cookie"]
    assert "inloop_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; on https it is Secure
    stolen = app.client.cookies.get("inloop_session")
    assert app.client.get("/queues").status_code == 200
    r = app.client.post("/logout", data={"csrf_token": app.csrf()}, follow_redirects=False)
    assert r.status_code == 303
    app.client.cookies.set("inloop_session", stolen)  # the old cookie, replayed, no longer works
    assert app.client.get("/queues", follow_redirects=False).status_code == 303


def test_login_needs_its_form_token_and_the_right_password(app: App) -> None:
    r = app.client.post("/login", data={"username": "rita", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert app.login("rita", "wrong-password").status_code == 401
    assert app.login("nobody", "wrong-password").status_code == 401
    r = app.login("rita")
    assert r.status_code == 303


def test_next_is_only_ever_a_local_path(app: App) -> None:
    page = app.client.get("/login?next=//evil.example/x")
    assert 'name="next" value="/"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = app.client.post(
        "/login",
        data={
            "username": "rita",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "https://evil.example",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_every_post_needs_the_csrf_token(app: App) -> None:
    app.login("adam")
    token = app.csrf()
    for path, data in (
        ("/admin/users", {"name": "eve", "role": "admin", "password": "x" * 12}),
        ("/logout", {}),
        ("/admin/webhooks", {"url": "https://x.example", "events": "item.decided"}),
    ):
        assert app.client.post(path, data=data, follow_redirects=False).status_code == 403, path
        assert app.client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    # The right token, but from another origin: refused.
    r = app.client.post(
        "/admin/users",
        data={"name": "eve", "role": "admin", "csrf_token": token},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    with pytest.raises(Exception, match="not found"):
        accounts.by_name(app.ctx, "eve")
    r = app.client.post(
        "/admin/users", data={"name": "eve", "role": "reviewer", "password": "x" * 12, "csrf_token": token}
    )
    assert r.status_code == 200
    assert accounts.by_name(app.ctx, "eve").role.value == "reviewer"


def test_security_headers(app: App) -> None:
    app.login("rita")
    r = app.client.get("/queues")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text  # every script is a file
    assert not re.search(r"\son[a-z]+=", r.text)  # no inline handlers
    asset = re.search(r'src="(/static/htmx\.min\.js\?v=[0-9a-f]+)"', r.text)
    assert asset is not None
    static = app.client.get(asset.group(1))
    assert static.status_code == 200
    assert "immutable" in static.headers["cache-control"]
    assert static.text.startswith("/*! htmx")
    assert app.client.get("/v1/queues").headers["x-content-type-options"] == "nosniff"


def test_review_decide_and_the_next_task_in_one_request(app: App) -> None:
    first, second = app.submit(), app.submit()
    app.login("rita")
    page = app.client.get("/review/next?queue=t")
    assert f'data-item-id="{first}"' in page.text
    assert "claim;dur=" in page.headers["server-timing"]
    task = re.search(r'data-task-id="([^"]+)"', page.text)
    lease = re.search(r'name="lease_token" value="([^"]+)"', page.text)
    assert task is not None
    assert lease is not None
    # Reload: the same task again (the lease is resumed, not a second claim).
    assert f'data-task-id="{task.group(1)}"' in app.client.get("/review/next?queue=t").text
    token = app.csrf()
    form = {"csrf_token": token, "lease_token": lease.group(1), "queue": "t", "kind": "review"}
    r = app.client.post(f"/review/{task.group(1)}/decide", data={**form, "verdict": "reject"})
    assert r.status_code == 422
    assert "needs a category" in r.text
    r = app.client.post(
        f"/review/{task.group(1)}/decide",
        data={**form, "verdict": "approve"},
        headers={"HX-Request": "true", "HX-Target": "main"},
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<main id="main"')  # a fragment for htmx to swap in
    assert f'data-item-id="{second}"' in r.text
    assert intake.get_item(app.ctx, first)["decision"]["verdict"] == "approve"
    # The same decision again: the lease is gone; nothing changes, the next task is shown with a notice.
    r = app.client.post(
        f"/review/{task.group(1)}/decide", data={**form, "verdict": "reject", "category": "other"}
    )
    assert r.status_code == 200
    assert "already decided" in r.text
    assert intake.get_item(app.ctx, first)["decision"]["verdict"] == "approve"


def test_roles_on_pages_and_actions(app: App) -> None:
    app.login("aude")
    assert app.client.get("/review/next").status_code == 403
    assert app.client.get("/admin/users").status_code == 403
    assert app.client.get("/dashboard").status_code == 200
    app.client.cookies.clear()
    app.login("rita")
    for path in ("/admin/users", "/admin/webhooks", "/adjudication", "/dashboard"):
        r = app.client.get(path)
        assert r.status_code == 403, path
        assert "text/html" in r.headers["content-type"]
    token = app.csrf()
    r = app.client.post("/admin/users/rita/keys", data={"csrf_token": token})
    assert r.status_code == 403
    app.client.cookies.clear()
    app.login("lena")
    assert app.client.get("/adjudication").status_code == 200
    assert app.client.get("/admin/users").status_code == 403


def test_a_changed_password_or_a_disabled_user_ends_the_session(app: App) -> None:
    app.login("rita")
    assert app.client.get("/queues").status_code == 200
    admin = accounts.by_name(app.ctx, "adam")
    from inloop.services import console

    console.set_password(app.ctx, admin, "rita", "another-long-password")
    assert app.client.get("/queues", follow_redirects=False).status_code == 303
    app.login("rita", "another-long-password")
    assert app.client.get("/queues").status_code == 200
    console.update_user(app.ctx, admin, "rita", role="reviewer", tier=None, skills=(), disabled=True)
    assert app.client.get("/queues", follow_redirects=False).status_code == 303


def test_item_page_and_missing_item(app: App) -> None:
    item_id = app.submit(output="<img src=x onerror=alert(1)> jane@example.com")
    app.login("aude")
    r = app.client.get(f"/items/{item_id}")
    assert r.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text
    assert "<img src=x" not in r.text
    assert 'data-event="item.created"' in r.text
    r = app.client.get("/items/nope")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
