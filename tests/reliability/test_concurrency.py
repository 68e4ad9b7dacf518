"""16 reviewers claim and decide 2,000 tasks at once, in-process, on each backend.

Proves: every task is decided exactly once, no task is ever held by two live leases at the same time (checked
from the reviewers' own records and, independently, by replaying the audit trail), nothing unexpected is
raised, and the audit chains verify. A few claims are deliberately abandoned or answered too late, so that
leases expire under load and the sweep hands those tasks to someone else while everybody else keeps working.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from inloop.clock import wall_ms
from inloop.errors import LeaseConflict
from inloop.services import audit_trail, intake, review, sla
from testkit.service import make_user

pytestmark = pytest.mark.slow

ITEMS = 2000
REVIEWERS = 16
SEEDERS = 2  # processes, with two submitting threads each
BATCH = 4  # tasks per claim
LEASE_SECONDS = 60  # long enough never to expire under load by accident
SHORT_LEASE = 1  # for the claims that are abandoned or answered late, on purpose
ABANDON = 0.01  # share of claims whose task is dropped (its lease must expire and the task come back)
LATE = 0.005  # share of claims decided after the lease ran out (must be refused, 409)


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class Claim:
    task_id: str
    user: str
    token: str
    start_ms: int  # wall clock before the claim call ...
    end_ms: int  # ... and after it returned: the lease began in between
    expires_ms: int
    decided: bool = False


@dataclass
class Log:
    lock: threading.Lock = field(default_factory=threading.Lock)
    claims: list[Claim] = field(default_factory=list)
    decided: Counter[str] = field(default_factory=Counter)
    refused_late: int = 0
    abandoned: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)


# Seeding runs in child processes (each with threads), so the 2,000 submits use every core instead of
# queueing on this process's GIL; each one is an ordinary in-process ``intake.submit``.
SEED_SCRIPT = """
import json, sys, threading
from inloop import Gate
from inloop.services import intake
from inloop.services.context import Context
from inloop.storage import open_database

url, policy, first, step, total = sys.argv[1], json.loads(sys.argv[2]), *map(int, sys.argv[3:6])
ctx = Context(db=open_database(url, migrate=False), gate=Gate.from_dict(policy))

def run(offset):
    for n in range(first + offset * step, total, 2 * step):
        intake.submit(ctx, {"task_type": "support_reply", "output": f"answer {n}"}, actor="seed")

threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ctx.db.close()
"""


def seed(db_url: str, policy: dict[str, Any], total: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SEED_SCRIPT, db_url, json.dumps(policy), str(k), str(SEEDERS), str(total)],
            stderr=subprocess.PIPE,
        )
        for k in range(SEEDERS)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-3000:]


def test_16_reviewers_decide_2000_tasks_exactly_once(
    db_url, queue_policy, wall_context, rows, lease_history
) -> None:
    ctx = wall_context(db_url, queue_policy)

    started = time.perf_counter()
    seed(db_url, queue_policy, ITEMS)
    submit_seconds = time.perf_counter() - started

    reviewers = [make_user(ctx, f"r{i:02d}", tier="senior", skills=()) for i in range(REVIEWERS)]
    user_ids = {r.name: r.id for r in reviewers}
    log = Log()
    all_decided = threading.Event()
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.is_set():
            try:
                sla.sweep(ctx)
            except BaseException as exc:
                with log.lock:
                    log.errors.append(exc)
            stop.wait(0.1)

    def reviewer(index: int) -> None:
        who = reviewers[index]
        rnd = random.Random(index)
        deadline = time.monotonic() + 240
        while not all_decided.is_set() and time.monotonic() < deadline:
            odd = rnd.random()
            mode = "abandon" if odd < ABANDON else "late" if odd < ABANDON + LATE else "normal"
            lease = LEASE_SECONDS if mode == "normal" else SHORT_LEASE
            try:
                t0 = wall_ms()
                got = review.claim(ctx, who, limit=BATCH if mode == "normal" else 1, lease_seconds=lease)
                t1 = wall_ms()
                if not got:
                    time.sleep(0.05)
                    continue
                claims = [
                    Claim(t["id"], who.name, t["lease_token"], t0, t1, _ms(t["lease_expires_at"]))
                    for t in got
                ]
                with log.lock:
                    log.claims.extend(claims)
                if mode == "abandon":
                    with log.lock:
                        log.abandoned.add(claims[0].task_id)
                    continue
                if mode == "late":
                    time.sleep(SHORT_LEASE + 0.3)
                for c in claims:
                    try:
                        review.decide(
                            ctx, who, c.task_id, lease_token=c.token, verdict="approve", reason=who.name
                        )
                    except LeaseConflict:
                        if mode != "late":
                            raise
                        with log.lock:
                            log.refused_late += 1
                        continue
                    if mode == "late":
                        raise AssertionError(f"{c.task_id}: a decision on an expired lease was accepted")
                    c.decided = True
                    with log.lock:
                        log.decided[c.task_id] += 1
                        if len(log.decided) == ITEMS:
                            all_decided.set()
            except BaseException as exc:
                with log.lock:
                    log.errors.append(exc)
                return

    sweep_thread = threading.Thread(target=sweeper, daemon=True)
    sweep_thread.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(REVIEWERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    review_seconds = time.perf_counter() - started
    stop.set()
    sweep_thread.join()

    print(
        f"\n[{ctx.db.engine.dialect.name}] {ITEMS} submits in {submit_seconds:.1f}s "
        f"({ITEMS / submit_seconds:.0f}/s, {SEEDERS} processes); {len(log.claims)} claims, "
        f"{sum(log.decided.values())} decisions in {review_seconds:.1f}s "
        f"({sum(log.decided.values()) / review_seconds:.0f}/s, {REVIEWERS} reviewers); "
        f"{len(log.abandoned)} abandoned, {log.refused_late} refused as late"
    )
    assert log.errors == [], f"unexpected exceptions: {log.errors[:5]!r}"

    # every task decided exactly once, by the reviewers' own account ...
    assert len(log.decided) == ITEMS
    assert set(log.decided.values()) == {1}
    # ... and by the database's: one review per task, every item decided, nothing left open or leased
    view = rows(db_url)
    stored_reviews = view.reviews()
    assert len(stored_reviews) == ITEMS
    assert Counter(r.task_id for r in stored_reviews).most_common(1)[0][1] == 1
    assert {r.task_id for r in stored_reviews} == set(log.decided)
    stored_items = view.items()
    assert len(stored_items) == ITEMS
    assert Counter(i.status for i in stored_items) == {"decided": ITEMS}
    assert all(i.decision["verdict"] == "approve" for i in stored_items)
    assert Counter(t.status for t in view.tasks()) == {"done": ITEMS}

    # every abandoned task came back after its lease expired and was decided by a later claim
    claims_of: dict[str, list[Claim]] = defaultdict(list)
    for c in log.claims:
        claims_of[c.task_id].append(c)
    for task_id in log.abandoned:
        assert len(claims_of[task_id]) >= 2, f"{task_id} was abandoned and never re-delivered"
        assert claims_of[task_id][-1].decided

    # never two live leases on one task: when claim X was made before claim Y began, Y must have come after
    # X's lease expired, and never after X's decision. (The lease started inside the claim call and lives
    # until its expiry or its decision; the sweep can only reopen a task once the wall clock passed expiry.)
    overlaps = []
    for task_id, claims in claims_of.items():
        for x in claims:
            for y in claims:
                if x is y or x.end_ms > y.start_ms:
                    continue
                if x.decided or y.end_ms <= x.expires_ms:
                    overlaps.append((task_id, x, y))
    assert overlaps == []

    # the same, from the audit trail, in commit order: claim, then expiry or decision by the holder, ...
    history = view.events("task.claimed", "lease.expired", "task.released", "review.decided")
    assert lease_history(history, user_ids) == []
    assert Counter(e.event for e in history)["task.claimed"] == len(log.claims)
    assert Counter(e.event for e in history)["lease.expired"] >= len(log.abandoned)

    verdict = audit_trail.verify(ctx)
    assert verdict["ok"], verdict["first_bad"]


RACING_ITEMS = 240
RACING_REVIEWERS = 8


def test_decisions_racing_sla_breaches_never_deadlock(db_url, queue_policy, wall_context, rows) -> None:
    """Reviewers decide items whose one-second SLA keeps breaching (escalate: new tier, new deadline) while
    two sweepers, each with its own context as two server processes would have, apply the breaches. On
    PostgreSQL a decision and a breach of the same item once locked the item, its task and its audit chain
    in opposite orders and deadlocked."""
    policy = {**queue_policy, "default_task": {"risk": "all", "sla": "1s", "on_sla_breach": "escalate"}}
    ctx = wall_context(db_url, policy)
    sweepers = [wall_context(db_url, policy) for _ in range(2)]
    for n in range(RACING_ITEMS):
        intake.submit(ctx, {"task_type": "support_reply", "output": f"answer {n}"}, actor="test")
    reviewers = [make_user(ctx, f"r{i}", tier="specialist", skills=()) for i in range(RACING_REVIEWERS)]
    view = rows(db_url)

    errors: list[BaseException] = []
    stop = threading.Event()

    def sweep(context: Any) -> None:
        while not stop.is_set():
            try:
                sla.sweep(context)
            except BaseException as exc:
                errors.append(exc)
            stop.wait(0.005)

    def decide(who: Any) -> None:
        try:
            while got := review.claim(ctx, who, limit=3):
                for task in got:
                    review.decide(ctx, who, task["id"], lease_token=task["lease_token"], verdict="approve")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(c,)) for c in sweepers]
    threads += [threading.Thread(target=decide, args=(r,)) for r in reviewers]
    for t in threads[: len(sweepers)]:
        t.start()
    deadline = time.monotonic() + 30
    while not view.events("sla.breached") and time.monotonic() < deadline:
        time.sleep(0.05)
    # breaching has begun; escalation renews each deadline by a second, so breaches go on while we decide
    for t in threads[len(sweepers) :]:
        t.start()
    for t in threads[len(sweepers) :]:
        t.join()
    stop.set()
    for t in threads[: len(sweepers)]:
        t.join()

    assert errors == [], f"unexpected exceptions: {errors[:3]!r}"
    assert Counter(i.status for i in view.items()) == {"decided": RACING_ITEMS}
    assert len(view.reviews()) == RACING_ITEMS
    breaches: dict[str, list[str]] = defaultdict(list)
    for e in view.events("sla.breached"):
        breaches[e.item_id].append(e.data["deadline"])
    assert len(breaches) > 1
    for item_id, deadlines in breaches.items():
        assert len(deadlines) == len(set(deadlines)), f"{item_id}: a breach fired twice"
    assert audit_trail.verify(ctx)["ok"]
