"""The lease heartbeat: an open review page keeps its task though the lease is shorter than the visit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_kit import Console
from playwright.sync_api import expect

from testkit.server import Server


@pytest.fixture(scope="module")
def short_leases(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second server on the same database whose leases last 3 seconds (the page beats every second)."""
    env = {"INLOOP_SESSION_SECRET": console.secret.decode(), "INLOOP_LEASE_SECONDS": "3"}
    log = tmp_path_factory.mktemp("lease") / "server.log"
    server = Server(console.server.db_url, console.server.policy, log, env).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_heartbeat_keeps_the_lease_while_the_page_is_open(
    console: Console, tab: Any, short_leases: str
) -> None:
    body = console.submit(task_type="beat", output="Your parcel is on its way.")
    t = tab()
    t.page.context.add_cookies([{**console.session_cookie(console.user("reviewer")), "url": short_leases}])
    t.page.goto(f"{short_leases}/review/next?queue=beat")
    assert t.item_id() == body["id"]
    assert t.page.locator("#main").get_attribute("data-heartbeat-ms") == "1000"
    first = int(t.page.locator("#main").get_attribute("data-lease-expires"))
    t.page.wait_for_timeout(5000)  # longer than the lease: only the heartbeat keeps it
    expect(t.testid("lease")).not_to_have_text("expired")
    assert int(t.testid("lease").get_attribute("data-countdown")) > first
    assert console.queue("beat")["leased"] == 1
    t.page.keyboard.press("a")
    expect(t.testid("empty")).to_be_visible()
    assert console.item(body["id"])["decision"]["verdict"] == "approve"
