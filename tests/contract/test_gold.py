"""Gold items on every backend: marking, mixing into claims in disguise, scoring, and staying out of the real
traffic's numbers."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest

from inloop.clock import ManualClock
from inloop.errors import Conflict, InvalidRequest, NotFound
from inloop.services import console, gold, intake, review, sla
from inloop.services.accounts import Principal
from inloop.services.console import REVIEW_KINDS
from inloop.services.context import Context
from inloop.storage import audit, labels, metrics, tasks, webhooks
from testkit import MATRIX_POLICY
from testkit.service import make_context, make_user


class Fixed(random.Random):
    """An RNG whose draw is always ``value``: 0.0 mixes at any positive rate, 0.99 never does."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


ALWAYS, NEVER = Fixed(0.0), Fixed(0.99)


def policy(rate: float) -> dict[str, Any]:
    data = copy.deepcopy(MATRIX_POLICY)
    data["gold"] = {"rate": rate}
    return data


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(db_url: str, clock: ManualClock) -> Iterator[Context]:
    context = make_context(db_url, policy(0.5), clock)
    yield context
    context.db.close()


def submit(ctx: Context, output: str = "the model's answer", confidence: float = 0.2) -> dict[str, Any]:
    data = {"task_type": "support_reply", "output": output, "confidence": confidence}
    return intake.submit(ctx, data, actor="test")[0]


def decided_gold(ctx: Context, admin: Principal, first: Principal, verdict: str = "reject") -> str:
    """An item ``first`` reviewed (rejected, tone), then marked gold with that answer."""
    item = submit(ctx, "gold text")
    task = review.claim(ctx, first, rng=NEVER)[0]
    review.decide(ctx, first, task["id"], lease_token=task["lease_token"], verdict="reject", category="tone")
    gold.mark(ctx, item["id"], verdict=verdict, category="tone", actor=admin.actor, user_id=admin.id)
    return str(item["id"])


def strip(view: dict[str, Any]) -> dict[str, Any]:
    """A task view without what differs between any two tasks: ids, the lease token, the item's content."""
    item = {k: v for k, v in view["item"].items() if k not in ("id", "item")}
    return {**{k: v for k, v in view.items() if k not in ("id", "lease_token")}, "item": item}


def test_mark_validates_and_needs_a_decided_item(ctx: Context) -> None:
    admin = make_user(ctx, "ada", "admin")
    pending = submit(ctx)
    with pytest.raises(Conflict, match="pending"):
        gold.mark(ctx, pending["id"], verdict="approve", actor=admin.actor)
    with pytest.raises(NotFound):
        gold.mark(ctx, "nope", verdict="approve", actor=admin.actor)
    released = submit(ctx, confidence=0.95)
    with pytest.raises(InvalidRequest, match="verdict"):
        gold.mark(ctx, released["id"], verdict="maybe", actor=admin.actor)
    with pytest.raises(InvalidRequest, match="category"):
        gold.mark(ctx, released["id"], verdict="reject", actor=admin.actor)
    with pytest.raises(InvalidRequest, match="output"):
        gold.mark(ctx, released["id"], verdict="edit", category="tone", actor=admin.actor)
    marked = gold.mark(ctx, released["id"], verdict="approve", actor=admin.actor, user_id=admin.id)
    assert (marked["verdict"], marked["active"]) == ("approve", True)
    again = gold.mark(
        ctx, released["id"], verdict="edit", output="better", category="tone", actor=admin.actor
    )
    assert again["output"] == "better"
    [row] = gold.listing(ctx)
    assert (row["item_id"], row["verdict"], row["answered"]) == (released["id"], "edit", 0)
    gold.unmark(ctx, released["id"], actor=admin.actor)
    assert gold.listing(ctx) == []
    assert gold.listing(ctx, include_inactive=True)[0]["active"] is False
    with pytest.raises(NotFound):
        gold.unmark(ctx, pending["id"], actor=admin.actor)
    with ctx.db.read() as conn:
        events = [e.event for e in audit.item_events(conn, released["id"])]
    assert events.count("gold.marked") == 2
    assert events.count("gold.unmarked") == 1


def test_gold_task_looks_like_a_review_task(ctx: Context) -> None:
    admin, rita = make_user(ctx, "ada", "admin"), make_user(ctx, "rita")
    gold_id = decided_gold(ctx, admin, rita)
    real = submit(ctx)
    sam, tom = make_user(ctx, "sam"), make_user(ctx, "tom")
    [disguised] = review.claim(ctx, sam, rng=ALWAYS)
    [plain] = review.claim(ctx, tom, rng=NEVER)
    assert disguised["item"]["id"] == gold_id
    assert plain["item"]["id"] == real["id"], "the displaced real task went back to the queue"
    assert strip(disguised) == strip(plain)
    assert disguised["kind"] == "review"
    assert disguised["item"]["status"] == "pending"
    assert disguised["item"]["decision"] is None
    assert disguised["item"]["deadline"] is not None
    assert disguised.keys() == plain.keys()
    # The console shows it as a review too, and resumes it as one.
    resumed = console.claim_next(ctx, sam, kinds=REVIEW_KINDS)
    assert resumed == disguised
    assert console.held_task(ctx, sam, disguised["id"]) == disguised
    with ctx.db.read() as conn:
        assert sorted(t.kind for t in tasks.for_item(conn, gold_id)) == ["gold", "review"]
    # Reading the item (as GET /v1/items/{id} does) shows it pending to the holder only.
    item = intake.get_item(ctx, gold_id)
    assert gold.item_seen_by(ctx, sam, item)["status"] == "pending"
    assert gold.item_seen_by(ctx, sam, item)["decision"] is None
    assert gold.item_seen_by(ctx, tom, item) == item


