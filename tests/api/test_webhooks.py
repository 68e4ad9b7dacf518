"""Webhooks against a real local HTTP receiver: Standard Webhooks signatures, retries with backoff, the dead
letter and re-sending. The server makes 3 attempts with a 0.3 s base backoff (``SERVER_ENV`` in conftest)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

if TYPE_CHECKING:
    from conftest import Api

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


ATTEMPTS = 3
BACKOFF = 0.3


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class Receiver:
    """A tiny HTTP server on 127.0.0.1 recording every POST; it answers 503 to the first ``fail_first``
    requests, or to all while ``always_fail`` is set, else 204."""

    def __init__(self, fail_first: int = 0, always_fail: bool = False) -> None:
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    failing = receiver.always_fail or receiver.fail_first > 0
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                    status = 503 if failing else 204
                    receiver.received.append(
                        Received(
                            {k.lower(): v for k, v in self.headers.items()}, body, status, time.monotonic()
                        )
                    )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def for_item(self, item_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.payload["data"]["item_id"] == item_id]

    def wait_for(self, check: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received: {self.received}")
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _subscribe(api: Api, receiver: Receiver, events: list[str], secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": receiver.url, "events": events}
    if secret is not None:
        body["secret"] = secret
    response = api.http("admin").post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    assert hook["secret"].startswith("whsec_")
    assert URL_SAFE.match(hook["id"])
    return hook


def _unsubscribe(api: Api, hook: dict[str, Any]) -> None:
    assert api.http("admin").delete(f"/v1/webhooks/{hook['id']}").status_code == 204


def _deliveries(api: Api, hook: dict[str, Any], status: str | None = None) -> list[dict[str, Any]]:
    params = {"status": status} if status else {}
    response = api.http("admin").get("/v1/webhooks/deliveries", params=params)
    assert response.status_code == 200
    return [d for d in response.json()["deliveries"] if d["webhook_id"] == hook["id"]]


def _auto_item(api: Api, text: str = "Shipped today.") -> dict[str, Any]:
    item = api.submit(task_type="support_reply", output=text, confidence=0.95)
    assert item["route"] == "auto"
    return item


def test_events_arrive_signed(api: Api, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver, ["item.decided", "item.escalated"])
    try:
        listed = api.http("admin").get("/v1/webhooks").json()["webhooks"]
        assert {"id": hook["id"], "url": receiver.url, "active": True}.items() <= next(
            w for w in listed if w["id"] == hook["id"]
        ).items()
        assert "secret" not in listed[0]

        decided = _auto_item(api)
        escalated = api.submit(task_type="refund_approval", output="Refund sent.", confidence=0.5)
        assert escalated["route"] == "escalate"
        receiver.wait_for(
            lambda: bool(receiver.for_item(decided["id"]) and receiver.for_item(escalated["id"]))
        )

        verifier = Webhook(hook["secret"])
        for item, event in ((decided, "item.decided"), (escalated, "item.escalated")):
            [got] = receiver.for_item(item["id"])
            assert got.status == 204
            assert got.headers["webhook-id"].startswith("msg_")
            assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
            assert got.headers["webhook-signature"].startswith("v1,")
            assert got.headers["content-type"] == "application/json"
            payload = verifier.verify(got.body, got.headers)
            assert payload["type"] == event
            assert payload["data"]["item_id"] == item["id"]
            assert payload == got.payload
            # a tampered body, a foreign secret or an altered id fail verification
            tampered = got.body.replace(item["id"].encode(), b"itm_forged")
            with pytest.raises(WebhookVerificationError):
                verifier.verify(tampered, got.headers)
            with pytest.raises(WebhookVerificationError):
                Webhook("whsec_" + "A" * 32).verify(got.body, got.headers)
            with pytest.raises(WebhookVerificationError):
                verifier.verify(got.body, {**got.headers, "webhook-id": "msg_other"})
        decided_payload = receiver.for_item(decided["id"])[0].payload
        assert decided_payload["data"]["verdict"] == "approve"
        # the escalated item is not decided: no item.decided for it
        assert [r.payload["type"] for r in receiver.for_item(escalated["id"])] == ["item.escalated"]

        delivered = {d["item_id"]: d for d in _deliveries(api, hook, "delivered")}
        assert delivered[decided["id"]]["attempts"] == 1
        assert delivered[decided["id"]]["event"] == "item.decided"
    finally:
        _unsubscribe(api, hook)


def test_a_given_secret_signs(api: Api, receiver: Receiver) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    hook = _subscribe(api, receiver, ["item.decided"], secret=secret)
    try:
        assert hook["secret"] == secret
        item = _auto_item(api)
        receiver.wait_for(lambda: bool(receiver.for_item(item["id"])))
        [got] = receiver.for_item(item["id"])
        assert Webhook(secret).verify(got.body, got.headers)["data"]["item_id"] == item["id"]
    finally:
        _unsubscribe(api, hook)


def test_a_review_decision_is_announced(api: Api, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver, ["item.decided"])
    try:
        queue = api.unique()
        item = api.submit(task_type=queue, output="Maybe.", confidence=0.2)
        assert item["route"] == "queue"
        [task] = api.claim("bob", queue)
        time.sleep(0.5)
        assert receiver.for_item(item["id"]) == []
        response = api.decide("bob", task, "reject", category="tone")
        assert response.status_code == 200
        receiver.wait_for(lambda: bool(receiver.for_item(item["id"])))
        [got] = receiver.for_item(item["id"])
        payload = Webhook(hook["secret"]).verify(got.body, got.headers)
        assert (payload["type"], payload["data"]["verdict"]) == ("item.decided", "reject")
    finally:
        _unsubscribe(api, hook)


def test_retries_with_backoff_until_delivered(api: Api) -> None:
    receiver = Receiver(fail_first=2).start()
    hook = _subscribe(api, receiver, ["item.decided"])
    try:
        item = _auto_item(api)
        receiver.wait_for(lambda: any(r.status == 204 for r in receiver.for_item(item["id"])))
        attempts = receiver.for_item(item["id"])
        assert [r.status for r in attempts] == [503, 503, 204]
        # the same message each time (one webhook-id, so a receiver can de-duplicate), signed each time
        assert len({r.headers["webhook-id"] for r in attempts}) == 1
        for r in attempts:
            Webhook(hook["secret"]).verify(r.body, r.headers)
        # exponential backoff: at least 0.3 s, then at least 0.6 s
        first_gap, second_gap = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
        assert first_gap >= BACKOFF * 0.9
        assert second_gap >= 2 * BACKOFF * 0.9

        def delivered() -> list[dict[str, Any]]:
            return [d for d in _deliveries(api, hook, "delivered") if d["item_id"] == item["id"]]

        receiver.wait_for(lambda: bool(delivered()))
        [delivery] = delivered()
        assert delivery["attempts"] == 3
        assert delivery["delivered_at"] is not None
    finally:
        _unsubscribe(api, hook)
        receiver.stop()


def test_dead_letter_and_resend(api: Api) -> None:
    receiver = Receiver(always_fail=True).start()
    hook = _subscribe(api, receiver, ["item.decided"])
    try:
        item = _auto_item(api)

        def failed() -> list[dict[str, Any]]:
            return [d for d in _deliveries(api, hook, "failed") if d["item_id"] == item["id"]]

        receiver.wait_for(lambda: bool(failed()))
        [dead] = failed()
        assert dead["attempts"] == ATTEMPTS
        assert dead["last_error"] == "HTTP 503"
        assert dead["delivered_at"] is None
        assert URL_SAFE.match(dead["id"])
        assert [r.status for r in receiver.for_item(item["id"])] == [503] * ATTEMPTS
        # kept as failed: no more attempts
        time.sleep(4 * BACKOFF)
        assert len(receiver.for_item(item["id"])) == ATTEMPTS

        receiver.always_fail = False
        response = api.http("admin").post(f"/v1/webhooks/deliveries/{dead['id']}/resend")
        assert response.status_code == 202
        assert response.json() == {"id": dead["id"], "status": "pending"}
        receiver.wait_for(lambda: any(r.status == 204 for r in receiver.for_item(item["id"])))
        last = receiver.for_item(item["id"])[-1]
        assert last.headers["webhook-id"] == dead["id"]
        Webhook(hook["secret"]).verify(last.body, last.headers)

        receiver.wait_for(lambda: any(d["id"] == dead["id"] for d in _deliveries(api, hook, "delivered")))
        assert failed() == []
        # only a failed delivery can be re-sent
        api.problem(api.http("admin").post(f"/v1/webhooks/deliveries/{dead['id']}/resend"), 404)
        api.problem(api.http("admin").post("/v1/webhooks/deliveries/msg_none/resend"), 404)
        audit = api.http("auditor").get("/v1/audit/events", params={"item_id": item["id"]}).json()["events"]
        kinds = [e["event"] for e in audit]
        assert "webhook.failed" in kinds
        assert "webhook.delivered" in kinds
        assert api.http("auditor").get("/v1/audit/verify").json()["ok"] is True
    finally:
        _unsubscribe(api, hook)
        receiver.stop()


def test_an_unsubscribed_url_gets_nothing_new(api: Api, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver, ["item.decided"])
    _unsubscribe(api, hook)
    api.problem(api.http("admin").delete(f"/v1/webhooks/{hook['id']}"), 404)
    item = _auto_item(api)
    time.sleep(0.6)
    assert receiver.for_item(item["id"]) == []
