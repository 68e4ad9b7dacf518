"""The Python clients against the real server: typed results, typed errors, waiting, and a submit retried
after a lost response that creates no second item."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from inloop import AsyncClient, Client, Item
from inloop.client import (
    ApiError,
    AuthError,
    ConflictError,
    Decision,
    ItemResource,
    NotFoundError,
    RequestError,
    ReviewTask,
)
from testkit.server import free_port

if TYPE_CHECKING:
    from conftest import Api

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def _client(api: Api, user: str) -> Client:
    return Client(api.url, api.keys[user])


class LosingTransport(httpx.BaseTransport):
    """Forwards every request, but for the first ``lose`` submits throws the answer away and raises
    ``ConnectError``, as when the server stored the item and the connection broke on the way back."""

    def __init__(self, lose: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.submits = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/v1/items":
            self.submits += 1
            if self.lose > 0:
                self.lose -= 1
                response.read()
                response.close()
                raise httpx.ConnectError("connection lost after the request was sent", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncLosingTransport(httpx.AsyncBaseTransport):
    def __init__(self, lose: int = 1) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = lose
        self.submits = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/v1/items":
            self.submits += 1
            if self.lose > 0:
                self.lose -= 1
                await response.aread()
                await response.aclose()
                raise httpx.ConnectError("connection lost after the request was sent", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_submit_and_get_are_typed(api: Api) -> None:
    with _client(api, "submitter") as client:
        item = client.submit(
            {"task_type": "support_reply", "output": "On its way.", "confidence": 0.9, "tags": ["client"]}
        )
        assert isinstance(item, ItemResource)
        assert URL_SAFE.match(item.id)
        assert (item.status, item.route, item.risk) == ("decided", "auto", "low")
        assert isinstance(item.decision, Decision)
        assert (item.decision.verdict, item.decision.output, item.decision.by) == (
            "approve",
            "On its way.",
            "policy",
        )
        assert item.item["tags"] == ["client"]
        again = client.get(item.id)
        assert again == item
        # an item given as a pydantic model
        modelled = client.submit(Item(task_type="support_reply", output="Model.", confidence=0.2))
        assert (modelled.route, modelled.decision) == ("queue", None)


def test_the_same_idempotency_key_gives_the_same_item(api: Api) -> None:
    key = api.unique("client")
    with _client(api, "submitter") as client:
        first = client.submit({"task_type": "support_reply", "output": "Once."}, idempotency_key=key)
        second = client.submit({"task_type": "support_reply", "output": "Once."}, idempotency_key=key)
        assert first.id == second.id
        with pytest.raises(ConflictError) as caught:
            client.submit({"task_type": "support_reply", "output": "Twice."}, idempotency_key=key)
        assert caught.value.status == 409
        assert caught.value.code == "idempotency_conflict"


def test_a_lost_response_is_retried_without_a_duplicate(api: Api) -> None:
    task_type = api.unique("lost")
    transport = LosingTransport(lose=2)
    with Client(api.url, api.keys["submitter"], transport=transport, retries=3) as client:
        item = client.submit({"task_type": task_type, "output": "Exactly once.", "confidence": 0.1})
    assert transport.submits == 3  # two answers lost, the third came back
    assert item.task_type == task_type
    assert api.count("items", task_type=task_type) == 1
    assert api.count("tasks", item_id=item.id) == 1


def test_without_retries_the_connection_error_surfaces(api: Api) -> None:
    task_type = api.unique("lost")
    transport = LosingTransport(lose=1)
    with (
        Client(api.url, api.keys["submitter"], transport=transport, retries=0) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.submit({"task_type": task_type, "output": "Stored, answer lost."})
    # the server stored it; the caller can submit again with the same key to learn the id
    assert api.count("items", task_type=task_type) == 1


def test_an_unreachable_server_raises_after_the_retries() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", "ilk_x", retries=1) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ConnectError):
            client.get("itm_x")
        assert time.monotonic() - started >= 0.2  # one retry after the 0.2 s pause


def test_review_cycle(api: Api) -> None:
    queue = api.unique()
    with _client(api, "submitter") as submitter, _client(api, "bob") as bob, _client(api, "carol") as carol:
        item = submitter.submit({"task_type": queue, "output": "Draft.", "confidence": 0.1})
        [task] = bob.claim(queue=queue, lease_seconds=30)
        assert isinstance(task, ReviewTask)
        assert (task.kind, task.item.id) == ("review", item.id)
        assert URL_SAFE.match(task.lease_token)
        beat = bob.heartbeat(task, lease_seconds=120)
        assert beat["lease_expires_at"] > task.lease_expires_at
        bob.release(task)
        # the released lease is stale now
        with pytest.raises(ConflictError) as caught:
            bob.decide(task, "approve")
        assert caught.value.code == "lease_conflict"
        assert submitter.get(item.id).status == "pending"

        [again] = carol.claim(queue=queue)
        assert again.id == task.id
        with pytest.raises(ConflictError):
            bob.decide(again, "approve")  # carol's lease, bob's hand
        with pytest.raises(RequestError) as invalid:
            carol.decide(again, "reject")
        assert invalid.value.status == 422
        assert [e["field"] for e in invalid.value.problem["errors"]] == ["category"]
        decided = carol.decide(
            again.id, "edit", lease_token=again.lease_token, output="Final.", category="tone"
        )
        assert decided.status == "decided"
        assert decided.decision is not None
        assert (decided.decision.verdict, decided.decision.output) == ("edit", "Final.")
        with pytest.raises(ConflictError):
            carol.decide(again, "approve")
        with pytest.raises(ValueError, match="lease_token"):
            carol.decide(again.id, "approve")


def test_wait(api: Api) -> None:
    queue = api.unique()
    with _client(api, "submitter") as client, _client(api, "bob") as bob:
        auto = client.submit({"task_type": "support_reply", "output": "Now.", "confidence": 0.99})
        started = time.monotonic()
        assert client.wait(auto.id, timeout=10).status == "decided"
        assert time.monotonic() - started < 5  # no waiting on a decided item (generous: shared CI machines)

        pending = client.submit({"task_type": queue, "output": "Later.", "confidence": 0.1})
        started = time.monotonic()
        still = client.wait(pending.id, timeout=1)
        assert 0.9 <= time.monotonic() - started < 8
        assert (still.status, still.decision) == ("pending", None)

        [task] = bob.claim(queue=queue)
        timer = threading.Timer(0.7, lambda: bob.decide(task, "approve"))
        timer.start()
        try:
            started = time.monotonic()
            final = client.wait(pending.id, timeout=20)
            assert time.monotonic() - started < 10  # well before the 20 s timeout
        finally:
            timer.join()
        assert final.status == "decided"
        assert final.decision is not None
        assert final.decision.by == "user:bob"


def test_typed_errors(api: Api) -> None:
    with Client(api.url, "ilk_not_a_key") as stranger:
        with pytest.raises(AuthError) as caught:
            stranger.get("itm_x")
        assert caught.value.status == 401
        assert caught.value.code == "unauthorized"
    with _client(api, "bob") as bob:
        with pytest.raises(AuthError) as forbidden:
            bob.submit({"task_type": "x", "output": "y"})
        assert forbidden.value.status == 403
        with pytest.raises(NotFoundError):
            bob.get("itm_nope")
    with _client(api, "submitter") as client:
        with pytest.raises(RequestError) as bad:
            client.submit({"task_type": "x", "confidence": 1.5})
        assert bad.value.status == 422
        assert {e["field"] for e in bad.value.problem["errors"]} == {"output", "confidence"}
        assert isinstance(bad.value, ApiError)


def test_queues_audit_and_webhooks(api: Api) -> None:
    with _client(api, "lead") as lead:
        queues = lead.queues()
        assert {"queues", "reviewers"} <= queues.keys()
    with _client(api, "auditor") as auditor:
        verified = auditor.audit_verify()
        assert verified["ok"] is True
        assert verified["events"] > 0
        assert verified["first_bad"] is None
        assert "heads" in verified["checkpoint"]
    with _client(api, "admin") as admin:
        hook = admin.create_webhook("http://127.0.0.1:9/never", ["sla.breached"])
        assert hook["events"] == ["sla.breached"]
        assert hook["secret"].startswith("whsec_")
        assert api.http("admin").delete(f"/v1/webhooks/{hook['id']}").status_code == 204


def test_async_client(api: Api) -> None:
    queue = api.unique("async")

    async def run() -> None:
        transport = AsyncLosingTransport(lose=1)
        async with AsyncClient(api.url, api.keys["submitter"], transport=transport) as client:
            item = await client.submit({"task_type": queue, "output": "Async.", "confidence": 0.1})
            assert transport.submits == 2
            assert isinstance(item, ItemResource)
            assert (await client.get(item.id)).id == item.id
            started = time.monotonic()
            pending = await client.wait(item.id, timeout=1)
            assert pending.status == "pending"
            assert time.monotonic() - started >= 0.9
            with pytest.raises(NotFoundError):
                await client.get("itm_nope")
            with pytest.raises(RequestError):
                await client.submit({"task_type": queue})

            with _client(api, "bob") as bob:
                [task] = bob.claim(queue=queue)
                decider = threading.Timer(0.5, bob.decide, args=(task, "approve"))
                decider.start()
                try:
                    final = await client.wait(item.id, timeout=20)
                finally:
                    decider.join()
                assert final.status == "decided"

    asyncio.run(run())
    assert api.count("items", task_type=queue) == 1


def test_async_client_covers_the_review_and_admin_api(api: Api) -> None:
    """The async client has every method of the sync one (one plan per endpoint drives both)."""
    queue = api.unique("async_review")
    name = api.unique("async_user")

    async def run() -> None:
        async with (
            AsyncClient(api.url, api.keys["submitter"]) as submitter,
            AsyncClient(api.url, api.keys["bob"]) as bob,
            AsyncClient(api.url, api.keys["lead"]) as lead,
            AsyncClient(api.url, api.keys["admin"]) as admin,
        ):
            item = await submitter.submit({"task_type": queue, "output": "Draft.", "confidence": 0.1})
            assigned = await lead.assign(item.id, "bob")
            assert assigned["assigned_to"] == "bob"
            [task] = await bob.claim(queue=queue, lease_seconds=30)
            assert (task.kind, task.item.id) == ("review", item.id)
            beat = await bob.heartbeat(task, lease_seconds=90)
            assert beat["lease_expires_at"] > task.lease_expires_at
            await bob.release(task)
            [task] = await bob.claim(queue=queue)
            decided = await bob.decide(task, "edit", output="Final.", category="tone", reason="warmer")
            assert decided.decision is not None
            assert (decided.decision.verdict, decided.decision.output) == ("edit", "Final.")
            async with AsyncClient(api.url, api.keys["auditor"]) as auditor:
                [pair] = await auditor.export("dpo", task=queue)
                assert pair["chosen"] == [{"role": "assistant", "content": "Final."}]
            summary = await lead.metrics_summary(task=queue)
            assert summary["routes"] == {"queue": 1}
            assert "queues" in await lead.queues()
            events = await lead.audit_events(item_id=item.id)
            assert {"item.created", "review.decided"} <= {e["event"] for e in events}
            assert (await lead.audit_verify())["ok"] is True

            user = await admin.add_user(name, "reviewer", tier="junior", skills=["billing"])
            assert (user["name"], user["tier"], user["skills"]) == (name, "junior", ["billing"])
            key = await admin.create_key(name)
            async with AsyncClient(api.url, key["key"]) as newcomer:
                assert await newcomer.claim(queue=queue) == []
            await admin.revoke_key(key["id"])
            async with AsyncClient(api.url, key["key"]) as revoked:
                with pytest.raises(AuthError):
                    await revoked.claim(queue=queue)
            hook = await admin.create_webhook("http://127.0.0.1:9/never", ["item.revised"])
            assert hook["id"] in {h["id"] for h in await admin.webhooks()}
            assert isinstance(await admin.deliveries(status="failed"), list)
            await admin.delete_webhook(hook["id"])
            assert {h["id"]: h["active"] for h in await admin.webhooks()}[hook["id"]] is False

    asyncio.run(run())