def test_rate_zero_never_mixes(db_url: str, clock: ManualClock) -> None:
    ctx = make_context(db_url, policy(0.0), clock)
    try:
        admin, rita, sam = make_user(ctx, "ada", "admin"), make_user(ctx, "rita"), make_user(ctx, "sam")
        decided_gold(ctx, admin, rita)
        real = submit(ctx)
        [task] = review.claim(ctx, sam, rng=ALWAYS)
        assert task["item"]["id"] == real["id"]
    finally:
        ctx.db.close()


def test_no_real_work_no_gold_task(ctx: Context) -> None:
    admin, rita, sam = make_user(ctx, "ada", "admin"), make_user(ctx, "rita"), make_user(ctx, "sam")
    decided_gold(ctx, admin, rita)
    assert review.claim(ctx, sam, rng=ALWAYS) == [], "an empty queue never yields a task"
    assert console.claim_next(ctx, sam, kinds=REVIEW_KINDS, rng=ALWAYS) is None


def test_seeded_rate_mixes_about_that_often(ctx: Context) -> None:
    admin, rita = make_user(ctx, "ada", "admin"), make_user(ctx, "rita")
    decided_gold(ctx, admin, rita)
    submit(ctx)
    rng, golds = random.Random(11), 0
    for n in range(60):
        reviewer = make_user(ctx, f"r{n}")
        [task] = review.claim(ctx, reviewer, rng=rng)
        golds += task["item"]["item"]["output"] == "gold text"
        review.release(ctx, reviewer, task["id"], task["lease_token"])
    assert 18 <= golds <= 42  # rate 0.5 over 60 claims: 30 expected, sd ~3.9


def test_never_the_item_a_reviewer_already_saw(ctx: Context) -> None:
    admin, rita = make_user(ctx, "ada", "admin"), make_user(ctx, "rita")
    decided_gold(ctx, admin, rita)
    real = submit(ctx)
    [task] = review.claim(ctx, rita, rng=ALWAYS)
    assert task["item"]["id"] == real["id"], "rita reviewed the gold item herself"


def test_answers_are_scored_and_change_nothing(ctx: Context, clock: ManualClock) -> None:
    admin, rita = make_user(ctx, "ada", "admin"), make_user(ctx, "rita")
    with ctx.db.write() as conn:
        webhooks.insert_webhook(
            conn,
            webhook_id="whk_1",
            url="http://127.0.0.1:9/x",
            events=["item.decided", "item.revised"],
            secret="whsec_" + "A" * 32,
            by=None,
            now_ms=0,
        )
    gold_id = decided_gold(ctx, admin, rita)
    before = intake.get_item(ctx, gold_id)
    with ctx.db.read() as conn:
        outbox = len(webhooks.deliveries(conn))
    for _ in range(2):
        submit(ctx)
    sam, tom = make_user(ctx, "sam"), make_user(ctx, "tom")
    clock.advance(30)
    s = review.claim(ctx, sam, rng=ALWAYS)[0]
    t = review.claim(ctx, tom, rng=ALWAYS)[0]
    assert s["item"]["id"] == t["item"]["id"] == gold_id
    clock.advance(12)
    answered = review.decide(
        ctx, sam, s["id"], lease_token=s["lease_token"], verdict="reject", category="tone"
    )
    assert answered["status"] == "decided"
    assert answered["decision"]["by"] == "user:sam"
    assert answered["decision"]["verdict"] == "reject"
    review.decide(ctx, tom, t["id"], lease_token=t["lease_token"], verdict="approve")
    assert intake.get_item(ctx, gold_id) == before, "a gold answer never changes the item"
    with ctx.db.read() as conn:
        assert len(webhooks.deliveries(conn)) == outbox
        answers = [e.data for e in audit.item_events(conn, gold_id) if e.event == "gold.answered"]
        decided = [e for e in audit.item_events(conn, gold_id) if e.event == "review.decided"]
    assert len(decided) == 1, "only rita's real review; gold answers are gold.answered"
    assert [(a["reviewer"], a["correct"]) for a in answers] == [("sam", True), ("tom", False)]
    scores = gold.accuracy(ctx)
    assert scores["reviewers"]["sam"]["accuracy"] == 1.0
    assert scores["reviewers"]["tom"] == {**scores["reviewers"]["tom"], "answered": 1, "correct": 0}
    assert "rita" not in scores["reviewers"], "real reviews are not gold answers"
    overall = scores["overall"]
    assert (overall["answered"], overall["correct"], overall["accuracy"]) == (2, 1, 0.5)
    assert 0.0 < overall["ci_low"] < 0.5 < overall["ci_high"] < 1.0
    assert gold.accuracy(ctx, since_ms=clock.now + 1)["overall"]["answered"] == 0
    assert gold.accuracy(ctx, until_ms=clock.now)["overall"]["answered"] == 0
    assert gold.listing(ctx)[0]["answered"] == 2
    # A reviewer is never shown the same gold item twice; the item page hides gold work.
    submit(ctx)
    again = review.claim(ctx, sam, rng=ALWAYS)[0]
    assert again["item"]["id"] != gold_id
    page = console.item_page(ctx, admin, gold_id)
    assert [r["reviewer"] for r in page["reviews"]] == ["rita"]
    assert [t["kind"] for t in page["tasks"]] == ["review"]


