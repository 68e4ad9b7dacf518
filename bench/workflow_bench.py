"""The durable review workflow under load: submit, claim+decide, claim latency by queue depth, server memory.

Every figure is measured beside a baseline taken in the same run on the same database (see bench/README.md):

1. Submit in-process (``intake.submit``, a policy that queues everything and runs no check) vs a raw
   single-row INSERT of the same item row with SQLAlchemy Core, one transaction each; SQLite and PostgreSQL.
   Beside it the raw write set: every row a submit must write, as plain statements in one transaction. A
   statement count and a cProfile of submit show where the time goes.
2. Submit over HTTP to a real ``inloop serve`` (httpx clients in threads, 1 and 8): rate, p50/p99, and the
   multiple of Label Studio 1.23's figures quoted in the issue; beside it ``GET /healthz``, the most
   requests/s any endpoint of that server can answer here.
3. claim+decide with 1, 4 and 16 reviewers in-process on PostgreSQL vs the raw SQL of one claim (``UPDATE
   ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)``) + a decision INSERT, same thread counts, on a
   copy of the same queue, and vs the raw write set of a cycle (item read, task closed, review, decision,
   audit events); and over HTTP with 1 and 8 reviewers (double hand-outs and 5xx counted).
4. Claim latency (``claim(limit=1)``) with 1k and 1M queued items on PostgreSQL (1k and 100k on SQLite),
   the queue bulk-loaded straight into items/tasks; EXPLAIN ANALYZE of the claim's SELECT on the big queue.
5. Resident memory (VmRSS) of the ``inloop serve`` process after start-up and after the HTTP runs.

Usage::

    .venv/bin/python bench/workflow_bench.py                  # full run, both backends (< 10 minutes)
    .venv/bin/python bench/workflow_bench.py --quick          # smoke run (< 60 s)
    .venv/bin/python bench/workflow_bench.py --backend postgres --pg-depths 1000,1000000

Prints the results as JSON on stdout (a readable table on stderr) and writes bench/out/workflow_bench.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import bindparam, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _bench_util import (
    QUEUE_ALL_POLICY,
    ROOT,
    Exhausted,
    PgWaitSampler,
    SqlCounter,
    ThreadRun,
    analyze,
    bulk_queue,
    json_size,
    latency_ms,
    machine,
    make_item,
    pg_create,
    pg_drop,
    proc_cpu_seconds,
    proc_memory_mib,
    reset_workflow,
    run_threads,
)
from inloop import Gate, Item, __version__
from inloop.domain.audit import chain_for
from inloop.ids import new_id, new_secret
from inloop.services import accounts, intake, review
from inloop.services.accounts import Principal
from inloop.services.context import Context
from inloop.storage import Database, open_database, tables
from inloop.storage.database import Connection
from inloop.storage.tables import items as items_table
from testkit.server import Server

OUT = ROOT / "bench" / "out" / "workflow_bench.json"
PG_ADMIN = os.environ.get("INLOOP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DBNAME = "inloop_bench"

# Label Studio 1.23 on its default SQLite, as measured and quoted in the issue (same kind of machine):
# "about 45 single-task imports/s with one client and 20-23 with eight; about 12 next-task + annotation
# cycles/s with one reviewer and 8 with eight; 350-380 MiB resident". For eight clients the upper figure (23)
# is used, so the multiple reported is the smaller one.
LS_SUBMIT_PER_S = {1: 45.0, 8: 23.0}
LS_CYCLES_PER_S = {1: 12.0, 8: 8.0}
LS_RSS_MIB = (350, 380)
TARGET_MULTIPLE = 30.0
TARGET_P99_MS = 100.0
TARGET_RSS_MIB = 150.0
TARGET_RATIO = 0.5
FLAT_FACTOR = 1.5  # "flat": p50 at the deepest queue within 1.5x of p50 at 1k


@dataclass
class Sizes:
    submit_rounds: int
    submit_slice_seconds: float
    profile_ops: int
    http_seconds: float
    claim_threads: tuple[int, ...]
    claim_seconds: float
    claim_queue: int
    depth_claims: int
    depth_seconds: float
    pg_depths: tuple[int, ...]
    sqlite_depths: tuple[int, ...]
    idle_seconds: float


FULL = Sizes(
    submit_rounds=3,
    submit_slice_seconds=2.5,
    profile_ops=100,
    http_seconds=6.0,
    claim_threads=(1, 4, 16),
    claim_seconds=5.0,
    claim_queue=40_000,
    depth_claims=300,
    depth_seconds=45.0,
    pg_depths=(1_000, 1_000_000),
    sqlite_depths=(1_000, 100_000),
    idle_seconds=3.0,
)
QUICK = Sizes(
    submit_rounds=2,
    submit_slice_seconds=0.5,
    profile_ops=20,
    http_seconds=1.0,
    claim_threads=(1, 4, 16),
    claim_seconds=0.8,
    claim_queue=5_000,
    depth_claims=60,
    depth_seconds=5.0,
    pg_depths=(1_000, 20_000),
    sqlite_depths=(1_000, 20_000),
    idle_seconds=0.5,
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------
# A backend: database, service context, users and keys
# --------------------------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    url: str
    ctx: Context
    gate: Gate
    submitter: Principal
    reviewers: list[Principal]
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def is_pg(self) -> bool:
        return not self.db.is_sqlite


@contextmanager
def open_backend(name: str, tmp: Path, reviewers: int) -> Iterator[Backend]:
    """A fresh, migrated database of ``name`` with a submitter and ``reviewers`` reviewers, each with a key;
    dropped (PostgreSQL) or deleted (SQLite) afterwards."""
    url = pg_create(PG_ADMIN, PG_DBNAME) if name == "postgres" else f"sqlite:///{tmp / 'bench.db'}"
    gate = Gate.from_dict(QUEUE_ALL_POLICY)
    ctx = Context(db=open_database(url), gate=gate)
    try:
        submitter = accounts.add_user(ctx, "bench-submitter", "submitter")
        revs = [accounts.add_user(ctx, f"rev{i:02d}", "reviewer", tier="senior") for i in range(reviewers)]
        backend = Backend(name, url, ctx, gate, submitter, revs)
        for who in (submitter, *revs):
            backend.keys[who.name] = accounts.create_key(ctx, who.name)[1]
        yield backend
    finally:
        ctx.db.close()
        if name == "postgres":
            pg_drop(PG_ADMIN, PG_DBNAME)
        else:
            for suffix in ("", "-wal", "-shm"):
                (tmp / f"bench.db{suffix}").unlink(missing_ok=True)


def policy_version(gate: Gate) -> str:
    return gate.policy_version


# --------------------------------------------------------------------------------------------------------
# 1. Submit in-process vs a raw single-row INSERT
# --------------------------------------------------------------------------------------------------------

PROFILE_POINTS: tuple[tuple[str, str, str], ...] = (
    # label, file suffix, function: the cumulative time of each, per submit
    ("submit (total)", "services/intake.py", "submit"),
    ("Item.parse", "domain/item.py", "parse"),
    ("body_hash", "services/intake.py", "body_hash"),
    ("_existing: idempotency read txn", "services/intake.py", "_existing"),
    ("gate.route", "inloop/gate.py", "route"),
    ("_store: write txn (total)", "services/intake.py", "_store"),
    ("items.insert (SAVEPOINT + INSERT)", "storage/items.py", "insert"),
    ("context.record: audit events", "services/context.py", "record"),
    ("open_task: task row + its event", "services/intake.py", "open_task"),
    ("COMMIT", "sqlalchemy/engine/base.py", "_commit_impl"),
    (
        "SQLAlchemy: execute, from compiled statement to result",
        "sqlalchemy/engine/base.py",
        "_execute_context",
    ),
    ("SQLAlchemy: building statements with .values(...)", "sqlalchemy/sql/dml.py", "values"),
    (
        "SQLAlchemy: cache keys of freshly built statements",
        "sqlalchemy/sql/cache_key.py",
        "_generate_cache_key",
    ),
    ("pool checkout", "sqlalchemy/pool/base.py", "checkout"),
    ("resource()", "services/intake.py", "resource"),
)


def profile_breakdown(profile: cProfile.Profile, ops: int, unprofiled_us: float) -> dict[str, Any]:
    """Cumulative time of the :data:`PROFILE_POINTS` per op, as a share of submit and as estimated µs (the
    share times the unprofiled mean, which removes most of the profiler's own overhead). Where several
    functions match (a method and the wrapper that calls it), the largest cumulative time is taken."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    for label, suffix, func in PROFILE_POINTS:
        cumulative[label] = sum(
            ct
            for (file, _, name), (_, _, _, ct, _) in stats.items()
            if name == func and file.endswith(suffix)
        )
    total = cumulative["submit (total)"] or 1.0
    return {
        label: {"share_pct": round(100 * ct / total, 1), "est_us": round(unprofiled_us * ct / total, 1)}
        for label, ct in cumulative.items()
    }


def statement_styles(db: Database, rounds: int = 4, n: int = 40) -> dict[str, float]:
    """µs per call of the statements audit.append sends, built the way storage/ builds them (a new
    ``insert().values(...)`` / ``select().where(col == value)`` per call) and prebuilt once with bound
    parameters; plus the four audit rows of one submit as one executemany. In one transaction, rolled back."""
    heads = tables.audit_heads
    events = tables.audit_events
    prebuilt_insert = events.insert()
    prebuilt_head = (
        select(heads.c.seq, heads.c.hash).where(heads.c.chain == bindparam("chain")).with_for_update()
    )
    serial = [0]

    def row() -> dict[str, Any]:
        serial[0] += 1
        return {
            "chain": 0,
            "seq": 10**12 + serial[0],
            "item_id": None,
            "event": "bench.event",
            "actor": "user:bench",
            "at_ms": 0,
            "data": {"task_id": f"tsk_{serial[0]}", "kind": "review", "queue": "bench", "priority": 1},
            "prev_hash": "0" * 64,
            "hash": "0" * 64,
        }

    styles: dict[str, Callable[[Connection], object]] = {
        "insert_values_built_per_call": lambda c: c.execute(events.insert().values(**row())),
        "insert_prebuilt_with_parameters": lambda c: c.execute(prebuilt_insert, row()),
        "insert_4_rows_one_executemany_per_row": lambda c: c.execute(
            prebuilt_insert, [row(), row(), row(), row()]
        ),
        "select_head_built_per_call": lambda c: c.execute(
            select(heads.c.seq, heads.c.hash).where(heads.c.chain == serial[0] % 17).with_for_update()
        ).one(),
        "select_head_prebuilt_with_parameters": lambda c: c.execute(
            prebuilt_head, {"chain": serial[0] % 17}
        ).one(),
    }
    spent = dict.fromkeys(styles, 0.0)
    with db.engine.connect() as conn:
        trans = conn.begin()
        for op in styles.values():  # warm the compiled cache
            op(conn)
        for _ in range(rounds):
            for name, op in styles.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    op(conn)
                spent[name] += time.perf_counter() - t0
        trans.rollback()
    out = {name: round(1e6 * t / (rounds * n), 1) for name, t in spent.items()}
    out["insert_4_rows_one_executemany_per_row"] = round(out["insert_4_rows_one_executemany_per_row"] / 4, 1)
    return out


RAW_CHAIN = 1_000_000  # an audit chain of the floor's own, far from the service's (0..ITEM_CHAINS)


class RawWriteSet:
    """The floor under a submit: every row it writes (the item, its task, its audit events, the chain head)
    as plain Core statements in one transaction, with no Python of ours in between.

    The task and event rows are copies of those one real submit wrote (new ids, the floor's own chain), so
    their sizes are the service's; the hashes are not computed (a counter stands in), which leaves the
    database's work alone."""

    def __init__(self, bk: Backend, who: Principal, sample: dict[str, Any]) -> None:
        self.engine = bk.db.engine
        resource, _ = intake.submit(bk.ctx, sample, actor=who.actor, user_id=who.id)
        with self.engine.begin() as conn:
            tasks = conn.execute(select(tables.tasks).where(tables.tasks.c.item_id == resource["id"]))
            self.tasks = [dict(r._mapping) for r in tasks]
            events = conn.execute(
                select(tables.audit_events).where(tables.audit_events.c.item_id == resource["id"])
            )
            self.events = [{k: v for k, v in r._mapping.items() if k != "id"} for r in events]
            conn.execute(tables.audit_heads.insert(), {"chain": RAW_CHAIN, "seq": 0, "hash": "0" * 64})
        self.seq = 0
        self.rows = {"items": 1, "tasks": len(self.tasks), "audit_events": len(self.events), "audit_heads": 1}
        self._move_head = (
            tables.audit_heads.update()
            .where(tables.audit_heads.c.chain == RAW_CHAIN)
            .values(seq=bindparam("s"), hash=bindparam("h"))
        )

    def write(self, item_row: dict[str, Any]) -> None:
        item_id = item_row["id"]
        events = []
        for event in self.events:
            self.seq += 1
            prev, self_hash = f"{self.seq - 1:064x}", f"{self.seq:064x}"
            events.append(
                {
                    **event,
                    "chain": RAW_CHAIN,
                    "seq": self.seq,
                    "item_id": item_id,
                    "prev_hash": prev,
                    "hash": self_hash,
                }
            )
        with self.engine.begin() as conn:
            conn.execute(items_table.insert(), item_row)
            conn.execute(
                tables.tasks.insert(), [{**t, "id": new_id("tsk"), "item_id": item_id} for t in self.tasks]
            )
            conn.execute(tables.audit_events.insert(), events)
            conn.execute(self._move_head, {"s": self.seq, "h": f"{self.seq:064x}"})

    def drop(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(tables.audit_events.delete().where(tables.audit_events.c.chain == RAW_CHAIN))
            conn.execute(tables.audit_heads.delete().where(tables.audit_heads.c.chain == RAW_CHAIN))


def bench_submit_in_process(bk: Backend, sizes: Sizes) -> dict[str, Any]:
    reset_workflow(bk.db)
    sample = make_item(0)
    routing = bk.gate.route(sample).to_dict()
    insert = items_table.insert()
    now = int(time.time() * 1000)

    def raw_row(i: int, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id("itm"),
            "idempotency_key": None,
            "body_hash": f"{i:064x}",
            "task_type": item["task_type"],
            "status": "pending",
            "route": "queue",
            "risk": "low",
            "queue": "bench",
            "body": item,
            "routing": routing,
            "policy_version": policy_version(bk.gate),
            "deadline_ms": now + 4 * 3_600_000,
            "sla_state": "running",
            "decision": None,
            "escaped_error": False,
            "submitted_by": bk.submitter.id,
            "created_ms": now,
            "decided_ms": None,
        }

    engine = bk.db.engine
    who = bk.submitter
    ctx = bk.ctx
    pool = [make_item(i) for i in range(1, 1001)]  # items to submit, reused round-robin (no ids: all new)
    # the raw row carries the body exactly as submit stores it (the parsed item, defaults filled in)
    stored = [Item.parse(it).model_dump(mode="json", exclude={"id"}) for it in pool]
    serial = [0]

    def next_item() -> dict[str, Any]:
        serial[0] += 1
        return pool[serial[0] % len(pool)]

    def raw_once() -> None:
        serial[0] += 1
        row = raw_row(serial[0], stored[serial[0] % len(stored)])
        with engine.begin() as conn:
            conn.execute(insert, row)

    write_set = RawWriteSet(bk, who, pool[0])

    def raw_write_set_once() -> None:
        serial[0] += 1
        write_set.write(raw_row(serial[0], stored[serial[0] % len(stored)]))

    def submit_once(keyed: bool) -> None:
        key = uuid.uuid4().hex if keyed else None
        _, created = intake.submit(ctx, next_item(), actor=who.actor, user_id=who.id, idempotency_key=key)
        assert created

    hop = ThreadPoolExecutor(1)
    ops: dict[str, Callable[[], None]] = {
        "raw_insert": raw_once,
        "raw_write_set": raw_write_set_once,
        "submit": lambda: submit_once(False),
        "submit_with_key": lambda: submit_once(True),
        # as inloop serve runs it: handed to a worker thread and back (FastAPI does so for sync endpoints)
        "submit_with_key_on_a_worker_thread": lambda: hop.submit(submit_once, True).result(),
    }

    cpu: dict[str, float] = dict.fromkeys(ops, 0.0)

    def timed(
        op: Callable[[], None], seconds: float, lat: list[float], max_ops: int = 1 << 30, name: str = ""
    ) -> None:
        c0 = time.process_time()
        try:
            _timed(op, seconds, lat, max_ops)
        finally:
            if name:
                cpu[name] += time.process_time() - c0

    def _timed(op: Callable[[], None], seconds: float, lat: list[float], max_ops: int) -> None:
        end = time.perf_counter() + seconds
        while len(lat) < max_ops:
            t0 = time.perf_counter()
            op()
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            if t1 >= end:
                return

    for op in ops.values():  # warm-up: connections, statement caches, the gate
        timed(op, 0.0, [], 3)
    lat: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(sizes.submit_rounds):  # interleaved time slices, so load on the machine hits all alike
        for name, op in ops.items():
            timed(op, sizes.submit_slice_seconds, lat[name], name=name)

    def rate(xs: list[float]) -> float:
        return len(xs) / sum(xs)

    result: dict[str, Any] = {
        "item_json_bytes": json_size(sample),
        "stored_body_json_bytes": json_size(stored[0]),
        "routing_json_bytes": json_size(routing),
        "method": f"{sizes.submit_rounds} rounds of {sizes.submit_slice_seconds} s per variant, interleaved; "
        "one thread; rate = operations / sum of their times",
    }
    for name, xs in lat.items():
        result[name] = {
            "ops": len(xs),
            "per_s": round(rate(xs), 1),
            "latency": latency_ms(xs),
            "bench_process_cpu_ms_per_op": round(1000 * cpu[name] / len(xs), 3),
        }
    result["ratio_submit_to_raw"] = round(rate(lat["submit"]) / rate(lat["raw_insert"]), 3)
    result["ratio_submit_with_key_to_raw"] = round(rate(lat["submit_with_key"]) / rate(lat["raw_insert"]), 3)
    result["ratio_raw_write_set_to_raw"] = round(rate(lat["raw_write_set"]) / rate(lat["raw_insert"]), 3)
    result["ratio_submit_to_raw_write_set"] = round(rate(lat["submit"]) / rate(lat["raw_write_set"]), 3)
    result["raw_write_set_rows"] = write_set.rows
    result["thread_hop_cpu_ms_per_op"] = round(
        result["submit_with_key_on_a_worker_thread"]["bench_process_cpu_ms_per_op"]
        - result["submit_with_key"]["bench_process_cpu_ms_per_op"],
        3,
    )
    write_set.drop()
    hop.shutdown()

    # Where the time goes: statements and database time per op (no profiler), then a cProfile.
    n = max(20, min(sizes.profile_ops, len(lat["submit"])))
    raw_counter = SqlCounter(engine)
    with raw_counter.active():
        timed(raw_once, 1e9, [], n)
    counter = SqlCounter(engine)
    with counter.active():
        timed(ops["submit"], 1e9, [], n)
    profile = cProfile.Profile()
    profile.enable()
    timed(ops["submit"], 1e9, [], n)
    profile.disable()
    mean_us = 1e6 * sum(lat["submit"]) / len(lat["submit"])
    result["where_time_goes"] = {
        "ops": n,
        "raw_insert_sql": raw_counter.per_op(n),
        "submit_sql": counter.per_op(n),
        "submit_profile": profile_breakdown(profile, n, mean_us),
        "submit_mean_us": round(mean_us, 1),
        "statement_styles_us": statement_styles(bk.db, rounds=2 if n < 50 else 4),
    }
    return result


# --------------------------------------------------------------------------------------------------------
# 2 + 3b + 5. Over HTTP: submit, claim+decide, server memory
# --------------------------------------------------------------------------------------------------------


class HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.label = f"HTTP {status}"


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60.0)


def run_sessions(
    sessions: list[httpx.Client], seconds: float, make_op: Callable[[int, httpx.Client], Callable[[], None]]
) -> ThreadRun:
    """One thread per client session running ``make_op(i, session)``; the connections are opened before the
    timing starts and closed after."""
    for s in sessions:
        s.get("/healthz")
    try:
        return run_threads(len(sessions), seconds, lambda i: make_op(i, sessions[i]))
    finally:
        for s in sessions:
            s.close()


def http_floor(url: str, clients: int, seconds: float) -> ThreadRun:
    """GET /healthz (no key, no database, a constant body) from ``clients`` threads: what the server, httpx
    and the loopback cost per request before an endpoint does any work. It is a sync endpoint, as every
    database endpoint is (each pays the same hop to a worker thread), so this is the most requests per
    second any of them can answer on this machine."""

    def make_op(i: int, http: httpx.Client) -> Callable[[], None]:
        def op() -> None:
            r = http.get("/healthz")
            if r.status_code != 200:
                raise HttpError(r.status_code)

        return op

    return run_sessions([httpx.Client(base_url=url, timeout=60.0) for _ in range(clients)], seconds, make_op)


def http_submit(url: str, key: str, clients: int, seconds: float, start: int) -> ThreadRun:
    """POST /v1/items with an Idempotency-Key (as inloop.Client sends one) from ``clients`` threads."""
    counters = [start + i * 10_000_000 for i in range(clients)]

    def make_op(i: int, http: httpx.Client) -> Callable[[], None]:
        def op() -> None:
            counters[i] += 1
            body = make_item(counters[i])
            r = http.post("/v1/items", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            if r.status_code != 201:
                raise HttpError(r.status_code)

        return op

    return run_sessions([_client(url, key) for _ in range(clients)], seconds, make_op)


def http_claim_decide(url: str, keys: list[str], seconds: float) -> ThreadRun:
    """Each reviewer thread: POST /v1/reviews/claim {limit: 1}, then POST the decision; a cycle is timed."""
    claimed: list[list[str]] = [[] for _ in keys]
    claim_lat: list[list[float]] = [[] for _ in keys]
    decide_lat: list[list[float]] = [[] for _ in keys]

    def make_op(i: int, http: httpx.Client) -> Callable[[], None]:
        def op() -> None:
            t0 = time.perf_counter()
            r = http.post("/v1/reviews/claim", json={"limit": 1})
            t1 = time.perf_counter()
            if r.status_code != 200:
                raise HttpError(r.status_code)
            tasks = r.json()["tasks"]
            if not tasks:
                raise Exhausted
            task = tasks[0]
            claimed[i].append(task["id"])
            claim_lat[i].append(t1 - t0)
            d = http.post(
                f"/v1/reviews/{task['id']}/decision",
                json={"lease_token": task["lease_token"], "verdict": "approve", "reason": "looks right"},
            )
            decide_lat[i].append(time.perf_counter() - t1)
            if d.status_code != 200:
                raise HttpError(d.status_code)

        return op

    run = run_sessions([_client(url, k) for k in keys], seconds, make_op)
    seen = Counter(t for xs in claimed for t in xs)
    run.extra = {
        "claim": latency_ms([x for xs in claim_lat for x in xs]),
        "decide": latency_ms([x for xs in decide_lat for x in xs]),
        "tasks_handed_out_twice": sum(1 for n in seen.values() if n > 1),
    }
    return run


def measured(pid: int, op: Callable[[], ThreadRun]) -> dict[str, Any]:
    """``op``'s summary, with the CPU per operation of the server (``pid``) and of the clients (here)."""
    c0, b0 = proc_cpu_seconds(pid), time.process_time()
    run = op()
    s = run.summary()
    s["server_cpu_ms_per_op"] = round(1000 * (proc_cpu_seconds(pid) - c0) / max(1, run.ops), 3)
    s["clients_cpu_ms_per_op"] = round(1000 * (time.process_time() - b0) / max(1, run.ops), 3)
    return s


def open_tasks(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'open'")).scalar_one())


def bench_http(bk: Backend, sizes: Sizes, tmp: Path) -> dict[str, Any]:
    reset_workflow(bk.db)
    policy_path = tmp / "policy.yaml"
    policy_path.write_text(yaml.safe_dump(QUEUE_ALL_POLICY, sort_keys=False))
    log_path = tmp / f"serve-{bk.name}.log"
    # the server's default sweep interval (1 s), not the 0.2 s the tests use
    server = Server(bk.url, policy_path, log_path, env={"INLOOP_SWEEP_INTERVAL_SECONDS": "1"})
    result: dict[str, Any] = {}
    t0 = time.perf_counter()
    server.start(timeout=180)
    assert server.proc is not None
    pid = server.proc.pid
    result["server_start_s"] = round(time.perf_counter() - t0, 2)
    try:
        time.sleep(sizes.idle_seconds)
        memory: dict[str, Any] = {"after_start": proc_memory_mib(pid)}
        floor: dict[str, dict[str, Any]] = {"submit": {}, "cycles": {}}

        def with_floor(kind: str, clients: int, op: Callable[[], ThreadRun]) -> dict[str, Any]:
            """``op`` right after the floor with as many clients, so both meet the machine alike (its speed
            drifts by minutes here); the floor's ceiling is for ``kind`` (a cycle is two requests)."""
            log(f"  {bk.name}: HTTP floor (GET /healthz) before {kind}, {clients} client(s)")
            base = measured(pid, lambda: http_floor(server.url, clients, sizes.http_seconds / 2))
            per_op = 2 if kind == "cycles" else 1
            ls = (LS_CYCLES_PER_S if kind == "cycles" else LS_SUBMIT_PER_S)[clients]
            base["ceiling_x_label_studio"] = round(base["per_s"] / per_op / ls, 1)
            floor[kind][f"{clients}_clients"] = base
            log(f"  {bk.name}: HTTP {kind}, {clients} client(s)")
            s = measured(pid, op)
            s["x_label_studio"] = round(s["per_s"] / ls, 1)
            s["share_of_floor"] = round(per_op * s["per_s"] / base["per_s"], 3)
            return s

        submit: dict[str, Any] = {}
        for clients in (1, 8):
            submit[f"{clients}_clients"] = with_floor(
                "submit",
                clients,
                partial(
                    http_submit, server.url, bk.keys[bk.submitter.name], clients, sizes.http_seconds, clients
                ),
            )
        result["submit"] = submit

        cycles: dict[str, Any] = {}
        for reviewers in (1, 8):
            need = int(reviewers * sizes.http_seconds * 400)
            have = open_tasks(bk.db)
            if have < need:
                sample = make_item(0)
                bulk_queue(
                    bk.db,
                    need - have,
                    body=sample,
                    routing=bk.gate.route(sample).to_dict(),
                    policy_version=policy_version(bk.gate),
                )
            keys = [bk.keys[r.name] for r in bk.reviewers[:reviewers]]
            cycles[f"{reviewers}_reviewers"] = with_floor(
                "cycles", reviewers, partial(http_claim_decide, server.url, keys, sizes.http_seconds)
            )
        result["floor_healthz"] = floor
        result["claim_decide"] = cycles
        time.sleep(sizes.idle_seconds)
        memory["after_http_runs"] = proc_memory_mib(pid)
        result["server_memory_mib"] = memory
    finally:
        server.stop()
    lines = log_path.read_text(errors="replace").splitlines()
    result["server_log_errors"] = [ln for ln in lines if "Traceback" in ln or " 500 " in ln][:5]
    return result


# --------------------------------------------------------------------------------------------------------
# 3a. claim+decide in-process vs the raw claim SQL (PostgreSQL)
# --------------------------------------------------------------------------------------------------------

RAW_CLAIM = text(
    "UPDATE bench_raw_tasks SET status = 'leased', lease_token = :token, lease_owner = :owner, "
    "lease_expires_ms = :expires, claimed_ms = :now "
    "WHERE id = (SELECT id FROM bench_raw_tasks WHERE status = 'open' "
    "ORDER BY priority, deadline_ms, created_ms LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, item_id"
)
RAW_DECIDE = text(
    "INSERT INTO bench_raw_reviews (id, task_id, item_id, kind, reviewer, verdict, output, reason, category, "
    "claimed_ms, decided_ms, handling_ms) VALUES (:id, :task_id, :item_id, 'review', :reviewer, 'approve', "
    "NULL, 'looks right', NULL, :now, :now, 0)"
)


def _raw_claim(conn: Connection, owner: str, token: str, now: int) -> Any:
    """The raw claim of one task for ``owner``: its (id, item_id) row, or None when the queue is empty."""
    return conn.execute(
        RAW_CLAIM, {"token": token, "owner": owner, "expires": now + 300_000, "now": now}
    ).first()


def _raw_review(conn: Connection, task: Any, owner: str, now: int) -> None:
    """The raw decision row of a task claimed by :func:`_raw_claim`."""
    conn.execute(
        RAW_DECIDE,
        {"id": new_id("rev"), "task_id": task.id, "item_id": task.item_id, "reviewer": owner, "now": now},
    )


RAW_TABLES = (
    "bench_raw_reviews, bench_raw_tasks, bench_raw_items, bench_raw_audit_events, bench_raw_audit_heads"
)


def _copy_queue(db: Database) -> None:
    """Copies (rows and indexes) of the queue for the baselines: ``bench_raw_tasks`` and ``bench_raw_items``
    filled, ``bench_raw_reviews`` and ``bench_raw_audit_events`` empty, ``bench_raw_audit_heads`` the chain
    heads."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {RAW_TABLES}")
        for name, filled in (
            ("tasks", True),
            ("items", True),
            ("reviews", False),
            ("audit_events", False),
            ("audit_heads", True),
        ):
            conn.exec_driver_sql(f"CREATE TABLE bench_raw_{name} (LIKE {name} INCLUDING ALL)")
            if filled:
                conn.exec_driver_sql(f"INSERT INTO bench_raw_{name} SELECT * FROM {name}")
    analyze(db)


RAW_READ_ITEM = text("SELECT body, routing FROM bench_raw_items WHERE id = :item_id")
RAW_CLOSE = text(
    "UPDATE bench_raw_tasks SET status = 'done', done_ms = :now, lease_token = NULL, lease_expires_ms = NULL "
    "WHERE id = :task_id AND status = 'leased' AND lease_token = :token AND lease_owner = :owner"
)
RAW_ITEM_DECIDED = text(
    "UPDATE bench_raw_items SET status = 'decided', sla_state = 'met', decision = CAST(:decision AS jsonb), "
    "decided_ms = :now WHERE id = :item_id"
)
RAW_MOVE_HEAD = text(
    "UPDATE bench_raw_audit_heads SET seq = seq + :n, hash = :hash WHERE chain = :chain RETURNING seq"
)
RAW_APPEND = text(
    "INSERT INTO bench_raw_audit_events (chain, seq, item_id, event, actor, at_ms, data, prev_hash, hash) "
    "VALUES (:chain, :seq, :item_id, :event, :actor, :at_ms, CAST(:data AS jsonb), :prev_hash, :hash)"
)


class RawCycle:
    """The floor under a claim+decide cycle: the rows the service writes and reads, as plain SQL on the
    copies, in the same two transactions (claim, decide) and with the lease check folded into the closing
    UPDATE. The audit events are copies of those one real cycle recorded (same count, same data), appended
    to the item's chain (the service's choice of chain) with its head moved in the same statement as the
    read; hashes are not computed (a counter stands in)."""

    def __init__(self, bk: Backend) -> None:
        self.engine = bk.db.engine
        who = bk.reviewers[0]
        with self.engine.connect() as conn:
            before = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar_one()
        task = review.claim(bk.ctx, who, limit=1)[0]
        with self.engine.connect() as conn:
            middle = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar_one()
        review.decide(
            bk.ctx, who, task["id"], lease_token=task["lease_token"], verdict="approve", reason="ok"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, event, actor, data FROM audit_events WHERE id > :b ORDER BY id"),
                {"b": before},
            ).all()
            self.decision = conn.execute(
                text("SELECT decision FROM items WHERE id = :i"), {"i": task["item"]["id"]}
            ).scalar_one()
        self.claim_events = [r for r in rows if r.id <= middle]
        self.decide_events = [r for r in rows if r.id > middle]
        self.events_per_cycle = {"claim": len(self.claim_events), "decide": len(self.decide_events)}

    def _append(self, conn: Connection, events: list[Any], item_id: str, now: int) -> None:
        chain = chain_for(item_id)
        top = conn.execute(
            RAW_MOVE_HEAD, {"n": len(events), "hash": f"{now:064x}", "chain": chain}
        ).scalar_one()
        conn.execute(
            RAW_APPEND,
            [
                {
                    "chain": chain,
                    "seq": top - len(events) + 1 + n,
                    "item_id": item_id,
                    "event": e.event,
                    "actor": e.actor,
                    "at_ms": now,
                    "data": json.dumps(e.data),
                    "prev_hash": "0" * 64,
                    "hash": f"{now:064x}",
                }
                for n, e in enumerate(events)
            ],
        )

    def op(self, owner: str) -> Callable[[], None]:
        decision = json.dumps(self.decision)

        def cycle() -> None:
            now = int(time.time() * 1000)
            token = new_secret("lease", 18)
            with self.engine.begin() as conn:
                row = _raw_claim(conn, owner, token, now)
                if row is None:
                    raise Exhausted
                conn.execute(RAW_READ_ITEM, {"item_id": row.item_id}).one()
                self._append(conn, self.claim_events, row.item_id, now)
            with self.engine.begin() as conn:
                closed = conn.execute(
                    RAW_CLOSE, {"now": now, "task_id": row.id, "token": token, "owner": owner}
                )
                if closed.rowcount != 1:
                    raise RuntimeError("lost the lease")
                _raw_review(conn, row, owner, now)
                conn.execute(RAW_ITEM_DECIDED, {"decision": decision, "now": now, "item_id": row.item_id})
                self._append(conn, self.decide_events, row.item_id, now)

        return cycle


def bench_claim_decide(bk: Backend, sizes: Sizes) -> dict[str, Any]:
    reset_workflow(bk.db)
    sample = make_item(0)
    load = bulk_queue(
        bk.db,
        sizes.claim_queue,
        body=sample,
        routing=bk.gate.route(sample).to_dict(),
        policy_version=policy_version(bk.gate),
    )
    raw_cycle = RawCycle(bk)  # one real cycle first: the floor copies its audit events
    _copy_queue(bk.db)
    ctx, engine = bk.ctx, bk.db.engine

    def service_op(i: int) -> Callable[[], None]:
        who = bk.reviewers[i]

        def op() -> None:
            tasks = review.claim(ctx, who, limit=1)
            if not tasks:
                raise Exhausted
            t = tasks[0]
            review.decide(ctx, who, t["id"], lease_token=t["lease_token"], verdict="approve", reason="ok")

        return op

    def raw_op(i: int) -> Callable[[], None]:
        owner = bk.reviewers[i].id

        def op() -> None:
            now = int(time.time() * 1000)
            with engine.begin() as conn:
                row = _raw_claim(conn, owner, new_secret("lease", 18), now)
            if row is None:
                raise Exhausted
            with engine.begin() as conn:
                _raw_review(conn, row, owner, now)

        return op

    result: dict[str, Any] = {
        "queue": sizes.claim_queue,
        "load": load.to_dict(),
        "raw_sql": "UPDATE bench_raw_tasks SET status='leased', ... WHERE id = (SELECT id ... WHERE "
        "status='open' ORDER BY priority, deadline_ms, created_ms LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING "
        "id, item_id; then INSERT INTO bench_raw_reviews (...): two transactions, like claim and decide",
        "raw_write_set": "the raw claim + reading the item + its audit events (head UPDATE ... "
        "RETURNING, INSERT); then closing the task (lease checked in the UPDATE), the review INSERT, the "
        "item's decision UPDATE + its audit events; on copies of tasks, items, reviews, audit_events and "
        "audit_heads",
        "audit_events_per_cycle": raw_cycle.events_per_cycle,
        "runs": {},
    }
    for threads in sizes.claim_threads:
        log(f"  {bk.name}: claim+decide in-process, {threads} reviewer thread(s)")
        with PgWaitSampler(PG_ADMIN, PG_DBNAME) as waits:
            service = run_threads(threads, sizes.claim_seconds, service_op)
        service.extra = {"pg_sessions_mean": waits.summary()}
        with PgWaitSampler(PG_ADMIN, PG_DBNAME) as waits:
            raw = run_threads(threads, sizes.claim_seconds, raw_op)
        raw.extra = {"pg_sessions_mean": waits.summary()}
        write_set = run_threads(threads, sizes.claim_seconds, lambda i: raw_cycle.op(bk.reviewers[i].id))
        result["runs"][f"{threads}_threads"] = {
            "service": service.summary(),
            "raw": raw.summary(),
            "raw_write_set": write_set.summary(),
            "ratio": round(service.rate / raw.rate, 3) if raw.rate else None,
            "ratio_raw_write_set_to_raw": round(write_set.rate / raw.rate, 3) if raw.rate else None,
            "ratio_service_to_raw_write_set": round(service.rate / write_set.rate, 3)
            if write_set.rate
            else None,
        }
    # exactly once: every decided task has one review, no review without its claim
    with engine.connect() as conn:
        dup = conn.execute(
            text("SELECT count(*) FROM (SELECT task_id FROM reviews GROUP BY task_id HAVING count(*) > 1) d")
        ).scalar_one()
        decided = conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'done'")).scalar_one()
        reviews = conn.execute(text("SELECT count(*) FROM reviews")).scalar_one()
    result["check"] = {"tasks_done": decided, "reviews": reviews, "tasks_with_two_reviews": dup}

    # statements per cycle, one reviewer, no profiler
    counter = SqlCounter(engine)
    cycles = 50 if sizes.claim_seconds >= 5 else 15
    with counter.active():
        op = service_op(0)
        for _ in range(cycles):
            op()
    result["service_sql_per_cycle"] = counter.per_op(cycles)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {RAW_TABLES}")
    return result


# --------------------------------------------------------------------------------------------------------
# 4. Claim latency by queue depth
# --------------------------------------------------------------------------------------------------------

DEPTH_BODY = {
    "task_type": "bench",
    "output": "The refund of 120.50 USD is approved. " * 5,
    "confidence": 0.42,
}
FENCE_FROM = "other.lease_owner = %(lease_owner_1)s::VARCHAR)"
FENCE_TO = "other.lease_owner = %(lease_owner_1)s::VARCHAR OFFSET 0)"


def _claim_select(sql: str) -> bool:
    return "SKIP LOCKED" in sql.upper() or (
        sql.lstrip().upper().startswith("SELECT TASKS.ID") and "LIMIT" in sql
    )


def explain(db: Database, statement: str, params: Any) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL (in a transaction rolled back: the SELECT ... FOR UPDATE
    locks a row), EXPLAIN QUERY PLAN on SQLite."""
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            trans = conn.begin()
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
            trans.rollback()
            return [r[0] for r in rows]
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
        return [str(r[-1]) for r in rows]


@dataclass
class DepthDb:
    depth: int
    ctx: Context
    who: Principal
    dbname: str | None
    counter: SqlCounter
    lat: list[float] = field(default_factory=list)


def bench_depth(
    bk: Backend, depths: tuple[int, ...], claims: int, seconds: float, tmp: Path
) -> dict[str, Any]:
    """One database per depth, loaded once; then the claims alternate between the databases (each claim is
    timed, then its task decided untimed), so a burst of load on the machine hits every depth alike."""
    routing = bk.gate.route(DEPTH_BODY).to_dict()
    out: dict[str, Any] = {"item_json_bytes": json_size(DEPTH_BODY), "by_depth": {}}
    dbs: list[DepthDb] = []
    try:
        for depth in depths:
            log(f"  {bk.name}: loading a queue of {depth:,}")
            if bk.is_pg:
                dbname = f"{PG_DBNAME}_depth_{depth}"
                url = pg_create(PG_ADMIN, dbname)
            else:
                dbname, url = None, f"sqlite:///{tmp / f'depth-{depth}.db'}"
            ctx = Context(db=open_database(url), gate=bk.gate)
            d = DepthDb(
                depth,
                ctx,
                accounts.add_user(ctx, "depth-reviewer", "reviewer", tier="senior"),
                dbname,
                SqlCounter(ctx.db.engine),
            )
            dbs.append(d)
            load = bulk_queue(
                ctx.db, depth, body=DEPTH_BODY, routing=routing, policy_version=policy_version(bk.gate)
            )
            analyze_s = analyze(ctx.db) if bk.is_pg else None
            out["by_depth"][str(depth)] = {
                "load": load.to_dict(),
                "analyze_s": round(analyze_s, 2) if analyze_s is not None else None,
            }

        def cycle(d: DepthDb, timed: bool) -> None:
            d.counter.enabled = timed
            t0 = time.perf_counter()
            got = review.claim(d.ctx, d.who, limit=1)
            t1 = time.perf_counter()
            d.counter.enabled = False
            assert got, "the queue ran dry"
            if timed:
                d.lat.append(t1 - t0)
            task = got[0]
            review.decide(
                d.ctx, d.who, task["id"], lease_token=task["lease_token"], verdict="approve", reason="ok"
            )

        log(f"  {bk.name}: up to {claims} claims per depth (or {seconds:.0f} s), alternating")
        for d in dbs:
            for _ in range(10):  # warm-up: connections, caches, statement cache
                cycle(d, False)
        cms = [d.counter.active() for d in dbs]
        for cm in cms:
            cm.__enter__()
        end = time.perf_counter() + seconds
        try:
            for _ in range(claims):
                for d in dbs:
                    cycle(d, True)
                if time.perf_counter() > end:
                    break
        finally:
            for cm in cms:
                cm.__exit__(None, None, None)
        for d in dbs:
            entry = out["by_depth"][str(d.depth)]
            entry["claim_limit_1"] = latency_ms(d.lat)
            entry["claim_sql"] = d.counter.per_op(len(d.lat))
        deepest = dbs[-1]
        capture = SqlCounter(deepest.ctx.db.engine)
        capture.capture = _claim_select
        with capture.active():
            review.claim(deepest.ctx, deepest.who, limit=1)
        if capture.captured:
            statement, params = capture.captured[-1]
            entry = out["by_depth"][str(deepest.depth)]
            entry["claim_select"] = statement
            entry["plan"] = explain(deepest.ctx.db, statement, params)
            if bk.is_pg and FENCE_FROM in statement:
                # What-if, for the suggestion in the report: the same SELECT with the own-item NOT EXISTS
                # fenced by OFFSET 0, so PostgreSQL keeps it a per-row subplan on ix_tasks_item_id.
                entry["plan_with_offset0_fence"] = explain(
                    deepest.ctx.db, statement.replace(FENCE_FROM, FENCE_TO), params
                )
    finally:
        for d in dbs:
            d.ctx.db.close()
            if d.dbname is not None:
                pg_drop(PG_ADMIN, d.dbname)
        for depth in depths:
            for suffix in ("", "-wal", "-shm"):
                (tmp / f"depth-{depth}.db{suffix}").unlink(missing_ok=True)
    first, last = (out["by_depth"][str(d)]["claim_limit_1"] for d in (min(depths), max(depths)))
    out["p50_growth"] = round(last["p50_ms"] / first["p50_ms"], 2)
    out["p99_growth"] = round(last["p99_ms"] / first["p99_ms"], 2)
    return out


# --------------------------------------------------------------------------------------------------------
# Targets, table, main
# --------------------------------------------------------------------------------------------------------


def _cpu_budget(run: dict[str, Any], rate: float, clients: int) -> dict[str, float]:
    """The CPU per operation that ``rate`` operations/s allow: one server process runs Python on one core at
    a time (the GIL), so it cannot pass 1000 / its CPU ms per operation; server and clients share this
    machine's cores, and one client waits for each answer (its CPU and the server's add up)."""
    cores = min(clients, os.cpu_count() or 1)
    return {
        "server_cpu_ms_per_op": run["server_cpu_ms_per_op"],
        "server_cpu_ms_per_op_allowed": round(1000 / rate, 2),
        "server_and_clients_cpu_ms_per_op": round(
            run["server_cpu_ms_per_op"] + run["clients_cpu_ms_per_op"], 2
        ),
        "server_and_clients_cpu_ms_per_op_allowed": round(1000 * cores / rate, 2),
    }


def evaluate(results: dict[str, Any]) -> dict[str, Any]:
    t: dict[str, Any] = {}
    for name, r in results["backends"].items():
        if "submit_in_process" in r:
            sub = r["submit_in_process"]
            ratio = sub["ratio_submit_to_raw"]
            t[f"{name}.submit_in_process_ge_50pct_raw"] = {
                "value": ratio,
                "met": ratio >= TARGET_RATIO,
                "beside": {
                    "raw_write_set_to_raw": sub["ratio_raw_write_set_to_raw"],
                    "submit_to_raw_write_set": sub["ratio_submit_to_raw_write_set"],
                },
            }
        http = r.get("http")
        if http:
            for clients in (1, 8):
                s = http["submit"][f"{clients}_clients"]
                t[f"{name}.http_submit_{clients}c_ge_30x_label_studio"] = {
                    "value": s["x_label_studio"],
                    "met": s["x_label_studio"] >= TARGET_MULTIPLE,
                    "beside": {
                        "healthz_ceiling_x": http["floor_healthz"]["submit"][f"{clients}_clients"][
                            "ceiling_x_label_studio"
                        ],
                        "share_of_healthz": s["share_of_floor"],
                        **_cpu_budget(s, TARGET_MULTIPLE * LS_SUBMIT_PER_S[clients], clients),
                    },
                }
                c = http["claim_decide"][f"{clients}_reviewers"]
                t[f"{name}.http_cycles_{clients}r_ge_30x_label_studio"] = {
                    "value": c["x_label_studio"],
                    "met": c["x_label_studio"] >= TARGET_MULTIPLE,
                    "beside": {
                        "healthz_ceiling_x": http["floor_healthz"]["cycles"][f"{clients}_clients"][
                            "ceiling_x_label_studio"
                        ],
                        "share_of_healthz": c["share_of_floor"],
                        **_cpu_budget(c, TARGET_MULTIPLE * LS_CYCLES_PER_S[clients], clients),
                    },
                }
            p99s = {
                "submit": http["submit"]["8_clients"]["latency"]["p99_ms"],
                "claim": http["claim_decide"]["8_reviewers"]["claim"]["p99_ms"],
                "decide": http["claim_decide"]["8_reviewers"]["decide"]["p99_ms"],
            }
            t[f"{name}.http_p99_under_100ms_8_clients"] = {
                "value": p99s,
                "met": all(v < TARGET_P99_MS for v in p99s.values()),
            }
            twice = sum(c["tasks_handed_out_twice"] for c in http["claim_decide"].values())
            errors = sum(
                n
                for run in (*http["submit"].values(), *http["claim_decide"].values())
                for label, n in run["errors"].items()
                if label.startswith("HTTP 5")
            )
            t[f"{name}.http_no_double_handout_no_5xx"] = {
                "value": {"handed_out_twice": twice, "http_5xx": errors},
                "met": twice == 0 and errors == 0,
            }
            rss = max(v["VmRSS"] for v in http["server_memory_mib"].values())
            t[f"{name}.serve_idle_rss_under_150mib"] = {"value": rss, "met": rss < TARGET_RSS_MIB}
        cd = r.get("claim_decide_in_process")
        if cd:
            ratios = {k: v["ratio"] for k, v in cd["runs"].items()}
            t[f"{name}.claim_decide_ge_50pct_raw"] = {
                "value": ratios,
                "met": all(x is not None and x >= TARGET_RATIO for x in ratios.values()),
                "beside": {
                    "raw_write_set_to_raw": {
                        k: v["ratio_raw_write_set_to_raw"] for k, v in cd["runs"].items()
                    },
                    "service_to_raw_write_set": {
                        k: v["ratio_service_to_raw_write_set"] for k, v in cd["runs"].items()
                    },
                },
            }
        depth = r.get("claim_latency")
        if depth:
            t[f"{name}.claim_latency_flat"] = {
                "value": {"p50_growth": depth["p50_growth"], "p99_growth": depth["p99_growth"]},
                "met": depth["p50_growth"] <= FLAT_FACTOR,
            }
    return t


def table(results: dict[str, Any]) -> str:
    lines = []
    for name, r in results["backends"].items():
        lines.append(f"== {name}")
        s = r.get("submit_in_process")
        if s:
            lines.append(
                f"submit in-process {s['submit']['per_s']:>8}/s  raw insert {s['raw_insert']['per_s']:>8}/s  "
                f"ratio {s['ratio_submit_to_raw']:.2f} (with key {s['ratio_submit_with_key_to_raw']:.2f})  "
                f"raw write set {s['raw_write_set']['per_s']}/s (submit/write set "
                f"{s['ratio_submit_to_raw_write_set']:.2f})  "
                f"thread hop +{s['thread_hop_cpu_ms_per_op']} ms CPU  "
                f"p50 {s['submit']['latency']['p50_ms']} ms, "
                f"{s['where_time_goes']['submit_sql']['statements_per_op']} statements/submit"
            )
        http = r.get("http")
        if http:
            for kind, runs in http["floor_healthz"].items():
                for k, v in runs.items():
                    lines.append(
                        f"HTTP floor GET /healthz before {kind:>6} {k:>9}: {v['per_s']:>7}/s  "
                        f"p99 {v['latency']['p99_ms']:>7} ms  CPU/op server {v['server_cpu_ms_per_op']} ms "
                        f"clients {v['clients_cpu_ms_per_op']} ms  ceiling x{v['ceiling_x_label_studio']} "
                        "Label Studio"
                    )
            for k, v in http["submit"].items():
                lines.append(
                    f"HTTP submit {k:>13}: {v['per_s']:>7}/s  p50 {v['latency']['p50_ms']:>7} ms  "
                    f"p99 {v['latency']['p99_ms']:>7} ms  x{v['x_label_studio']} Label Studio  "
                    f"CPU/op server {v['server_cpu_ms_per_op']} ms clients {v['clients_cpu_ms_per_op']} ms  "
                    f"errors {v['errors']}"
                )
            for k, v in http["claim_decide"].items():
                lines.append(
                    f"HTTP claim+decide {k:>11}: {v['per_s']:>7}/s  "
                    f"cycle p99 {v['latency']['p99_ms']:>7} ms  "
                    f"claim p99 {v['claim'].get('p99_ms')} ms  decide p99 {v['decide'].get('p99_ms')} ms  "
                    f"x{v['x_label_studio']} Label Studio  twice {v['tasks_handed_out_twice']}  "
                    f"CPU/cycle server {v['server_cpu_ms_per_op']} ms "
                    f"clients {v['clients_cpu_ms_per_op']} ms  "
                    f"errors {v['errors']}"
                )
            m = http["server_memory_mib"]
            lines.append(
                f"inloop serve VmRSS: {m['after_start']['VmRSS']} MiB after start, "
                f"{m['after_http_runs']['VmRSS']} MiB after the runs (peak {m['after_http_runs']['VmHWM']})"
            )
        cd = r.get("claim_decide_in_process")
        if cd:
            for k, v in cd["runs"].items():
                lines.append(
                    f"claim+decide in-process {k:>10}: {v['service']['per_s']:>7}/s  raw SQL "
                    f"{v['raw']['per_s']:>7}/s  ratio {v['ratio']:.2f}  raw write set "
                    f"{v['raw_write_set']['per_s']:>7}/s (service/write set "
                    f"{v['ratio_service_to_raw_write_set']:.2f})  cycle p99 "
                    f"{v['service']['latency']['p99_ms']} ms  errors {v['service']['errors']}"
                )
        d = r.get("claim_latency")
        if d:
            for k, v in d["by_depth"].items():
                c = v["claim_limit_1"]
                lines.append(
                    f"claim(limit=1) with {int(k):>9,} queued: p50 {c['p50_ms']:>6} ms  "
                    f"p99 {c['p99_ms']:>6} ms  "
                    f"(load {v['load']['total_s']} s)"
                )
    lines.append("== targets")
    for k, v in results["targets"].items():
        beside = f"  (beside: {v['beside']})" if "beside" in v else ""
        lines.append(f"{'MET ' if v['met'] else 'MISS'} {k}: {v['value']}{beside}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run of under a minute")
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--pg-depths", help="queue depths on PostgreSQL, e.g. 1000,1000000")
    p.add_argument("--sqlite-depths", help="queue depths on SQLite, e.g. 1000,100000")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: submit,http,claim,depth")
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


def _depths(text_value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(x) for x in text_value.split(",")) if text_value else default


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sizes.pg_depths = _depths(args.pg_depths, sizes.pg_depths)
    sizes.sqlite_depths = _depths(args.sqlite_depths, sizes.sqlite_depths)
    skip = set(filter(None, args.skip.split(",")))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    results: dict[str, Any] = {
        "bench": "workflow_bench",
        "inloop": __version__,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "quick": args.quick,
        "machine": {**machine(), "python": platform.python_version(), "loadavg_start": os.getloadavg()},
        "label_studio_reference": {
            "submit_per_s": LS_SUBMIT_PER_S,
            "cycle_per_s": LS_CYCLES_PER_S,
            "rss_mib": LS_RSS_MIB,
        },
        "policy": QUEUE_ALL_POLICY,
        "backends": {},
    }
    tmp = Path(tempfile.mkdtemp(prefix="inloop-wb-"))
    try:
        for name in backends:
            log(f"{name}: setting up")
            r: dict[str, Any] = {}
            results["backends"][name] = r
            with open_backend(name, tmp, reviewers=max(16, *sizes.claim_threads)) as bk:
                if "submit" not in skip:
                    log(f"{name}: submit in-process vs raw insert")
                    r["submit_in_process"] = bench_submit_in_process(bk, sizes)
                if "http" not in skip:
                    log(f"{name}: over HTTP")
                    r["http"] = bench_http(bk, sizes, tmp)
                if "claim" not in skip and bk.is_pg:
                    log(f"{name}: claim+decide in-process vs raw SQL")
                    r["claim_decide_in_process"] = bench_claim_decide(bk, sizes)
                if "depth" not in skip:
                    depths = sizes.pg_depths if bk.is_pg else sizes.sqlite_depths
                    r["claim_latency"] = bench_depth(bk, depths, sizes.depth_claims, sizes.depth_seconds, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["targets"] = evaluate(results)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results), file=sys.stderr)
    print(json.dumps(results, indent=2))
    log(f"done in {results['seconds']} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
