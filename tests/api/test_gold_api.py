"""Gold items over HTTP: marking, listing, unmarking, accuracy, the errors as problem+json, and the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from inloop import Client
from inloop.client import ConflictError, NotFoundError, RequestError

if TYPE_CHECKING:
    from conftest import Api


def _decided(api: Api) -> dict[str, Any]:
    """An item the policy released at once (support_reply, confident), so decided and markable."""
    item = api.submit(task_type="support_reply", output="Your refund is on its way.", confidence=0.97)
    assert item["status"] == "decided"
    return item


def _listed(api: Api, item_id: str, **params: Any) -> dict[str, Any] | None:
    response = api.http("admin").get("/v1/gold", params=params)
    assert response.status_code == 200, response.text
    return next((g for g in response.json()["gold"] if g["item_id"] == item_id), None)


def test_mark_list_unmark(api: Api) -> None:
    item = _decided(api)
    body = {"item_id": item["id"], "verdict": "edit", "output": "Refund sent today.", "category": "tone"}
    response = api.http("admin").post("/v1/gold", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {**response.json(), **body, "active": True}
    listed = _listed(api, item["id"])
    assert listed is not None
    assert (listed["verdict"], listed["task_type"], listed["answered"]) == ("edit", "support_reply", 0)
    assert listed["created_by"] == "admin"
    assert api.http("admin").delete(f"/v1/gold/{item['id']}").status_code == 204
    assert _listed(api, item["id"]) is None
    assert _listed(api, item["id"], include_inactive="true") is not None
    # the item itself is untouched, and its audit trail says who marked and unmarked it
    assert api.item(item["id"])["decision"] == item["decision"]
    events = api.http("admin").get("/v1/audit/events", params={"item_id": item["id"]}).json()["events"]
    assert [e["event"] for e in events if e["event"].startswith("gold.")] == ["gold.marked", "gold.unmarked"]


def test_errors_are_problems(api: Api) -> None:
    admin = api.http("admin")
    api.problem(admin.post("/v1/gold", json={"item_id": "itm_nope", "verdict": "approve"}), 404)
    api.problem(admin.delete("/v1/gold/itm_nope"), 404)
    item = _decided(api)
    api.problem(admin.post("/v1/gold", json={"item_id": item["id"], "verdict": "maybe"}), 422, "verdict")
    api.problem(admin.post("/v1/gold", json={"item_id": item["id"], "verdict": "reject"}), 422, "category")
    api.problem(
        admin.post("/v1/gold", json={"item_id": item["id"], "verdict": "approve", "output": "x"}),
        422,
        "output",
    )
    api.problem(admin.post("/v1/gold", json={"item_id": item["id"]}), 422, "verdict")
    pending = api.submit(task_type=api.unique(), output="draft", confidence=0.1)
    problem = api.problem(admin.post("/v1/gold", json={"item_id": pending["id"], "verdict": "approve"}), 409)
    assert "decided" in problem["detail"]
    api.problem(admin.get("/v1/gold/accuracy", params={"since": "yesterday"}), 422, "since")


@pytest.mark.parametrize("user", ["admin", "lead", "auditor"])
def test_accuracy_for_metrics_readers(api: Api, user: str) -> None:
    response = api.http(user).get("/v1/gold/accuracy", params={"since": "2020-01-01", "until": "2020-01-02"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["since"] == "2020-01-01T00:00:00.000Z"
    assert body["reviewers"] == {}
    assert body["overall"] == {"answered": 0, "correct": 0, "accuracy": None, "ci_low": None, "ci_high": None}


def test_reviewers_may_not_manage_gold(api: Api) -> None:
    item = _decided(api)
    for user in ("bob", "lead", "auditor", "submitter"):
        api.problem(api.http(user).post("/v1/gold", json={"item_id": item["id"], "verdict": "approve"}), 403)
    api.problem(api.http("bob").get("/v1/gold/accuracy"), 403)


def test_client(api: Api) -> None:
    item = _decided(api)
    with Client(api.url, api.keys["admin"]) as client:
        marked = client.mark_gold(item["id"], "reject", category="hallucination")
        assert (marked["verdict"], marked["category"]) == ("reject", "hallucination")
        assert item["id"] in {g["item_id"] for g in client.gold()}
        assert client.gold_accuracy(since="2020-01-01", until="2020-01-02")["overall"]["answered"] == 0
        client.unmark_gold(item["id"])
        assert item["id"] not in {g["item_id"] for g in client.gold()}
        assert item["id"] in {g["item_id"] for g in client.gold(include_inactive=True)}
        with pytest.raises(NotFoundError):
            client.unmark_gold("itm_nope")
        with pytest.raises(RequestError):
            client.mark_gold(item["id"], "edit")
        pending = api.submit(task_type=api.unique(), output="draft", confidence=0.1)
        with pytest.raises(ConflictError):
            client.mark_gold(pending["id"], "approve")
