"""The console in a real browser: Debian's Chromium driven by Playwright against a real ``inloop serve``.

One server (SQLite) serves the whole session; each test makes its own users and items in its own task type (so
its own queue), and verifies what the browser did through the HTTP API. The browser tests are skipped when no
Chromium is installed, unless ``INLOOP_REQUIRE_BROWSER=1`` (CI sets it), which makes a missing browser fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_kit import CHEAP_HASHER, CHROMIUM, E2E_POLICY, PASSWORD, Console, Tab, browser_args

from inloop.services import accounts
from inloop.services.context import Context
from inloop.storage import open_database, users
from testkit.server import Server


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("INLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required (INLOOP_REQUIRE_BROWSER=1) but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    base = tmp_path_factory.mktemp("console")
    policy = base / "policy.yaml"
    policy.write_text(yaml.safe_dump(E2E_POLICY, sort_keys=False))
    db_url = f"sqlite:///{base / 'inloop.db'}"
    ctx = Context(db=open_database(db_url), gate=None)
    for name, role in (("e2e-admin", "admin"), ("e2e-pipeline", "submitter")):
        user = accounts.add_user(ctx, name, role, tier="specialist", actor="test")
        with ctx.db.write() as conn:
            users.update_user(conn, user.id, password_hash=CHEAP_HASHER.hash(PASSWORD))
    admin_key = accounts.create_key(ctx, "e2e-admin", actor="test")[1]
    submit_key = accounts.create_key(ctx, "e2e-pipeline", actor="test")[1]
    secret = "e2e-" + "s" * 40
    server = Server(db_url, policy, base / "server.log", {"INLOOP_SESSION_SECRET": secret}).start()
    try:
        yield Console(server, ctx, admin_key, submit_key, secret.encode())
    finally:
        server.stop()
        ctx.db.close()


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=browser_args())
    try:
        yield chromium
    finally:
        chromium.close()
        pw.stop()


@pytest.fixture
def tab(browser: Any, console: Console) -> Iterator[Any]:
    """A fresh browser context (its own cookies) per call: ``tab()`` opens another, e.g. for a second user."""
    contexts = []

    def open_tab() -> Tab:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        t = Tab(page, console)

        def on_dialog(dialog: Any) -> None:
            t.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda msg: t.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: t.errors.append(str(exc)))
        return t

    yield open_tab
    for context in contexts:
        context.close()
