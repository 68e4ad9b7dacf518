"""Reviewing in the browser: login, keyboard decisions, edit with diff, reject, skip, adjudication, audits."""

from __future__ import annotations

import re
from typing import Any

import httpx
from e2e_kit import PASSWORD, Console
from playwright.sync_api import expect


def _items(console: Console, task_type: str, n: int, **extra: Any) -> list[str]:
    ids = []
    for i in range(n):
        body = console.submit(
            task_type=task_type,
            input=f"Customer {i} asks where their order is.",
            output=f"Hello! Your order {i} ships today; write to jane.doe{i}@example.com with questions.",
            context=["Orders placed before noon ship the same day."],
            **extra,
        )
        assert body["route"] in ("queue", "escalate"), body
        ids.append(body["id"])
    return ids


def test_login_and_logout(console: Console, tab: Any) -> None:
    name = console.user("reviewer")
    t = tab()
    response = t.go("/queues")
    assert t.page.url.startswith(console.url + "/login?next=")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    t.shot("login")

    t.page.fill("input[name=username]", name)
    t.page.fill("input[name=password]", "wrong password")
    t.page.click("[data-testid=login]")
    expect(t.testid("error")).to_contain_text("Wrong user name or password")

    t.page.fill("input[name=username]", name)
    t.page.fill("input[name=password]", PASSWORD)
    t.page.click("[data-testid=login]")
    expect(t.testid("whoami")).to_have_text(name)
    assert t.page.url == console.url + "/queues"  # back where the login started
    cookie = next(c for c in t.page.context.cookies() if c["name"] == "inloop_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    t.testid("logout").click()
    expect(t.page.locator("input[name=username]")).to_be_visible()
    assert not [c for c in t.page.context.cookies() if c["name"] == "inloop_session"]
    t.go("/queues")
    assert "/login" in t.page.url
    assert not t.dialogs
    assert not t.csp_errors()


def test_lockout_after_repeated_failures(console: Console, tab: Any) -> None:
    name = console.user("reviewer")
    t = tab()
    for _ in range(5):
        t.go("/login")
        t.page.fill("input[name=username]", name)
        t.page.fill("input[name=password]", "not the password")
        t.page.click("[data-testid=login]")
    t.page.fill("input[name=username]", name)
    t.page.fill("input[name=password]", PASSWORD)  # right, but too late
    t.page.click("[data-testid=login]")
    expect(t.testid("error")).to_contain_text("Too many failed attempts")
    assert "/login" in t.page.url


def test_claim_and_approve_by_keyboard(console: Console, tab: Any) -> None:
    ids = _items(console, "kb_approve", 3)
    name = console.user("reviewer")
    t = tab()
    t.login(name)
    t.go("/queues")
    t.testid("start-kb_approve").click()
    expect(t.testid("output")).to_be_visible()
    first = t.item_id()
    assert first == ids[0]
    # Output beside input and context; the PII span highlighted and tied to its check.
    expect(t.testid("input")).to_contain_text("Customer 0 asks")
    expect(t.testid("context")).to_contain_text("Orders placed before noon")
    spans = [(c["name"], s) for c in console.item(ids[0])["checks"] for s in c["spans"]]
    expect(t.testid("flag")).to_have_count(len(spans))  # one highlight per span (none overlap here)
    pii = t.page.locator("[data-testid=flag][data-check=pii]")
    expect(pii).to_have_text("jane.doe0@example.com")
    expect(t.page.locator("li.check[data-check=pii]")).to_contain_text("flagged")
    expect(t.testid("lease")).to_have_text(re.compile(r"^\d+:\d\d$"))
    t.shot("review")

    t.page.keyboard.press("?")
    expect(t.testid("help")).to_be_visible()
    t.page.keyboard.press("Escape")
    expect(t.testid("help")).to_be_hidden()

    t.page.keyboard.press("a")
    expect(t.page.locator("#main")).to_have_attribute("data-item-id", ids[1])
    expect(t.testid("notice")).to_contain_text(f"Approved: {ids[0]}")
    decided = console.item(ids[0])
    assert decided["status"] == "decided"
    assert decided["decision"]["verdict"] == "approve"
    assert decided["decision"]["by"] == f"user:{name}"

    t.page.keyboard.press("a")
    expect(t.page.locator("#main")).to_have_attribute("data-item-id", ids[2])
    t.testid("approve").click()  # by mouse too
    expect(t.testid("empty")).to_be_visible()
    assert all(console.item(i)["decision"]["verdict"] == "approve" for i in ids)
    assert not t.csp_errors()


def test_edit_with_diff(console: Console, tab: Any) -> None:
    (item_id,) = _items(console, "kb_edit", 1)
    name = console.user("reviewer")
    t = tab()
    t.login(name)
    t.go("/review/next?queue=kb_edit")
    t.page.keyboard.press("e")
    editor = t.testid("edited-output")
    expect(editor).to_be_focused()
    original = console.item(item_id)["item"]["output"]
    expect(editor).to_have_value(original)
    edited = "Hello! Your order 0 ships tomorrow; reply here with questions."
    editor.fill(edited)
    diff = t.testid("diff")
    expect(diff.locator("ins")).to_contain_text(["tomorrow"])
    expect(diff.locator("del").first).to_contain_text("today")
    t.testid("category").select_option("pii_leak")
    t.testid("reason").fill("Removed the e-mail address; fixed the ship date.")
    t.shot("review-edit")
    t.testid("submit").click()
    expect(t.testid("empty")).to_be_visible()
    decision = console.item(item_id)["decision"]
    assert decision["verdict"] == "edit"
    assert decision["output"] == edited
    assert decision["category"] == "pii_leak"
    assert decision["reason"] == "Removed the e-mail address; fixed the ship date."


def test_reject_requires_a_category(console: Console, tab: Any) -> None:
    (item_id,) = _items(console, "kb_reject", 1)
    name = console.user("reviewer")
    t = tab()
    t.login(name)
    t.go("/review/next?queue=kb_reject")
    t.page.keyboard.press("r")
    expect(t.testid("category")).to_be_focused()
    t.testid("reason").fill("Leaks a customer's address.")
    t.testid("submit").click()
    expect(t.testid("client-error")).to_contain_text("Choose a category")
    assert console.item(item_id)["status"] == "pending"

    # The server refuses it too, whatever the page does.
    token = t.page.locator("input[name=lease_token]").input_value()
    csrf = t.page.locator("meta[name=csrf-token]").get_attribute("content")
    response = t.page.request.post(
        f"{console.url}/review/{t.task_id()}/decide",
        form={"csrf_token": csrf, "lease_token": token, "verdict": "reject", "reason": "x"},
    )
    assert response.status == 422
    assert "needs a category" in response.text()
    assert console.item(item_id)["status"] == "pending"

    t.testid("category").select_option("pii_leak")
    t.testid("submit").click()
    expect(t.testid("empty")).to_be_visible()
    decision = console.item(item_id)["decision"]
    assert decision["verdict"] == "reject"
    assert decision["category"] == "pii_leak"
    assert decision["reason"] == "Leaks a customer's address."


def test_skip_releases_the_lease(console: Console, tab: Any) -> None:
    ids = _items(console, "kb_skip", 2)
    name = console.user("reviewer")
    t = tab()
    t.login(name)
    t.go("/review/next?queue=kb_skip")
    assert t.item_id() == ids[0]
    assert console.queue("kb_skip")["leased"] == 1
    t.page.keyboard.press("s")
    expect(t.page.locator("#main")).to_have_attribute("data-item-id", ids[1])
    expect(t.testid("notice")).to_contain_text(f"Skipped {ids[0]}")
    q = console.queue("kb_skip")
    assert (q["open"], q["leased"]) == (1, 1)  # the skipped one is back in the queue, the next one is held
    t.page.keyboard.press("a")  # decide the second; the skipped one comes round again
    expect(t.page.locator("#main")).to_have_attribute("data-item-id", ids[0])
    t.page.keyboard.press("s")  # skip it again: nothing else to take, and nothing stays leased
    expect(t.testid("empty")).to_be_visible()
    q = console.queue("kb_skip")
    assert (q["open"], q["leased"]) == (1, 0)
    assert console.item(ids[0])["status"] == "pending"


def test_adjudication_with_two_reviewers(console: Console, tab: Any) -> None:
    (item_id,) = _items(console, "pair_task", 1)
    first, second = console.user("reviewer"), console.user("reviewer")
    lead = console.user("lead")
    a, b = tab(), tab()
    a.login(first)
    b.login(second)
    a.go("/review/next?queue=pair_task")
    b.go("/review/next?queue=pair_task")
    assert a.item_id() == b.item_id() == item_id  # two independent tasks of one item
    a.page.keyboard.press("a")
    expect(a.testid("empty")).to_be_visible()
    b.page.keyboard.press("e")
    b.testid("edited-output").fill("Hello! Your order ships today.")
    b.testid("category").select_option("pii_leak")
    b.testid("reason").fill("No e-mail addresses in replies.")
    b.testid("submit").click()
    expect(b.testid("empty")).to_be_visible()
    assert console.item(item_id)["status"] == "pending"  # they disagree: a lead must decide

    # A reviewer may not adjudicate.
    assert a.go("/adjudication").status == 403

    t = tab()
    t.login(lead)
    t.go("/adjudication")
    expect(t.testid("tasks")).to_contain_text(item_id)
    t.testid("start").click()
    expect(t.page.locator("#main")).to_have_attribute("data-kind", "adjudication")
    assert t.item_id() == item_id
    cards = t.testid("review-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text(first)
    expect(cards.nth(1)).to_contain_text(second)
    expect(cards.nth(1)).to_contain_text("No e-mail addresses in replies.")
    removed = "".join(cards.nth(1).get_by_test_id("review-diff").locator("del").all_inner_texts())
    assert "doe0@example.com" in removed
    t.shot("adjudication")
    t.page.keyboard.press("r")
    t.testid("category").select_option("pii_leak")
    t.testid("reason").fill("Agree with the second reviewer: the address must not go out.")
    t.testid("submit").click()
    expect(t.testid("empty")).to_be_visible()
    decision = console.item(item_id)["decision"]
    assert decision["verdict"] == "reject"
    assert decision["by"] == f"user:{lead}"

    t.go(f"/items/{item_id}")
    trail = t.testid("audit-trail")
    for event in ("item.created", "review.decided", "review.disagreement", "review.adjudicated"):
        expect(trail.locator(f"tr[data-event='{event}']").first).to_be_visible()
    expect(t.testid("reviews").get_by_test_id("review-card")).to_have_count(3)
    t.shot("item")


def test_audit_sample_escaped_error(console: Console, tab: Any) -> None:
    body = console.submit(task_type="audit_task", output="Refund of 20 EUR approved.", confidence=0.97)
    assert body["route"] == "audit"
    assert body["audit_sampled"] is True
    reviewer = console.user("reviewer")
    t = tab()
    t.login(reviewer)
    t.go("/audits")
    expect(t.testid("tasks")).to_contain_text(body["id"])
    t.testid("start").click()
    expect(t.page.locator("#main")).to_have_attribute("data-kind", "audit")
    expect(t.testid("reject")).to_contain_text("Escaped error")
    t.shot("audit")
    t.page.keyboard.press("r")
    t.testid("category").select_option("wrong_action")
    t.testid("submit").click()
    expect(t.testid("empty")).to_be_visible()
    item = console.item(body["id"])
    assert item["escaped_error"] is True
    assert item["decision"]["revised"]["verdict"] == "reject"


def test_heartbeat_endpoint_extends_the_lease(console: Console, tab: Any) -> None:
    _items(console, "kb_beat", 1)
    t = tab()
    t.login(console.user("reviewer"))
    t.go("/review/next?queue=kb_beat")
    before = int(t.page.locator("#main").get_attribute("data-lease-expires"))
    t.page.wait_for_timeout(50)
    token = t.page.locator("input[name=lease_token]").input_value()
    csrf = t.page.locator("meta[name=csrf-token]").get_attribute("content")
    r = t.page.request.post(
        f"{console.url}/review/{t.task_id()}/heartbeat",
        form={"lease_token": token},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status == 200
    assert r.json()["lease_expires_ms"] > before
    # Without the CSRF header the heartbeat is refused.
    r = t.page.request.post(f"{console.url}/review/{t.task_id()}/heartbeat", form={"lease_token": token})
    assert r.status == 403
    assert httpx.get(f"{console.url}/healthz").status_code == 200
