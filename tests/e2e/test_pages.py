"""The lead's and the admin's pages: dashboard charts, users and keys, webhooks; a screenshot of each."""

from __future__ import annotations

from typing import Any

import httpx
from e2e_kit import Console
from playwright.sync_api import expect

from inloop.services import accounts


def _decide_by_api(console: Console, key: str, task_type: str, verdicts: list[str]) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    for verdict in verdicts:
        console.submit(task_type=task_type, output="An answer with no sources.")
        r = httpx.post(f"{console.url}/v1/reviews/claim", json={"queue": task_type}, headers=headers)
        (task,) = r.json()["tasks"]
        body: dict[str, Any] = {"lease_token": task["lease_token"], "verdict": verdict, "reason": "api"}
        if verdict != "approve":
            body["category"] = "hallucination"
        r = httpx.post(f"{console.url}/v1/reviews/{task['id']}/decision", json=body, headers=headers)
        assert r.status_code == 200, r.text


def test_dashboard_draws_charts(console: Console, tab: Any) -> None:
    name = console.user("reviewer")
    key = accounts.create_key(console.ctx, name, actor="test")[1]
    _decide_by_api(console, key, "dash", ["approve", "reject", "approve"])
    console.submit(task_type="dash", output="Left in the queue.")
    lead = console.user("lead")
    t = tab()
    t.login(lead)
    t.go("/dashboard")
    expect(t.testid("escalation-rate")).to_contain_text("%")
    expect(t.testid("auto-resolve-rate")).to_contain_text("%")
    expect(t.testid("latency-p95")).not_to_contain_text("—")
    for chart in ("chart-routes", "chart-depth", "chart-latency", "chart-reviewers", "chart-sla"):
        expect(t.testid(chart).locator("svg[role=img]")).to_be_visible()
    assert t.testid("chart-routes").locator("rect").count() > 0
    expect(t.testid("chart-depth").locator("polyline")).to_have_count(1)
    expect(t.testid("reviewer-table")).to_contain_text(name)
    t.shot("dashboard")
    t.go("/dashboard?window=7d")
    expect(t.page.locator("a[aria-current=true]")).to_have_text("7d")
    t.go("/queues")
    expect(t.testid("queues")).to_contain_text("dash")
    t.shot("queues")
    t.go("/items")
    t.shot("items")
    t.go("/adjudication")
    t.shot("adjudication-list")
    t.go("/audits")
    t.shot("audits-list")
    assert not t.csp_errors()


def test_admin_users_keys_and_webhooks(console: Console, tab: Any) -> None:
    t = tab()
    t.login("e2e-admin")
    t.go("/admin/users")
    name = console.unique("newbie")
    form = t.testid("add-user")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=role]").select_option("reviewer")
    form.locator("select[name=tier]").select_option("senior")
    form.locator("input[name=skills]").fill("finance, legal")
    form.locator("input[name=password]").fill("a-long-password")
    form.locator("button[type=submit]").click()
    expect(t.testid("notice")).to_contain_text(f"added {name}")
    user = accounts.by_name(console.ctx, name)
    assert (user.role.value, user.tier, sorted(user.skills)) == ("reviewer", "senior", ["finance", "legal"])

    row = t.page.locator(f"tr[data-user='{name}']")
    row.locator("select[name=role]").select_option("auditor")
    row.locator("form[action$='/" + name + "'] button[type=submit]").click()
    expect(t.testid("notice")).to_contain_text(f"updated {name}")
    assert accounts.by_name(console.ctx, name).role.value == "auditor"

    t.testid(f"create-key-{name}").click()
    key = t.testid("new-key").inner_text().strip()
    t.shot("admin-users")
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{console.url}/v1/queues", headers=headers).status_code == 200
    t.go("/admin/users")
    expect(t.testid("new-key")).to_have_count(0)  # shown once
    assert key not in t.page.content()
    t.page.locator(f"tr[data-user='{name}'] [data-testid^=revoke-]").click()
    expect(t.testid("notice")).to_contain_text("revoked")
    assert httpx.get(f"{console.url}/v1/queues", headers=headers).status_code == 401

    t.go("/admin/webhooks")
    hooks = t.testid("add-webhook")
    hooks.locator("input[name=url]").fill("https://hooks.example.com/inloop")
    hooks.locator("input[value='sla.breached']").uncheck()
    hooks.locator("button[type=submit]").click()
    expect(t.testid("new-secret")).to_contain_text("whsec_")
    expect(t.testid("webhooks")).to_contain_text("https://hooks.example.com/inloop")
    t.shot("admin-webhooks")
    r = httpx.get(f"{console.url}/v1/webhooks", headers={"Authorization": f"Bearer {console.admin_key}"})
    (hook,) = [h for h in r.json()["webhooks"] if h["url"] == "https://hooks.example.com/inloop"]
    assert "sla.breached" not in hook["events"]
    t.testid("webhooks").locator("button", has_text="delete").first.click()
    expect(t.testid("notice")).to_contain_text("deleted")
    assert not t.csp_errors()
