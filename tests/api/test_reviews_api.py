"""Reviews over HTTP: claim under a lease, decide, heartbeat, release, stale leases, requirements, several
reviewers and adjudication, assignment, and the queue statistics."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Api

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _pending(api: Api, queue: str, **fields: Any) -> dict[str, Any]:
    """A queued item of a task type of the test's own (default task: medium risk, so unsure → queue)."""
    return api.submit(
        task_type=queue, output=fields.pop("output", "A draft answer."), confidence=0.1, **fields
    )


def test_claim_gives_a_leased_task_with_its_item(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    before = time.time()
    response = api.http("bob").post("/v1/reviews/claim", json={"queue": queue})
    assert response.status_code == 200
    [task] = response.json()["tasks"]
    assert task["kind"] == "review"
    assert task["item"]["id"] == item["id"]
    assert task["item"]["item"]["output"] == "A draft answer."
    assert task["item"]["decision"] is None
    assert "reviews" not in task["item"]
    assert URL_SAFE.match(task["id"])
    assert URL_SAFE.match(task["lease_token"])
    # the default lease is 5 minutes
    assert abs(_at(task["lease_expires_at"]).timestamp() - before - 300) < 30
    # nothing more in that queue: the task is leased
    assert api.claim("carol", queue) == []


def test_empty_body_claims_from_any_queue(api: Api) -> None:
    response = api.http("junior").post("/v1/reviews/claim", json={})
    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert isinstance(tasks, list)
    assert len(tasks) <= 1
    for task in tasks:  # give back whatever it was
        release = api.http("junior").post(
            f"/v1/reviews/{task['id']}/release", json={"lease_token": task["lease_token"]}
        )
        assert release.status_code == 204


def test_claim_limit_and_lease_seconds(api: Api) -> None:
    queue = api.unique()
    ids = {_pending(api, queue)["id"] for _ in range(3)}
    before = time.time()
    tasks = api.claim("bob", queue, limit=2, lease_seconds=60)
    assert len(tasks) == 2
    assert all(abs(_at(t["lease_expires_at"]).timestamp() - before - 60) < 10 for t in tasks)
    assert len({t["lease_token"] for t in tasks}) == 2
    [last] = api.claim("carol", queue, limit=5)
    assert {t["item"]["id"] for t in [*tasks, last]} == ids


def test_approve(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    response = api.decide("bob", task, "approve", reason="accurate")
    assert response.status_code == 200
    decided = response.json()
    assert decided["id"] == item["id"]
    assert decided["status"] == "decided"
    decision = decided["decision"]
    assert (decision["verdict"], decision["output"], decision["by"]) == (
        "approve",
        "A draft answer.",
        "user:bob",
    )
    assert decision["reason"] == "accurate"
    assert api.item(item["id"]) == decided


def test_reject_needs_a_category(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    api.problem(api.decide("bob", task, "reject"), 422, "category")
    api.problem(api.decide("bob", task, "reject", category="no_such_category"), 422, "category")
    assert api.item(item["id"])["status"] == "pending"
    # the refusal changed nothing: the lease still holds
    response = api.decide("bob", task, "reject", category="hallucination", reason="invented an order")
    assert response.status_code == 200
    decision = response.json()["decision"]
    assert (decision["verdict"], decision["output"], decision["category"]) == (
        "reject",
        None,
        "hallucination",
    )


def test_edit_needs_the_output(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    api.problem(api.decide("bob", task, "edit", category="tone"), 422, "output")
    api.problem(api.decide("bob", task, "edit", category="tone", output="   "), 422, "output")
    api.problem(api.decide("bob", task, "approve", output="not for approvals"), 422, "output")
    api.problem(api.decide("bob", task, "maybe"), 422, "verdict")
    assert api.item(item["id"])["status"] == "pending"
    response = api.decide("bob", task, "edit", category="tone", output="A kinder answer.")
    assert response.status_code == 200
    assert response.json()["decision"]["output"] == "A kinder answer."


def test_heartbeat_extends_the_lease(api: Api) -> None:
    queue = api.unique()
    _pending(api, queue)
    [task] = api.claim("bob", queue, lease_seconds=30)
    response = api.http("bob").post(
        f"/v1/reviews/{task['id']}/heartbeat", json={"lease_token": task["lease_token"], "lease_seconds": 600}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == task["id"]
    assert body["lease_token"] == task["lease_token"]
    assert (_at(body["lease_expires_at"]) - _at(task["lease_expires_at"])).total_seconds() > 500
    # someone else's heartbeat on it, or a wrong token, is refused
    api.problem(
        api.http("carol").post(
            f"/v1/reviews/{task['id']}/heartbeat", json={"lease_token": task["lease_token"]}
        ),
        409,
    )
    api.problem(
        api.http("bob").post(f"/v1/reviews/{task['id']}/heartbeat", json={"lease_token": "lease_wrong"}), 409
    )
    assert api.decide("bob", task).status_code == 200


def test_release_returns_the_task_to_the_queue(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    response = api.http("bob").post(
        f"/v1/reviews/{task['id']}/release", json={"lease_token": task["lease_token"]}
    )
    assert response.status_code == 204
    # the old lease is gone
    api.problem(api.decide("bob", task), 409)
    [again] = api.claim("carol", queue)
    assert again["id"] == task["id"]
    assert again["lease_token"] != task["lease_token"]
    assert api.decide("carol", again).status_code == 200
    assert api.item(item["id"])["decision"]["by"] == "user:carol"


def test_wrong_or_foreign_lease_changes_nothing(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    problem = api.problem(api.decide("bob", {**task, "lease_token": "lease_forged"}), 409)
    assert problem["code"] == "lease_conflict"
    # carol presents bob's own token: still refused
    api.problem(api.decide("carol", task, "reject", category="tone"), 409)
    after = api.item(item["id"])
    assert (after["status"], after["decision"]) == ("pending", None)
    api.problem(api.decide("bob", {**task, "id": "tsk_unknown"}), 404)
    # bob's lease is intact
    assert api.decide("bob", task).status_code == 200


def test_expired_lease_is_refused_and_the_task_goes_back(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue, lease_seconds=1)
    time.sleep(1.2)  # past the lease: refused even before the sweep returns the task to its queue
    api.problem(api.decide("bob", task), 409)
    assert api.item(item["id"])["status"] == "pending"
    # the sweep (every 0.2 s) puts the task back in the queue
    deadline = time.monotonic() + 10
    while not (claimed := api.claim("carol", queue)) and time.monotonic() < deadline:
        time.sleep(0.1)
    [again] = claimed
    assert again["id"] == task["id"]
    assert api.decide("carol", again, "reject", category="format").status_code == 200
    assert api.item(item["id"])["decision"]["verdict"] == "reject"


def test_a_task_is_decided_once(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    [task] = api.claim("bob", queue)
    assert api.decide("bob", task).status_code == 200
    api.problem(api.decide("bob", task, "reject", category="tone"), 409)
    assert api.item(item["id"])["decision"]["verdict"] == "approve"


def test_requirements_keep_a_junior_out(api: Api) -> None:
    item = api.submit(task_type="finance_only", output="Ledger updated.", confidence=0.1)
    assert item["route"] == "queue"
    assert api.claim("junior", "finance_only") == []
    # without a queue either: the junior may be given other tasks, never this one
    tasks = api.claim("junior", None, limit=100)
    assert item["id"] not in {t["item"]["id"] for t in tasks}
    for t in tasks:
        api.http("junior").post(f"/v1/reviews/{t['id']}/release", json={"lease_token": t["lease_token"]})
    [task] = api.claim("bob", "finance_only")
    assert task["item"]["id"] == item["id"]
    assert api.decide("bob", task).status_code == 200


def test_escalations_come_first(api: Api) -> None:
    queue = api.unique()
    first = _pending(api, queue)
    escalated = _pending(api, queue, output="Our lawsuit team will call you.")
    assert escalated["route"] == "escalate"
    [task] = api.claim("bob", queue)
    assert task["item"]["id"] == escalated["id"]
    assert task["priority"] < api.claim("bob", queue)[0]["priority"]
    assert first["route"] == "queue"


def test_named_queue(api: Api) -> None:
    item = api.submit(task_type="named_queue", output="Draft.", confidence=0.1)
    assert item["queue"] == "shared_desk"
    assert api.claim("bob", "named_queue") == []
    [task] = api.claim("bob", "shared_desk")
    assert task["item"]["id"] == item["id"]
    assert api.decide("bob", task).status_code == 200


def test_two_reviewers_who_agree_decide(api: Api) -> None:
    item = api.submit(task_type="pair_agree", output="Two must agree.", confidence=0.1)
    [first] = api.claim("bob", "pair_agree")
    # independent reviews by different people: bob does not get the second task of the same item
    assert api.claim("bob", "pair_agree") == []
    [second] = api.claim("carol", "pair_agree")
    assert first["item"]["id"] == second["item"]["id"] == item["id"]
    assert first["id"] != second["id"]
    response = api.decide("bob", first, "edit", output="Two  must\nagree!", category="tone")
    assert response.json()["status"] == "pending"
    assert response.json()["decision"] is None
    # blind: carol's task shows no other review
    assert "reviews" not in second["item"]
    response = api.decide("carol", second, "edit", output="Two must agree!", category="tone")
    decided = response.json()
    assert decided["status"] == "decided"
    assert decided["decision"]["verdict"] == "edit"
    assert set(decided["decision"]["by"].split(", ")) == {"user:bob", "user:carol"}


def test_disagreement_goes_to_a_lead(api: Api) -> None:
    item = api.submit(task_type="pair_split", output="Split decision.", confidence=0.1)
    [first] = api.claim("bob", "pair_split")
    [second] = api.claim("carol", "pair_split")
    assert api.decide("bob", first, "approve", reason="fine").status_code == 200
    response = api.decide("carol", second, "reject", category="hallucination", reason="made up")
    assert response.json()["status"] == "pending"
    # reviewers cannot take the adjudication; a lead can, and sees both reviews
    assert api.claim("bob", "pair_split") == []
    assert api.claim("junior", "pair_split") == []
    [adjudication] = api.claim("lead", "pair_split")
    assert adjudication["kind"] == "adjudication"
    assert adjudication["item"]["id"] == item["id"]
    reviews = {r["reviewer"]: r for r in adjudication["item"]["reviews"]}
    assert set(reviews) == {"bob", "carol"}
    assert (reviews["bob"]["verdict"], reviews["bob"]["reason"]) == ("approve", "fine")
    assert (reviews["carol"]["verdict"], reviews["carol"]["category"]) == ("reject", "hallucination")
    response = api.decide("lead", adjudication, "edit", output="A grounded answer.", category="hallucination")
    assert response.status_code == 200
    decision = response.json()["decision"]
    assert (decision["verdict"], decision["output"], decision["by"]) == (
        "edit",
        "A grounded answer.",
        "user:lead",
    )
    assert api.item(item["id"])["status"] == "decided"


def test_a_lead_assigns_an_item_to_one_reviewer(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    response = api.http("lead").post(f"/v1/items/{item['id']}/assign", json={"reviewer": "bob"})
    assert response.status_code == 200
    body = response.json()
    assert body["item_id"] == item["id"]
    assert body["assigned_to"] == "bob"
    assert len(body["tasks"]) == 1
    assert api.claim("carol", queue) == []
    assert api.claim("lead", queue) == []
    [task] = api.claim("bob", queue)
    assert task["id"] == body["tasks"][0]
    assert api.decide("bob", task).status_code == 200
    # a decided item has nothing left to assign; an unknown reviewer or item is a 404
    api.problem(api.http("lead").post(f"/v1/items/{item['id']}/assign", json={"reviewer": "bob"}), 409)
    other = _pending(api, queue)
    api.problem(api.http("lead").post(f"/v1/items/{other['id']}/assign", json={"reviewer": "nobody"}), 404)
    api.problem(api.http("lead").post("/v1/items/itm_nope/assign", json={"reviewer": "bob"}), 404)


def test_assignment_can_be_lifted(api: Api) -> None:
    queue = api.unique()
    item = _pending(api, queue)
    http = api.http("admin")
    assert http.post(f"/v1/items/{item['id']}/assign", json={"reviewer": "carol"}).status_code == 200
    assert api.claim("bob", queue) == []
    assert http.post(f"/v1/items/{item['id']}/assign", json={"reviewer": None}).status_code == 200
    [task] = api.claim("bob", queue)
    assert api.decide("bob", task).status_code == 200


def test_queues_show_depth_and_reviewer_progress(api: Api) -> None:
    queue = api.unique()
    for _ in range(3):
        _pending(api, queue)
    _pending(api, queue, output="A lawsuit is coming.")

    def stats() -> dict[str, Any]:
        response = api.http("auditor").get("/v1/queues")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    [q] = [q for q in stats()["queues"] if q["queue"] == queue]
    assert (q["open"], q["leased"]) == (4, 0)
    assert q["by_priority"] == {"escalated": 1, "review": 3}
    assert q["oldest_age_seconds"] >= 0

    tasks = api.claim("carol", queue, limit=2)
    [q] = [q for q in stats()["queues"] if q["queue"] == queue]
    assert (q["open"], q["leased"]) == (2, 2)
    before = {r["reviewer"]: r["decided_24h"] for r in stats()["reviewers"]}.get("carol", 0)
    for task in tasks:
        assert api.decide("carol", task).status_code == 200
    body = stats()
    [q] = [q for q in body["queues"] if q["queue"] == queue]
    assert (q["open"], q["leased"]) == (2, 0)
    [carol] = [r for r in body["reviewers"] if r["reviewer"] == "carol"]
    assert carol["decided_24h"] == before + 2
    # a number on both backends (PostgreSQL's AVG is a Decimal, which would be written as a string)
    assert isinstance(carol["avg_handling_seconds"], float)
    assert carol["avg_handling_seconds"] >= 0


def test_assignment_only_to_someone_who_may_take_it(api: Api) -> None:
    item = api.submit(task_type="finance_only", output="Ledger note.", confidence=0.1)
    http = api.http("lead")
    try:
        # an auditor cannot review; the junior lacks the tier and skill: the task would be stuck
        api.problem(
            http.post(f"/v1/items/{item['id']}/assign", json={"reviewer": "auditor"}), 422, "reviewer"
        )
        api.problem(http.post(f"/v1/items/{item['id']}/assign", json={"reviewer": "junior"}), 422, "reviewer")
    finally:
        http.post(f"/v1/items/{item['id']}/assign", json={"reviewer": None})
        [task] = api.claim("bob", "finance_only")
        assert api.decide("bob", task).status_code == 200