def test_gold_stays_out_of_labels_and_metrics(ctx: Context, clock: ManualClock) -> None:
    admin, sam = make_user(ctx, "ada", "admin"), make_user(ctx, "sam")
    released = submit(ctx, "released text", confidence=0.95)  # decided by the policy: no review
    gold.mark(ctx, released["id"], verdict="approve", actor=admin.actor)
    submit(ctx)
    task = review.claim(ctx, sam, rng=ALWAYS)[0]
    assert task["item"]["id"] == released["id"]
    assert task["item"]["route"] == "queue", "shown as a queued item, never as released"
    clock.advance(5)
    review.decide(ctx, sam, task["id"], lease_token=task["lease_token"], verdict="approve")
    since, until = clock.now - 3_600_000, clock.now + 3_600_000
    with ctx.db.read() as conn:
        assert [f.item_id for f in labels.reviewed(conn)] == []
        assert metrics.decisions_by_reviewer(conn, since, until, 3_600_000) == []
        assert metrics.handling_ms(conn, since, until, 100) == []
        assert sum(r.n for r in metrics.tasks_done_by_bucket(conn, since, until, 3_600_000)) == 0
        assert sum(r.n for r in metrics.tasks_created_by_bucket(conn, since, until, 3_600_000)) == 1
        assert metrics.depth_at(conn, clock.now + 1) == 1  # the real task, back in the queue


def test_given_back_gold_tasks_are_cancelled(ctx: Context, clock: ManualClock) -> None:
    admin, rita, sam = make_user(ctx, "ada", "admin"), make_user(ctx, "rita"), make_user(ctx, "sam")
    gold_id = decided_gold(ctx, admin, rita)
    submit(ctx)
    first = review.claim(ctx, sam, rng=ALWAYS)[0]
    review.release(ctx, sam, first["id"], first["lease_token"])
    second = review.claim(ctx, sam, rng=ALWAYS, lease_seconds=60)[0]
    assert second["item"]["id"] == gold_id, "a skipped gold item may come back: it was never answered"
    clock.advance(120)
    assert sla.sweep(ctx).leases_expired == 1
    with ctx.db.read() as conn:
        statuses = sorted((t.kind, t.status) for t in tasks.for_item(conn, gold_id))
    assert statuses == [("gold", "cancelled"), ("gold", "cancelled"), ("review", "done")]
    gold.unmark(ctx, gold_id, actor=admin.actor)
    assert review.claim(ctx, sam, rng=ALWAYS)[0]["item"]["id"] != gold_id


def test_any_edit_of_an_edit_is_correct_and_one_task_per_claim_is_swapped(ctx: Context) -> None:
    admin, sam = make_user(ctx, "ada", "admin"), make_user(ctx, "sam")
    released = submit(ctx, "released text", confidence=0.95)
    gold.mark(ctx, released["id"], verdict="edit", output="the known fix", category="tone", actor=admin.actor)
    real = [submit(ctx, f"real {n}")["id"] for n in range(3)]
    claimed = review.claim(ctx, sam, limit=3, rng=ALWAYS)
    ids = [t["item"]["id"] for t in claimed]
    assert len(ids) == 3
    assert ids.count(released["id"]) == 1
    assert ids[-1] == released["id"], "the last review task of the claim is the one swapped"
    assert len(set(ids) & set(real)) == 2
    task = claimed[-1]
    review.decide(
        ctx,
        sam,
        task["id"],
        lease_token=task["lease_token"],
        verdict="edit",
        output="another fix",
        category="tone",
    )
    assert gold.accuracy(ctx)["reviewers"]["sam"]["correct"] == 1
    with ctx.db.read() as conn:
        assert [t.status for t in tasks.for_item(conn, released["id"])] == ["done"]
