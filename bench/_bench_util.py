"""Helpers of bench/workflow_bench.py: the bench policy and items, databases (create, reset, bulk-load a
queue), timed thread runs, SQL statement accounting, PostgreSQL wait sampling and process memory."""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from inloop.domain.audit import GENESIS
from inloop.storage import Database

ROOT = Path(__file__).resolve().parent.parent

# A policy that queues every item for one review and runs no check: the storage and workflow path alone.
QUEUE_ALL_POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {"low": {"confident": "queue", "unsure": "queue", "audit_rate": 0.0}},
    "default_task": {"risk": "low", "sla": "4h", "on_sla_breach": "release", "reviewers": 1},
    "tasks": {"bench": {"risk": "low", "sla": "4h", "on_sla_breach": "release", "reviewers": 1}},
}
TASK_TYPE = "bench"
QUEUE = "bench"

_WORDS = [
    "the",
    "order",
    "was",
    "delivered",
    "on",
    "time",
    "but",
    "the",
    "customer",
    "reports",
    "that",
    "two",
    "of",
    "the",
    "desks",
    "arrived",
    "damaged",
    "and",
    "asks",
    "for",
    "a",
    "partial",
    "refund",
    "of",
    "the",
    "shipping",
    "fee",
    "according",
    "to",
    "the",
    "returns",
    "policy",
    "the",
    "refund",
    "is",
    "allowed",
    "within",
    "thirty",
    "days",
    "of",
    "delivery",
    "when",
    "the",
    "item",
    "is",
    "unused",
    "and",
    "in",
    "its",
    "original",
    "packaging",
]


def make_item(n: int, output_chars: int = 700) -> dict[str, Any]:
    """An item of about 1 KB of JSON: a question, a ~700-character answer, attributes, tags."""
    words: list[str] = []
    length, i = 0, n
    while length < output_chars:
        word = _WORDS[i % len(_WORDS)]
        words.append(word)
        length += len(word) + 1
        i = i * 31 + 7
    return {
        "task_type": TASK_TYPE,
        "input": f"Customer #{n} writes: my order BW-{n:07d} arrived damaged, what can you do for me?",
        "output": " ".join(words).capitalize() + ".",
        "confidence": 0.42,
        "attributes": {"order_id": f"BW-{n:07d}", "channel": "email", "amount": 120.5 + n % 100},
        "tags": ["billing", "bench"],
        "model": "gpt-4o-2024-08-06",
    }


def json_size(data: Any) -> int:
    return len(json.dumps(data, separators=(",", ":")).encode())


# --------------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    k = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


def latency_ms(samples_s: list[float]) -> dict[str, float]:
    """p50 / p90 / p99 / max / mean in milliseconds of samples in seconds."""
    xs = sorted(s * 1000 for s in samples_s)
    if not xs:
        return {"n": 0}
    return {
        "n": len(xs),
        "p50_ms": round(percentile(xs, 0.50), 3),
        "p90_ms": round(percentile(xs, 0.90), 3),
        "p99_ms": round(percentile(xs, 0.99), 3),
        "max_ms": round(xs[-1], 3),
        "mean_ms": round(sum(xs) / len(xs), 3),
    }


# --------------------------------------------------------------------------------------------------------
# Timed runs in threads
# --------------------------------------------------------------------------------------------------------


@dataclass
class ThreadRun:
    """The result of :func:`run_threads`: operations, wall time, per-operation latencies, errors."""

    threads: int
    ops: int
    seconds: float
    latencies: list[float]
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "ops": self.ops,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.rate, 1),
            "latency": latency_ms(self.latencies),
            "errors": dict(self.errors),
            "bench_process_cpu_pct": round(100 * self.cpu_seconds / self.seconds, 1)
            if self.seconds
            else None,
            "bench_process_cpu_ms_per_op": round(1000 * self.cpu_seconds / self.ops, 2) if self.ops else None,
            **self.extra,
        }


class Exhausted(Exception):
    """Raised by an operation when there is no more work (e.g. the queue is empty): the thread stops."""


