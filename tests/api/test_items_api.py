"""Items over HTTP: submit on every route, read, idempotency, and the long-poll for the decision."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from conftest import Api

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _resource_shape(item: dict[str, Any]) -> None:
    assert {"id", "status", "route", "risk", "reasons", "checks", "deadline", "decision"} <= item.keys()
    assert URL_SAFE.match(item["id"]), item["id"]
    assert isinstance(item["reasons"], list)
    assert all(isinstance(r, str) for r in item["reasons"])
    assert isinstance(item["checks"], list)


def test_auto_item_is_decided_at_once(api: Api) -> None:
    response = api.http("submitter").post(
        "/v1/items",
        json={
            "task_type": "support_reply",
            "input": "Where is 4471?",
            "output": "It ships today.",
            "confidence": 0.9,
        },
    )
    assert response.status_code == 201, response.text
    item = response.json()
    _resource_shape(item)
    assert (item["status"], item["route"], item["risk"]) == ("decided", "auto", "low")
    assert item["deadline"] is None
    decision = item["decision"]
    assert decision["verdict"] == "approve"
    assert decision["output"] == "It ships today."
    assert decision["by"] == "policy"
    assert decision["provisional"] is False
    assert abs(_at(decision["decided_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert any("0.90 >= 0.70" in r for r in item["reasons"])
    assert api.http("auditor").get(f"/v1/items/{item['id']}").json() == item


def test_queued_item_waits_with_a_deadline(api: Api) -> None:
    item = api.submit(task_type="support_reply", output="Perhaps.", confidence=0.4)
    _resource_shape(item)
    assert (item["status"], item["route"], item["risk"], item["decision"]) == (
        "pending",
        "queue",
        "low",
        None,
    )
    # support_reply has a 4h SLA
    assert abs(_at(item["deadline"]) - datetime.now(UTC) - timedelta(hours=4)) < timedelta(minutes=1)
    got = api.http("bob").get(f"/v1/items/{item['id']}")
    assert got.status_code == 200
    assert got.json() == item


def test_escalated_and_blocked_items(api: Api) -> None:
    escalated = api.submit(task_type="refund_approval", output="Refund issued.", confidence=0.5)
    assert (escalated["route"], escalated["risk"], escalated["status"]) == ("escalate", "high", "pending")
    assert escalated["decision"] is None
    assert abs(_at(escalated["deadline"]) - datetime.now(UTC) - timedelta(minutes=15)) < timedelta(minutes=1)

    flagged = api.submit(task_type="support_reply", output="Our lawsuit team will call.", confidence=0.99)
    assert flagged["route"] == "escalate"
    assert [c["name"] for c in flagged["checks"] if c.get("flagged")] == ["keywords"]

    blocked = api.submit(task_type="support_reply", output="Please wire the funds now.", confidence=0.99)
    _resource_shape(blocked)
    assert (blocked["route"], blocked["status"]) == ("block", "decided")
    assert blocked["deadline"] is None
    decision = blocked["decision"]
    assert decision["verdict"] == "reject"
    assert decision["output"] is None
    assert decision["category"] == "policy_violation"
    assert "wire the funds now" in decision["reason"]
    assert any(c["flagged"] for c in blocked["checks"])


def test_unknown_item_is_404(api: Api) -> None:
    api.problem(api.http("admin").get("/v1/items/itm_nope"), 404)
    api.problem(api.http("admin").get("/v1/items/itm_nope/decision"), 404)


def test_wait_is_bounded(api: Api) -> None:
    item = api.submit(task_type="support_reply", output="Fine.", confidence=0.95)
    http = api.http("submitter")
    api.problem(http.get(f"/v1/items/{item['id']}/decision", params={"wait": 61}), 422, "wait")
    api.problem(http.get(f"/v1/items/{item['id']}/decision", params={"wait": -1}), 422, "wait")
    api.problem(http.get(f"/v1/items/{item['id']}/decision", params={"wait": "soon"}), 422, "wait")


def test_idempotency_key_header(api: Api) -> None:
    key = api.unique("key")
    body = {"task_type": "support_reply", "output": "Same", "confidence": 0.3}
    http = api.http("submitter")
    first = http.post("/v1/items", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    again = http.post("/v1/items", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()

    other = http.post("/v1/items", json={**body, "output": "Different"}, headers={"Idempotency-Key": key})
    problem = api.problem(other, 409)
    assert problem["code"] == "idempotency_conflict"
    assert api.count("items", idempotency_key=key) == 1


def test_idempotency_key_in_the_body(api: Api) -> None:
    key = api.unique("key")
    body = {"task_type": "support_reply", "output": "In body", "confidence": 0.3, "idempotency_key": key}
    http = api.http("submitter")
    first = http.post("/v1/items", json=body)
    assert first.status_code == 201
    assert http.post("/v1/items", json=body).json()["id"] == first.json()["id"]
    # the key in the header, the same item without the key field: the same submit
    plain = {k: v for k, v in body.items() if k != "idempotency_key"}
    by_header = http.post("/v1/items", json=plain, headers={"Idempotency-Key": key})
    assert by_header.status_code == 200
    assert by_header.json()["id"] == first.json()["id"]
    api.problem(http.post("/v1/items", json={**body, "confidence": 0.31}), 409)
    assert api.count("items", idempotency_key=key) == 1


def test_client_item_id_is_idempotent_too(api: Api) -> None:
    item_id = api.unique("ext")
    body = {"id": item_id, "task_type": "support_reply", "output": "Mine", "confidence": 0.3}
    http = api.http("submitter")
    first = http.post("/v1/items", json=body)
    assert first.status_code == 201
    assert first.json()["id"] == item_id
    assert http.post("/v1/items", json=body).status_code == 200
    api.problem(http.post("/v1/items", json={**body, "output": "Other"}), 409)


def test_decision_of_a_decided_item_is_200_at_once(api: Api) -> None:
    item = api.submit(task_type="support_reply", output="Fine.", confidence=0.95)
    started = time.monotonic()
    response = api.http("submitter").get(f"/v1/items/{item['id']}/decision", params={"wait": 10})
    assert time.monotonic() - started < 5  # not the 10 s asked for (generous: shared CI machines)
    assert response.status_code == 200
    assert response.json() == {"id": item["id"], "status": "decided", "decision": item["decision"]}


def test_long_poll_times_out_with_202(api: Api) -> None:
    item = api.submit(task_type=api.unique(), output="Pending.", confidence=0.1)
    started = time.monotonic()
    response = api.http("submitter").get(f"/v1/items/{item['id']}/decision", params={"wait": 2})
    elapsed = time.monotonic() - started
    assert response.status_code == 202
    assert response.json() == {"id": item["id"], "status": "pending", "decision": None}
    assert 1.9 <= elapsed < 8


def test_long_poll_returns_promptly_when_decided(api: Api) -> None:
    queue = api.unique()
    item = api.submit(task_type=queue, output="Pending.", confidence=0.1)
    [task] = api.claim("bob", queue)
    result: dict[str, Any] = {}

    def wait() -> None:
        with httpx.Client(
            verify=False, base_url=api.url, headers={"Authorization": f"Bearer {api.keys['submitter']}"}
        ) as c:
            result["response"] = c.get(f"/v1/items/{item['id']}/decision", params={"wait": 20}, timeout=30)
            result["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()
    decided = api.decide("bob", task, "edit", output="Corrected.", category="tone", reason="too curt")
    assert decided.status_code == 200, decided.text
    decided_at = time.monotonic()
    waiter.join(10)
    assert not waiter.is_alive()
    # the server polls every 0.2 s; far sooner than the 20 s asked for
    assert result["at"] - decided_at < 3
    response = result["response"]
    assert response.status_code == 200
    decision = response.json()["decision"]
    assert decision["verdict"] == "edit"
    assert decision["output"] == "Corrected."
    assert decision["by"] == "user:bob"
    assert decision["category"] == "tone"
    assert decision["reason"] == "too curt"
