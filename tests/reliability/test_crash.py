"""``kill -9`` the server in the middle of submits and decisions, restart it on the same database, and prove
nothing acknowledged was lost or applied twice, retries are idempotent, the audit chains still verify, and the
leases held when the server died expire and their tasks are handed out again."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from inloop import Client
from inloop.client import ConflictError, ReviewTask
from inloop.services import intake
from inloop.storage import users as user_rows

pytestmark = pytest.mark.slow

SEEDED = 80  # queued before the server starts, so reviewers have work from the first second
SUBMITTERS = 3
REVIEWERS = 3
LEASE = 2.0  # seconds: short, so the leases cut off by the crash expire soon after the restart
RUN_BEFORE_KILL = 1.2  # seconds of traffic before SIGKILL, at least ...
MIN_ACKED = 5  # ... and until this many submits and decisions were acknowledged


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _body(key: str) -> dict[str, Any]:
    return {"task_type": "support_reply", "output": f"answer for {key}", "attributes": {"key": key}}


@dataclass
class Traffic:
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempted: list[str] = field(default_factory=list)  # idempotency keys, in order
    acked: dict[str, str] = field(default_factory=dict)  # key -> item id, only once the 201 arrived
    held: dict[str, ReviewTask] = field(default_factory=dict)  # claimed, decision not (yet) acknowledged
    decided: dict[str, tuple[str, str]] = field(default_factory=dict)  # task -> (item, output), acked
    late: int = 0
    transport_errors: int = 0
    errors: list[BaseException] = field(default_factory=list)


def test_kill_9_loses_no_acknowledged_write(
    db_url, queue_policy, wall_context, make_accounts, servers, rows, lease_history
) -> None:
    ctx = wall_context(db_url, queue_policy)
    users = make_accounts(ctx)
    pipeline = users.add("pipeline", "submitter", tier=None)
    admin = users.add("admin", "admin", tier="specialist")
    reviewer_keys = {f"r{i}": users.add(f"r{i}", "reviewer") for i in range(REVIEWERS)}
    hoarder = users.add("hoarder", "reviewer")
    for n in range(SEEDED):
        intake.submit(ctx, _body(f"seed-{n}"), actor="seed", idempotency_key=f"seed-{n}")

    server = servers(db_url, queue_policy)
    traffic = Traffic()
    stop = threading.Event()

    def submitter(index: int) -> None:
        with Client(server.url, pipeline, timeout=10, retries=1) as client:
            n = 0
            while not stop.is_set():
                key = f"s{index}-{n}"
                n += 1
                with traffic.lock:
                    traffic.attempted.append(key)
                try:
                    item = client.submit(_body(key), idempotency_key=key)
                except httpx.TransportError:  # the server died before answering: not acknowledged
                    with traffic.lock:
                        traffic.transport_errors += 1
                    return
                except BaseException as exc:
                    with traffic.lock:
                        traffic.errors.append(exc)
                    return
                with traffic.lock:
                    traffic.acked[key] = item.id

    def reviewer(name: str) -> None:
        # retries=0: a decision counts as made only when its own 200 arrived, never via a retried request
        with Client(server.url, reviewer_keys[name], timeout=10, retries=0) as client:
            while not stop.is_set():
                try:
                    claimed = client.claim(limit=2, lease_seconds=LEASE)
                    with traffic.lock:
                        traffic.held.update({t.id: t for t in claimed})
                    for task in claimed:
                        output = f"{task.item.id} edited by {name}"
                        try:
                            client.decide(task, "edit", output=output, reason="crash test", category="tone")
                        except ConflictError:
                            # only legitimate when the lease had run out (the machine is busy)
                            if time.time() * 1000 < _ms(task.lease_expires_at):
                                raise
                            with traffic.lock:
                                traffic.late += 1
                            continue
                        with traffic.lock:
                            traffic.held.pop(task.id)
                            traffic.decided[task.id] = (task.item.id, output)
                except httpx.TransportError:
                    with traffic.lock:
                        traffic.transport_errors += 1
                    return
                except BaseException as exc:
                    with traffic.lock:
                        traffic.errors.append(exc)
                    return

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(SUBMITTERS)]
    threads += [threading.Thread(target=reviewer, args=(name,)) for name in reviewer_keys]
    for t in threads:
        t.start()
    started = time.monotonic()
    time.sleep(RUN_BEFORE_KILL / 2)
    with Client(server.url, hoarder, retries=0) as client:  # takes tasks and will never decide them
        hoarded = {t.id: t for t in client.claim(limit=3, lease_seconds=LEASE)}
    assert len(hoarded) == 3
    # kill once there is traffic of both kinds in flight (on a busy machine that may take more than a second)
    while time.monotonic() < started + 60 and not traffic.errors:
        with traffic.lock:
            enough = len(traffic.acked) >= MIN_ACKED and len(traffic.decided) >= MIN_ACKED
        if enough and time.monotonic() >= started + RUN_BEFORE_KILL:
            break
        time.sleep(0.05)

    server.kill()
    killed_at = time.monotonic()
    stop.set()
    for t in threads:
        t.join(30)
    assert traffic.errors == [], f"unexpected exceptions: {traffic.errors[:5]!r}"
    server.start()
    restarted_in = time.monotonic() - killed_at
    unacked = [k for k in traffic.attempted if k not in traffic.acked]
    print(
        f"\n[{ctx.db.engine.dialect.name}] before the kill: {len(traffic.acked)} submits and "
        f"{len(traffic.decided)} decisions acknowledged, {len(unacked)} submits and {len(traffic.held)} "
        f"claimed tasks cut off ({traffic.transport_errors} connection errors, {traffic.late} late); "
        f"restarted in {restarted_in:.1f}s"
    )
    assert len(traffic.acked) >= MIN_ACKED
    assert len(traffic.decided) >= MIN_ACKED

    with Client(server.url, admin, retries=3) as client, Client(server.url, pipeline, retries=3) as submit:
        # every acknowledged submit is there, unchanged
        for key, item_id in traffic.acked.items():
            item = client.get(item_id)
            assert item.item["output"] == f"answer for {key}"
        # every acknowledged decision is in its item's state
        for item_id, output in traffic.decided.values():
            item = client.get(item_id)
            assert item.status == "decided"
            assert item.decision is not None
            assert (item.decision.verdict, item.decision.output) == ("edit", output)
        # retrying the unacknowledged submits (and a few acknowledged ones) with their keys duplicates nothing
        for key in unacked + list(traffic.acked)[:5]:
            item = submit.submit(_body(key), idempotency_key=key)
            if key in traffic.acked:
                assert item.id == traffic.acked[key]

        # the leases cut off by the crash expire and their tasks are handed out again; drain everything
        cut_off = set(traffic.held) | set(hoarded)
        redelivered: set[str] = set()
        view = rows(db_url)
        drain = Client(server.url, reviewer_keys["r0"], retries=3)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            claimed = drain.claim(limit=10, lease_seconds=30)
            for task in claimed:
                redelivered.add(task.id)
                drain.decide(task, "approve", reason="after the restart")
            if not claimed:
                if all(t.status == "done" for t in view.tasks()):
                    break
                time.sleep(0.2)
        drain.close()
        assert all(t.status == "done" for t in view.tasks()), "tasks left open after the restart"

        verified = client.audit_verify()
        assert verified["ok"], verified["first_bad"]

    # the hoarded tasks (never decided) came back; every other cut-off task came back or had been decided
    # (a decision whose answer the crash swallowed)
    assert set(hoarded) <= redelivered
    reviews = view.reviews()
    reviewed = {r.task_id for r in reviews}
    assert cut_off <= redelivered | reviewed
    expired = {e.data["task_id"] for e in view.events("lease.expired")}
    assert set(hoarded) <= expired

    # nothing was applied twice: one item per idempotency key, one review per task and per item
    items = view.items()
    keys = Counter(i.idempotency_key for i in items)
    assert keys.most_common(1)[0][1] == 1
    assert set(keys) == set(traffic.attempted) | {f"seed-{n}" for n in range(SEEDED)}
    assert Counter(r.task_id for r in reviews).most_common(1)[0][1] == 1
    assert Counter(r.item_id for r in reviews).most_common(1)[0][1] == 1
    assert len(reviews) == len(items)
    assert all(i.status == "decided" for i in items)
    # each item's decision is the one review it got
    by_item = {r.item_id: r for r in reviews}
    for item in items:
        review = by_item[item.id]
        assert item.decision["verdict"] == review.verdict
        if review.verdict == "edit":
            assert item.decision["output"] == review.output
    decided_events = Counter(e.data["task_id"] for e in view.events("review.decided"))
    assert set(decided_events.values()) == {1}
    # and the audit trail's lease history has no task held twice, nor decided outside its lease
    with ctx.db.read() as conn:
        user_ids = {u.name: u.id for u in user_rows.all_users(conn)}
    events = view.events("task.claimed", "lease.expired", "task.released", "review.decided")
    assert lease_history(events, user_ids) == []