def run_threads(
    threads: int,
    seconds: float,
    make_op: Callable[[int], Callable[[], None]],
    *,
    max_ops: int | None = None,
) -> ThreadRun:
    """Run ``make_op(i)()`` in a loop in each of ``threads`` threads for ``seconds`` (or ``max_ops`` in all),
    all starting together; every call is timed. An exception is counted by type and the loop goes on."""
    ops = [make_op(i) for i in range(threads)]
    barrier = threading.Barrier(threads + 1)
    lat: list[list[float]] = [[] for _ in range(threads)]
    errors: list[Counter[str]] = [Counter() for _ in range(threads)]
    done = threading.Event()
    budget = [max_ops if max_ops is not None else 1 << 62]
    lock = threading.Lock()
    end = [0.0]

    def worker(i: int) -> None:
        op = ops[i]
        mine = lat[i]
        barrier.wait()
        while not done.is_set():
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            t0 = time.perf_counter()
            try:
                op()
            except Exhausted:
                break
            except Exception as exc:  # counted, not fatal: a bench reports what went wrong
                errors[i][getattr(exc, "label", type(exc).__name__)] += 1
                continue
            t1 = time.perf_counter()
            mine.append(t1 - t0)
            if t1 >= end[0]:
                done.set()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    cpu0 = time.process_time()
    start = time.perf_counter()
    end[0] = start + seconds
    barrier.wait()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    all_lat = [x for xs in lat for x in xs]
    total_errors: Counter[str] = Counter()
    for c in errors:
        total_errors.update(c)
    return ThreadRun(threads, len(all_lat), wall, all_lat, total_errors, cpu)


# --------------------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------------------


def pg_admin_engine(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def pg_create(admin_url: str, name: str) -> str:
    """Create (or re-create) database ``name`` on the server of ``admin_url``; return its URL."""
    engine = pg_admin_engine(admin_url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def pg_drop(admin_url: str, name: str) -> None:
    engine = pg_admin_engine(admin_url)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    engine.dispose()


WORKFLOW_TABLES = ("task_skills", "reviews", "outbox", "tasks", "audit_events", "items")


def reset_workflow(db: Database, extra_tables: tuple[str, ...] = ()) -> None:
    """Empty every workflow table (users and keys stay) and put the audit chains back at their genesis."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in (*extra_tables, *WORKFLOW_TABLES):
                conn.exec_driver_sql(f"DELETE FROM {table}")
        else:
            conn.exec_driver_sql(f"TRUNCATE {', '.join((*extra_tables, *WORKFLOW_TABLES))} CASCADE")
        conn.execute(text("UPDATE audit_heads SET seq = 0, hash = :g"), {"g": GENESIS})
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


ITEM_COLUMNS = (
    "id",
    "idempotency_key",
    "body_hash",
    "task_type",
    "status",
    "route",
    "risk",
    "queue",
    "body",
    "routing",
    "policy_version",
    "deadline_ms",
    "sla_state",
    "decision",
    "escaped_error",
    "submitted_by",
    "created_ms",
    "decided_ms",
)
TASK_COLUMNS = (
    "id",
    "item_id",
    "kind",
    "queue",
    "priority",
    "status",
    "tier_rank",
    "assigned_to",
    "lease_token",
    "lease_owner",
    "lease_expires_ms",
    "claimed_ms",
    "deadline_ms",
    "created_ms",
    "done_ms",
)


def _secondary_indexes(conn: Any, sqlite: bool) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes of items and tasks (not those behind a PK or UNIQUE)."""
    if sqlite:
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('items', 'tasks') "
            "AND sql IS NOT NULL"
        )
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('items', 'tasks') "
            "AND schemaname = current_schema() AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid IN ('items'::regclass, 'tasks'::regclass))"
        )
    return [(r[0], r[1]) for r in conn.execute(query).fetchall()]


@dataclass
class LoadTimes:
    rows: int
    drop_indexes_s: float = 0.0
    insert_s: float = 0.0
    create_indexes_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.drop_indexes_s + self.insert_s + self.create_indexes_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "total_s": round(self.total_s, 2),
            "insert_s": round(self.insert_s, 2),
            "create_indexes_s": round(self.create_indexes_s, 2),
            "rows_per_s": round(self.rows / self.total_s) if self.total_s else None,
        }


