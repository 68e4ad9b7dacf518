"""What-if replay of 100,000 stored items, against baselines measured in the same run.

1. **Build** a SQLite database of ``--items`` items (default 100,000) routed by the shipped
   ``examples/policy.yaml`` (every built-in non-ML check on): outputs of about 700 characters, four task
   types, confidence spread over [0.4, 1). The items are routed in memory with ``Gate.route`` (timed:
   **baseline 1, routing from memory**, the least a replay through one policy can cost) and bulk-inserted
   with SQLAlchemy Core together with what people did: each queued or escalated item has a done review task
   and a review (an error, i.e. a rejection, with probability 1 - confidence; 20 to 120 s of handling time),
   each audit sample an audit review.
2. **Baseline 2, reading**: ``storage.replay.stream`` over every row (the query, JSON decoding, label facts)
   with no routing: the bare cost of reading what a replay reads.
3. **Replay** with the real console script in a child process, ``inloop replay --db ... --policy LOOSER
   --json``: the stored routes against a looser candidate (one gate); with ``--current examples/policy.yaml``
   (two gates); and both again with ``--workers`` set to the CPUs available. Wall time, items/s and the
   child's peak RSS (``wait4``), and a run over a tenth of the items (``--until``) to show that memory does
   not grow with the number of items.

Usage::

    .venv/bin/python bench/replay_bench.py                 # 100,000 items (a few minutes)
    .venv/bin/python bench/replay_bench.py --items 10000   # smoke run

Prints a table and writes bench/out/replay_bench.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_util import make_item
from inloop import Gate, Item, __version__
from inloop.domain.routes import Route
from inloop.storage import open_database
from inloop.storage import replay as stored
from inloop.storage.tables import items, reviews, tasks

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "replay_bench.json"
INLOOP = str(Path(sys.executable).parent / "inloop")
POLICY = ROOT / "examples" / "policy.yaml"
T0 = 1_760_000_000_000
TASK_TYPES = ("support_reply", "support_reply", "kb_answer", "marketing_copy", "faq")
BATCH = 5_000


def looser(policy: dict[str, Any]) -> dict[str, Any]:
    """The candidate: every confidence threshold 0.1 lower (more automation)."""
    data = copy.deepcopy(policy)
    for level in data["levels"].values():
        if level.get("threshold") is not None:
            level["threshold"] = round(level["threshold"] - 0.1, 2)
    data["costs"] = {"review": 4.0, "escalation": 12.0}
    return data


def body(n: int) -> dict[str, Any]:
    item = make_item(n)
    item["task_type"] = TASK_TYPES[n % len(TASK_TYPES)]
    item["confidence"] = round(0.4 + 0.6 * ((n * 7919) % 1000) / 1000, 3)
    item["tags"] = ["vip"] if n % 50 == 0 else ["bench"]
    return item


def _unit(n: int, salt: int) -> float:
    """A deterministic number in [0, 1) for item n."""
    return ((n * 2654435761 + salt * 40503) % 2**32) / 2**32


def build(url: str, count: int, gate: Gate) -> dict[str, Any]:
    """Route ``count`` items in memory (timed) and bulk-insert them with their reviews; returns timings."""
    db = open_database(url)
    route_s = 0.0
    insert_s = 0.0
    routes: Counter[str] = Counter()
    version = gate.policy_version
    for start in range(0, count, BATCH):
        item_rows: list[dict[str, Any]] = []
        task_rows: list[dict[str, Any]] = []
        review_rows: list[dict[str, Any]] = []
        bodies = [body(n) for n in range(start, min(count, start + BATCH))]
        parsed = [Item.parse(b) for b in bodies]
        t0 = time.perf_counter()
        routings = [gate.route(item) for item in parsed]
        route_s += time.perf_counter() - t0
        for offset, (data, routing) in enumerate(zip(bodies, routings, strict=True)):
            n = start + offset
            created = T0 + n * 1000
            item_id = f"itm_{n:010d}"
            route = routing.route
            routes[route.value] += 1
            wrong = _unit(n, 1) > data["confidence"]
            verdict = "reject" if wrong else "approve"
            decision: dict[str, Any] | None
            reviewed = route in (Route.QUEUE, Route.ESCALATE) or routing.audit_sampled
            if route in (Route.QUEUE, Route.ESCALATE):
                decision = {"verdict": verdict, "by": "usr_bench", "provisional": False}
            elif route is Route.BLOCK:
                decision = {"verdict": "reject", "by": "policy", "provisional": False}
            else:
                decision = {"verdict": "approve", "by": "policy", "provisional": False}
            if reviewed:
                kind = "audit" if routing.audit_sampled else "review"
                handling = int(20_000 + 100_000 * _unit(n, 2))
                task_rows.append(
                    {
                        "id": f"tsk_{n:010d}",
                        "item_id": item_id,
                        "kind": kind,
                        "queue": data["task_type"],
                        "priority": 0 if route is Route.ESCALATE else 1,
                        "status": "done",
                        "tier_rank": 0,
                        "deadline_ms": created + 3_600_000,
                        "created_ms": created,
                        "claimed_ms": created + 60_000,
                        "done_ms": created + 60_000 + handling,
                    }
                )
                review_rows.append(
                    {
                        "id": f"rev_{n:010d}",
                        "task_id": f"tsk_{n:010d}",
                        "item_id": item_id,
                        "kind": kind,
                        "reviewer": "usr_bench",
                        "verdict": verdict,
                        "reason": "bench",
                        "category": "hallucination" if wrong else None,
                        "claimed_ms": created + 60_000,
                        "decided_ms": created + 60_000 + handling,
                        "handling_ms": handling,
                    }
                )
            item_rows.append(
                {
                    "id": item_id,
                    "idempotency_key": None,
                    "body_hash": f"{n:064x}",
                    "task_type": data["task_type"],
                    "status": "decided",
                    "route": route.value,
                    "risk": routing.risk,
                    "queue": data["task_type"],
                    "body": data,
                    "routing": routing.to_dict(),
                    "policy_version": version,
                    "deadline_ms": None,
                    "sla_state": "none",
                    "decision": decision,
                    "escaped_error": bool(routing.audit_sampled and wrong),
                    "submitted_by": None,
                    "created_ms": created,
                    "decided_ms": created,
                }
            )
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(items.insert(), item_rows)
            if task_rows:
                conn.execute(tasks.insert(), task_rows)
                conn.execute(reviews.insert(), review_rows)
        insert_s += time.perf_counter() - t0
    db.close()
    return {
        "items": count,
        "routes": dict(routes),
        "route_from_memory_s": round(route_s, 2),
        "route_from_memory_items_per_s": round(count / route_s),
        "insert_s": round(insert_s, 2),
    }


def read_baseline(url: str) -> dict[str, Any]:
    """Stream every row as a replay does, routing nothing."""
    db = open_database(url)
    t0 = time.perf_counter()
    with db.read() as conn:
        n = sum(1 for _ in stored.stream(conn))
    seconds = time.perf_counter() - t0
    db.close()
    return {"items": n, "seconds": round(seconds, 2), "items_per_s": round(n / seconds)}


# A fresh, small interpreter starts the replay and waits for it: wait4 reports the peak RSS of the replay
# itself. (Started straight from this process, the child would inherit this process's peak: Linux keeps
# the high-water mark of the memory a process had before exec.)
_MEASURE = """
import json, os, subprocess, sys, time
t0 = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(sys.argv[2:], stdout=out)
    _, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - t0, "code": os.waitstatus_to_exitcode(status),
                  "maxrss_kb": usage.ru_maxrss}))
