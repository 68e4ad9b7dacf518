"""The console under attack: XSS payloads in every part of an item, a CSRF attempt, roles, PII masking."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from e2e_kit import Console
from playwright.sync_api import expect

from inloop.services import accounts

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1;alert(1)" data-xss>',
    '"><svg onload="window.__xss=1" data-xss>',
    '\'><iframe src="javascript:alert(1)" data-xss></iframe>',
    "</textarea><script data-xss>alert(1)</script>",
    "</title></pre></mark><img src=x onerror=alert(1) data-xss>",
    '<a href="javascript:alert(1)" data-xss>click</a>',
    "<style data-xss>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1) data-xss>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)" data-xss>',
    '<base href="//evil.invalid/" data-xss>',
    '<details open ontoggle="alert(1)" data-xss>',
    '<div hx-get="/admin/users" hx-trigger="load" data-xss>htmx</div>',
    "{{7*7}} {% raw %} ${7*7} #{7*7}",
    "javascript:alert(1)",
    "\u202e<b data-xss>rtl</b>\u200b",
]
JOINED = " ".join(PAYLOADS)


def _no_injection(t: Any) -> None:
    t.page.wait_for_timeout(300)  # let any injected handler fire
    assert t.page.evaluate("document.querySelectorAll('[data-xss]').length") == 0
    assert t.page.evaluate("window.__xss === undefined")
    assert t.page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert t.page.evaluate("document.querySelectorAll('iframe, base, meta[http-equiv]').length") == 0
    assert not t.dialogs
    assert not t.csp_errors(), t.csp_errors()


def test_xss_payloads_are_inert(console: Console, tab: Any) -> None:
    task_type = 'xss<img src=x onerror="alert(1)" data-xss>'
    body = console.submit(
        task_type=task_type,
        input=[
            {"role": "system", "content": PAYLOADS[0]},
            {"role": "user", "content": JOINED + " mail me at victim@example.com"},
        ],
        output=PAYLOADS[1] + " write to attacker@example.com " + JOINED,
        context=PAYLOADS[2:6],
        attributes={"note": JOINED, PAYLOADS[1]: PAYLOADS[2], "nested": {"html": PAYLOADS[0]}},
        tags=PAYLOADS[:3],
        model=PAYLOADS[4],
    )
    assert body["route"] in ("queue", "escalate")
    reviewer = console.user("reviewer")
    t = tab()
    t.login(reviewer)
    t.go("/queues")
    expect(t.page.locator("table[data-testid=queues]")).to_contain_text(task_type)
    _no_injection(t)

    t.go(f"/review/next?queue={quote(task_type, safe='')}")
    expect(t.testid("output")).to_be_visible()
    assert t.item_id() == body["id"]
    # Rendered as text, exactly: the model's output reads back as it was sent.
    assert t.testid("output").inner_text() == body["item"]["output"]
    pii = t.testid("output").locator("[data-testid=flag][data-check=pii]")
    expect(pii).to_have_text("attacker@example.com")
    expect(t.testid("input")).to_contain_text("<script>window.__xss=1</script>")
    expect(t.testid("context")).to_contain_text('"><svg onload')
    _no_injection(t)
    t.shot("xss-review")

    # The editor holds the raw text too (a </textarea> in it must not close it).
    t.page.keyboard.press("e")
    assert t.testid("edited-output").input_value() == body["item"]["output"]
    t.testid("edited-output").fill(JOINED)
    t.testid("category").select_option("other")
    t.testid("reason").fill(JOINED)  # a reviewer's reason is untrusted too
    t.testid("submit").click()
    expect(t.testid("empty")).to_be_visible()
    _no_injection(t)

    admin = tab()
    admin.login("e2e-admin")
    for path in (f"/items/{body['id']}", "/items", "/audits", "/dashboard", "/queues"):
        admin.go(path)
        _no_injection(admin)
    admin.go(f"/items/{body['id']}")
    expect(admin.testid("final-output")).to_have_text(JOINED)
    expect(admin.testid("audit-trail")).to_contain_text("review.decided")


class _Attacker(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[tuple[type[_Attacker], str]]:
    """A page on another origin (another port of 127.0.0.1: the same site, so the cookie is sent)."""
    handler = type("Attacker", (_Attacker,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_csrf_attempt_is_refused(console: Console, tab: Any, attacker: tuple[type[_Attacker], str]) -> None:
    handler, origin = attacker
    victim = console.unique("mallory")
    handler.page = f"""<!doctype html><form id=f method=post action="{console.url}/admin/users">
        <input name=name value="{victim}"><input name=role value=admin>
        <input name=password value=attacker-password></form>
        <script>document.getElementById('f').submit()</script>""".encode()
    t = tab()
    t.login("e2e-admin")
    t.go("/admin/users")  # a live session
    with t.page.expect_response(f"{console.url}/admin/users") as info:
        t.page.goto(origin + "/")
    assert info.value.status == 403
    expect(t.testid("error")).to_contain_text("CSRF")
    with pytest.raises(Exception, match="not found"):
        accounts.by_name(console.ctx, victim)

    # Same origin, but no token (as a script injected into the page would try): refused too.
    t.go("/admin/users")
    status = t.page.evaluate(
        """async (name) => (await fetch('/admin/users', {method: 'POST',
             body: new URLSearchParams({name, role: 'admin', password: 'attacker-password'})})).status""",
        victim,
    )
    assert status == 403
    status = t.page.evaluate(
        """async (name) => (await fetch('/admin/users', {method: 'POST', headers: {'X-CSRF-Token': 'forged'},
             body: new URLSearchParams({name, role: 'admin', password: 'attacker-password'})})).status""",
        victim,
    )
    assert status == 403
    with pytest.raises(Exception, match="not found"):
        accounts.by_name(console.ctx, victim)

    # A login form posted from elsewhere (login CSRF) is refused as well.
    handler.page = f"""<!doctype html><form id=f method=post action="{console.url}/login">
        <input name=username value=e2e-admin><input name=password value=x></form>
        <script>document.getElementById('f').submit()</script>""".encode()
    with t.page.expect_response(f"{console.url}/login") as info:
        t.page.goto(origin + "/")
    assert info.value.status == 403


def test_roles_are_enforced(console: Console, tab: Any) -> None:
    reviewer, auditor, submitter = (
        console.user("reviewer"),
        console.user("auditor"),
        console.user("submitter"),
    )
    t = tab()
    t.login(reviewer)
    for path in ("/admin/users", "/admin/webhooks", "/adjudication", "/adjudication/next", "/dashboard"):
        assert t.go(path).status == 403, path
    expect(t.testid("error")).to_contain_text("may not")
    assert t.go("/queues").status == 200
    assert "Users & keys" not in t.page.locator("header nav").inner_text()
    # Even with a valid CSRF token, an admin action is refused for a reviewer.
    csrf = t.page.locator("meta[name=csrf-token]").get_attribute("content")
    r = t.page.request.post(
        f"{console.url}/admin/users", form={"csrf_token": csrf, "name": "x-by-reviewer", "role": "admin"}
    )
    assert r.status == 403

    a = tab()
    a.login(auditor)
    assert a.go("/review/next").status == 403  # read, not decide
    assert a.go("/audits/next").status == 403
    assert a.go("/audits").status == 200
    expect(a.testid("start")).to_have_count(0)
    assert a.go("/dashboard").status == 200
    assert a.go("/admin/users").status == 403

    s = tab()
    s.login(submitter)
    assert s.go("/queues").status == 403
    assert s.go("/items").status == 200


def test_pii_is_masked_without_view_pii(console: Console, tab: Any) -> None:
    body = console.submit(
        task_type="pii_mask",
        input="My card is 4111 1111 1111 1111, please refund.",
        output="Refund sent; we will e-mail receipts to jane.roe@example.com today.",
    )
    submitter = console.user("submitter")
    s = tab()
    s.login(submitter)
    s.go(f"/items/{body['id']}")
    expect(s.testid("pii-masked")).to_be_visible()
    expect(s.testid("output")).to_contain_text("[EMAIL]")
    assert "jane.roe@example.com" not in s.page.content()
    expect(s.testid("audit-trail")).to_have_count(0)  # and no audit trail for this role
    s.shot("item-masked")

    r = tab()
    r.login(console.user("reviewer"))
    r.go(f"/items/{body['id']}")
    expect(r.testid("output")).to_contain_text("jane.roe@example.com")
    expect(r.testid("masked")).to_have_count(0)