_COLS_I = ", ".join(ITEM_COLUMNS)
_COLS_T = ", ".join(TASK_COLUMNS)
# One statement per batch generates the rows in the database itself (no per-row round trip or Python work):
# generate_series on PostgreSQL, a recursive CTE on SQLite. Row n is created n/10 ms after t0 and due 4 h
# later (no SLA fires during the bench); 1 in 100 is an escalation (priority 0).
_LOAD_PG = (
    f"INSERT INTO items ({_COLS_I}) SELECT 'itm_' || %(p)s || lpad(n::text, 10, '0'), NULL, "
    "lpad(to_hex(n), 64, '0'), %(tt)s, 'pending', 'queue', 'low', %(q)s, %(body)s::jsonb, "
    "%(routing)s::jsonb, %(pv)s, %(t0)s + n / 10 + 14400000, 'running', NULL, false, NULL, "
    "%(t0)s + n / 10, NULL "
    "FROM generate_series(%(a)s::bigint, %(b)s::bigint) AS n",
    f"INSERT INTO tasks ({_COLS_T}) SELECT 'tsk_' || %(p)s || lpad(n::text, 10, '0'), "
    "'itm_' || %(p)s || lpad(n::text, 10, '0'), 'review', %(q)s, "
    "CASE WHEN mod(n, 100) = 0 THEN 0 ELSE 1 END, 'open', 0, NULL, NULL, NULL, NULL, NULL, "
    "%(t0)s + n / 10 + 14400000, %(t0)s + n / 10, NULL "
    "FROM generate_series(%(a)s::bigint, %(b)s::bigint) AS n",
)
_SERIES_SQLITE = "WITH RECURSIVE s(n) AS (SELECT :a UNION ALL SELECT n + 1 FROM s WHERE n < :b) "
_LOAD_SQLITE = (
    _SERIES_SQLITE + f"INSERT INTO items ({_COLS_I}) SELECT 'itm_' || :p || printf('%010d', n), NULL, "
    "printf('%064x', n), :tt, 'pending', 'queue', 'low', :q, :body, :routing, :pv, :t0 + n / 10 + 14400000, "
    "'running', NULL, 0, NULL, :t0 + n / 10, NULL FROM s",
    _SERIES_SQLITE + f"INSERT INTO tasks ({_COLS_T}) SELECT 'tsk_' || :p || printf('%010d', n), "
    "'itm_' || :p || printf('%010d', n), 'review', :q, CASE WHEN n % 100 = 0 THEN 0 ELSE 1 END, 'open', 0, "
    "NULL, NULL, NULL, NULL, NULL, :t0 + n / 10 + 14400000, :t0 + n / 10, NULL FROM s",
)


def bulk_queue(
    db: Database,
    count: int,
    *,
    body: dict[str, Any],
    routing: dict[str, Any],
    policy_version: str,
    batch: int = 250_000,
) -> LoadTimes:
    """Load ``count`` queued items with their open review tasks straight into ``items``/``tasks``, not
    through submit: bulk ``INSERT ... SELECT`` statements of ``batch`` rows, the rows generated by the
    database (``generate_series`` on PostgreSQL, a recursive CTE on SQLite), one transaction per batch.

    As pg_restore does, a big load (20,000 rows or more) drops the secondary indexes first and builds them
    again afterwards (the same definitions, read from the catalogue), and skips the per-row foreign-key
    checks: the rows are consistent by construction. Building an index once is several times faster than
    maintaining it row by row; the schema afterwards is exactly the migrated one."""
    params: dict[str, Any] = {
        "p": secrets.token_urlsafe(6),
        "tt": TASK_TYPE,
        "q": QUEUE,
        "body": json.dumps(body, separators=(",", ":")),
        "routing": json.dumps(routing, separators=(",", ":")),
        "pv": policy_version,
        "t0": int(time.time() * 1000) - 3_600_000,
    }
    times = LoadTimes(count)
    raw = db.engine.raw_connection()
    driver: Any = raw.driver_connection
    cur = driver.cursor()
    rebuild: list[tuple[str, str]] = []
    try:
        if count >= 20_000:
            t0 = time.perf_counter()
            rebuild = _secondary_indexes(cur, db.is_sqlite)
            if db.is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            for name, _ in rebuild:
                cur.execute(f"DROP INDEX {name}")
            cur.execute("COMMIT") if db.is_sqlite else driver.commit()
            times.drop_indexes_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if db.is_sqlite:
            cur.execute("PRAGMA foreign_keys=OFF")
        else:
            cur.execute("SET session_replication_role = replica")  # no per-row foreign-key triggers
        for start in range(0, count, batch):
            bounds = {"a": start, "b": min(start + batch, count) - 1}
            if db.is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            for statement in _LOAD_SQLITE if db.is_sqlite else _LOAD_PG:
                cur.execute(statement, {**params, **bounds})
            cur.execute("COMMIT") if db.is_sqlite else driver.commit()
        if db.is_sqlite:
            cur.execute("PRAGMA foreign_keys=ON")
        else:
            cur.execute("RESET session_replication_role")
            driver.commit()
        times.insert_s = time.perf_counter() - t0
    finally:
        if rebuild:
            t0 = time.perf_counter()
            if not db.is_sqlite:
                driver.rollback()
                cur.execute("SET maintenance_work_mem = '256MB'")
            for _, create in rebuild:
                cur.execute(create)
            if not db.is_sqlite:
                driver.commit()
            times.create_indexes_s = time.perf_counter() - t0
        cur.close()
        raw.close()
    return times