"""


def run_replay(args: list[str]) -> dict[str, Any]:
    """``inloop replay ... --json`` in a child process: wall time, peak RSS (wait4) and the report."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [sys.executable, "-c", _MEASURE, str(out), INLOOP, "replay", *args, "--json"]
        launched = subprocess.run(command, capture_output=True, text=True, check=True)
        measured = json.loads(launched.stdout)
        if measured["code"] != 0:
            raise RuntimeError(f"inloop replay failed: {launched.stderr}")
        report = json.loads(out.read_text())
    return {
        "seconds": round(measured["seconds"], 2),
        "peak_rss_mb": round(measured["maxrss_kb"] / 1024, 1),
        "report": report,
    }


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args(argv)
    cpus = len(os.sched_getaffinity(0))
    policy_data = yaml.safe_load(POLICY.read_text())
    current = Gate.from_dict(policy_data, str(POLICY))
    result: dict[str, Any] = {
        "machine": {
            "inloop": __version__,
            "python": platform.python_version(),
            "cpus_available": cpus,
            "platform": platform.platform(),
        }
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'replay.db'}"
        candidate = Path(tmp) / "looser.yaml"
        candidate.write_text(yaml.safe_dump(looser(policy_data)))
        print(f"building {args.items:,} items ...", file=sys.stderr, flush=True)
        result["build"] = build(url, args.items, current)
        result["db_mb"] = round((Path(tmp) / "replay.db").stat().st_size / 1e6, 1)
        result["read_baseline"] = read_baseline(url)
        base = ["--db", url, "--policy", str(candidate)]
        tenth = iso(T0 + (args.items // 10) * 1000)
        runs = {
            "stored routes vs candidate, a tenth of the items": [*base, "--until", tenth],
            "stored routes vs candidate": base,
            "current file vs candidate (two gates)": [*base, "--current", str(POLICY)],
            f"stored routes vs candidate, --workers {cpus}": [*base, "--workers", str(cpus)],
            f"current file vs candidate, --workers {cpus}": [
                *base,
                "--current",
                str(POLICY),
                "--workers",
                str(cpus),
            ],
        }
        result["replay"] = {}
        for name, run_args in runs.items():
            print(f"replay: {name} ...", file=sys.stderr, flush=True)
            measured = run_replay(run_args)
            report = measured.pop("report")
            measured["items"] = report["items"]
            measured["items_per_s"] = round(report["items"] / measured["seconds"])
            measured["changes"] = report["changes"]
            measured["current_routes"] = report["current"]["routes"]
            measured["candidate_routes"] = report["candidate"]["routes"]
            measured["delta"] = report["delta"]
            result["replay"][name] = measured

    b, r = result["build"], result["read_baseline"]
    print(f"replay bench: {args.items:,} items, {cpus} CPUs, database {result['db_mb']} MB")
    print(
        f"  baseline, Gate.route from memory (examples/policy.yaml): {b['route_from_memory_s']} s, "
        f"{b['route_from_memory_items_per_s']:,} items/s"
    )
    print(f"  baseline, reading the rows (no routing): {r['seconds']} s, {r['items_per_s']:,} items/s")
    for name, m in result["replay"].items():
        print(
            f"  inloop replay, {name}: {m['items']:,} items in {m['seconds']} s, "
            f"{m['items_per_s']:,} items/s, peak RSS {m['peak_rss_mb']} MB"
        )
    full = result["replay"]["stored routes vs candidate"]
    print(f"  routes stored -> candidate: {full['current_routes']} -> {full['candidate_routes']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
