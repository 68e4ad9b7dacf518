"""Two ``inloop serve`` processes on one PostgreSQL database, each running its own background work (SLA
sweep, lease reaping, webhook dispatch), with eight clients split over both: no task is handed out twice, no
SLA breach fires twice, no webhook is delivered twice. And a server's timers never wait behind its
webhooks."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from inloop import Client
from inloop.services import accounts, intake

pytestmark = pytest.mark.slow

CLIENTS = 8
FAST = 360  # queued without an SLA
TIMED = 40  # one-second SLA, escalated on every breach until someone decides them
SLA_SECONDS = 1
BREACH_FOR = 2.5  # seconds the timed items are left alone, so each breaches (and escalates) about twice


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    items: dict[str, str] = field(default_factory=dict)  # item id -> task type
    claims: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    decided: Counter[str] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_servers_never_double_claim_breach_or_deliver(
    db_url, queue_policy, wall_context, make_accounts, servers, webhook_receiver, rows, lease_history
) -> None:
    policy = {
        **queue_policy,
        "tasks": {
            "fast": {"queue": "fast"},
            "timed": {"queue": "timed", "sla": f"{SLA_SECONDS}s", "on_sla_breach": "escalate"},
        },
    }
    ctx = wall_context(db_url, policy)
    users = make_accounts(ctx)
    pipeline = users.add("pipeline", "submitter", tier=None)
    admin = users.add("admin", "admin", tier="specialist")
    # the top tier, so escalated tasks (which need a higher tier each time) stay claimable
    keys = [users.add(f"r{i}", "reviewer", tier="specialist") for i in range(CLIENTS)]

    both = [servers(db_url, policy), servers(db_url, policy)]
    with Client(both[0].url, admin) as client:
        events = ["item.decided", "item.revised", "item.escalated", "sla.breached"]
        client.create_webhook(webhook_receiver.url, events, secret=webhook_receiver.secret)

    shared = Shared()
    submitted = threading.Barrier(CLIENTS)
    fast_done = threading.Barrier(CLIENTS)
    timed_sent_at: list[float] = []

    def work(index: int) -> None:
        url = both[index % 2].url
        try:
            with Client(url, pipeline, retries=0) as client:
                for n in range(index, TIMED, CLIENTS):
                    item = client.submit({"task_type": "timed", "output": f"timed {n}"})
                    with shared.lock:
                        shared.items[item.id] = "timed"
            if submitted.wait() == 0:
                timed_sent_at.append(time.monotonic())
            with Client(url, pipeline, retries=0) as client:
                for n in range(index, FAST, CLIENTS):
                    item = client.submit({"task_type": "fast", "output": f"fast {n}"})
                    with shared.lock:
                        shared.items[item.id] = "fast"
            with Client(url, keys[index], retries=0) as client:
                review(client, index, "fast", FAST)
                fast_done.wait()
                time.sleep(max(0.0, timed_sent_at[0] + BREACH_FOR - time.monotonic()))
                review(client, index, "timed", TIMED)
        except BaseException as exc:
            with shared.lock:
                shared.errors.append(exc)
            submitted.abort()
            fast_done.abort()

    def review(client: Client, index: int, queue: str, expected: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            claimed = client.claim(queue=queue, limit=5)
            for task in claimed:
                with shared.lock:
                    shared.claims[task.id].append((f"r{index}", index % 2))
                client.decide(task, "approve", reason=f"r{index}")
                with shared.lock:
                    shared.decided[task.item.id] += 1
            if not claimed:
                with shared.lock:
                    done = sum(1 for i in shared.decided if shared.items[i] == queue)
                if done == expected:
                    return
                time.sleep(0.05)
        raise AssertionError(f"the {queue} queue was not drained")

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shared.errors == [], f"unexpected exceptions: {shared.errors[:5]!r}"
    elapsed = time.perf_counter() - started

    # every announced event reaches the receiver; then stop both servers and look at what arrived
    view = rows(db_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = [o for o in view.outbox() if o.status != "delivered"]
        if not pending:
            break
        time.sleep(0.2)
    assert pending == [], f"{len(pending)} deliveries not made: {Counter(o.status for o in pending)}"
    time.sleep(0.5)  # a second dispatcher sending the same row again would do it now
    with Client(both[1].url, admin) as client:
        verified = client.audit_verify()
    assert verified["ok"], verified["first_bad"]
    for server in both:
        server.stop()

    outbox = view.outbox()
    per_server = Counter(server for c in shared.claims.values() for _, server in c)
    late = [e.at_ms - _ms(e.data["deadline"]) for e in view.events("sla.breached")]
    print(
        f"\n[postgresql, 2 servers] {len(shared.items)} submits and {sum(shared.decided.values())} decisions "
        f"over HTTP in {elapsed:.1f}s; claims per server {dict(per_server)}; "
        f"{len(late)} SLA breaches (applied {max(late, default=0)} ms after the deadline at worst); "
        f"{len(outbox)} webhooks"
    )

    # no double claims: every task handed out once, decided once
    assert len(shared.items) == FAST + TIMED
    assert len(shared.claims) == FAST + TIMED
    assert all(len(c) == 1 for c in shared.claims.values())
    assert set(shared.decided) == set(shared.items)
    assert set(shared.decided.values()) == {1}
    reviews = view.reviews()
    assert len(reviews) == FAST + TIMED
    assert Counter(r.task_id for r in reviews).most_common(1)[0][1] == 1
    assert all(i.status == "decided" for i in view.items())
    claim_events = view.events("task.claimed", "lease.expired", "task.released", "review.decided")
    assert Counter(e.data["task_id"] for e in claim_events if e.event == "task.claimed") == Counter(
        dict.fromkeys(shared.claims, 1)
    )
    user_ids = {f"r{i}": accounts.by_name(ctx, f"r{i}").id for i in range(CLIENTS)}
    assert lease_history(claim_events, user_ids) == []

    # every SLA breach fired once: each breach is at a distinct deadline, and each escalation's new deadline
    # is the next breach's deadline
    breaches: dict[str, list[Any]] = defaultdict(list)
    escalations: dict[str, list[Any]] = defaultdict(list)
    for e in view.events("sla.breached", "item.escalated"):
        (breaches if e.event == "sla.breached" else escalations)[e.item_id].append(e)
    timed = {i for i, kind in shared.items.items() if kind == "timed"}
    assert set(breaches) == timed, "every timed item breached, and only those"
    for item_id in timed:
        deadlines = [_ms(e.data["deadline"]) for e in breaches[item_id]]
        assert len(deadlines) == len(set(deadlines)), f"{item_id}: a breach fired twice: {deadlines}"
        assert len(escalations[item_id]) == len(breaches[item_id])
        renewed = [_ms(e.data["deadline"]) for e in escalations[item_id]]
        assert deadlines[1:] == renewed[:-1]
        for e in breaches[item_id]:
            assert e.at_ms >= _ms(e.data["deadline"])

    # webhooks: each delivery arrived exactly once, signed, and matches what was announced
    assert webhook_receiver.bad_signatures == 0
    assert Counter(webhook_receiver.ids.values()) == Counter({1: len(outbox)})
    assert set(webhook_receiver.ids) == {o.id for o in outbox}
    decided_hooks = Counter(m["data"]["item_id"] for m in webhook_receiver.events_of("item.decided"))
    assert decided_hooks == Counter(dict.fromkeys(shared.items, 1))
    breach_hooks = Counter(m["data"]["item_id"] for m in webhook_receiver.events_of("sla.breached"))
    assert breach_hooks == Counter({i: len(b) for i, b in breaches.items()})


SLOW_HOOKS = 12
HOOK_DELAY = 1.5  # seconds per delivery: a backlog of 18 s


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_slow_webhook_endpoint_never_holds_back_timers(
    db_url, queue_policy, wall_context, make_accounts, servers, webhook_receiver, rows
) -> None:
    """A server's timers (SLA fallbacks, lease expiry) run beside webhook delivery, not behind it: with a
    backlog of deliveries to an endpoint that answers slowly, an SLA still breaches on time."""
    policy = {
        **queue_policy,
        "levels": {**queue_policy["levels"], "fine": {"confident": "auto", "unsure": "auto"}},
        "tasks": {"auto": {"risk": "fine"}, "timed": {"sla": "1s", "on_sla_breach": "release"}},
    }
    ctx = wall_context(db_url, policy)
    admin = make_accounts(ctx).add("admin", "admin", tier="specialist")
    server = servers(db_url, policy)
    with Client(server.url, admin) as client:
        client.create_webhook(webhook_receiver.url, ["item.decided"], secret=webhook_receiver.secret)
    webhook_receiver.delay = HOOK_DELAY
    for n in range(SLOW_HOOKS):  # released at once: one item.decided delivery each
        intake.submit(ctx, {"task_type": "auto", "output": f"auto {n}"}, actor="test")
    time.sleep(0.5)  # the dispatcher is now busy with the backlog
    timed, _ = intake.submit(ctx, {"task_type": "timed", "output": "timed"}, actor="test")
    deadline = time.monotonic() + SLOW_HOOKS * HOOK_DELAY
    while intake.get_item(ctx, timed["id"])["decision"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    webhook_receiver.delay = 0.0
    view = rows(db_url)
    breaches = [e for e in view.events("sla.breached") if e.item_id == timed["id"]]
    assert len(breaches) == 1, "the SLA fallback did not apply while webhooks were being delivered"
    breach = breaches[0]
    late = breach.at_ms - _ms(breach.data["deadline"])
    print(
        f"\n[sqlite] SLA applied {late} ms after its deadline, "
        f"beside a {SLOW_HOOKS * HOOK_DELAY:.0f} s backlog of webhooks"
    )
    assert late < 5000, f"the SLA fallback waited {late} ms for the webhook backlog"
    assert intake.get_item(ctx, timed["id"])["decision"]["provisional"] is True