def analyze(db: Database) -> float:
    """Refresh the planner statistics (ANALYZE), as autovacuum would after a big load; returns seconds."""
    t0 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


# --------------------------------------------------------------------------------------------------------
# SQL statement accounting (SQLAlchemy cursor events)
# --------------------------------------------------------------------------------------------------------

_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """``SELECT audit_heads``, ``INSERT items``, ``SAVEPOINT``, …: the verb and the first table named."""
    head = sql.lstrip().split(None, 1)
    verb = head[0].upper() if head else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    m = _TABLE.search(sql)
    suffix = " FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in sql.upper() else ""
    return f"{verb} {m.group(1) if m else '?'}{suffix}"


class SqlCounter:
    """Counts and times every statement SQLAlchemy sends on ``engine``, grouped by :func:`statement_kind`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._local = threading.local()
        self.captured: list[tuple[str, Any]] = []
        self.capture: Callable[[str], bool] | None = None
        self.enabled = True

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if not self.enabled:
            return
        self._local.t0 = time.perf_counter()
        if self.capture is not None and self.capture(statement):
            self.captured.append((statement, params))

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if not self.enabled:
            return
        kind = statement_kind(statement)
        self.count[kind] += 1
        self.seconds[kind] += time.perf_counter() - self._local.t0

    @contextmanager
    def active(self) -> Iterator[SqlCounter]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)

    def per_op(self, ops: int) -> dict[str, Any]:
        """Statements and database time per operation, busiest kinds first."""
        total = sum(self.count.values())
        kinds = sorted(self.count, key=lambda k: -self.seconds[k])
        return {
            "statements_per_op": round(total / ops, 2),
            "sql_us_per_op": round(1e6 * sum(self.seconds.values()) / ops, 1),
            "by_statement": {
                k: {
                    "per_op": round(self.count[k] / ops, 2),
                    "us_per_op": round(1e6 * self.seconds[k] / ops, 1),
                }
                for k in kinds
            },
        }


# --------------------------------------------------------------------------------------------------------
# PostgreSQL: what the sessions of a database wait on
# --------------------------------------------------------------------------------------------------------


class PgWaitSampler:
    """Samples ``pg_stat_activity`` of one database every ``interval`` seconds in a thread: how many sessions
    are running, idle in a transaction (waiting for their client: the time is spent in Python), or waiting
    (on what, and for a lock in which statement), averaged over the samples."""

    def __init__(self, admin_url: str, dbname: str, interval: float = 0.05) -> None:
        self.engine = pg_admin_engine(admin_url)
        self.dbname = dbname
        self.interval = interval
        self.samples = 0
        self.states: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = text(
            "SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity "
            "WHERE datname = :d AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(self.interval):
                self.samples += 1
                for state, wtype, wevent, sql in conn.execute(query, {"d": self.dbname}):
                    if state == "active" and wtype == "Lock":
                        self.states[f"waiting Lock:{wevent} in {statement_kind(sql or '')}"] += 1
                    elif state == "active" and wtype is not None and wtype != "Client":
                        self.states[f"waiting {wtype}:{wevent}"] += 1
                    elif state == "active":
                        self.states["running"] += 1
                    elif state == "idle in transaction":
                        self.states["idle in transaction"] += 1

    def __enter__(self) -> PgWaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def summary(self) -> dict[str, float]:
        """Mean number of sessions in each state per sample."""
        n = max(1, self.samples)
        return {k: round(v / n, 2) for k, v in self.states.most_common()}


# --------------------------------------------------------------------------------------------------------
# Memory of a process
# --------------------------------------------------------------------------------------------------------


def proc_memory_mib(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of ``pid`` from /proc/PID/status, in MiB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count()}
