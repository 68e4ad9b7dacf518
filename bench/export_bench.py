"""Export of 1,000,000 reviewed items, against a baseline measured in the same run.

1. **Build** a SQLite database of ``--items`` decided items (default 1,000,000), bulk-inserted with SQLAlchemy
   Core: outputs of about 300 characters, a chat input with a context passage on every tenth, confidences over
   [0.3, 1); 40% approved, 30% edited, 10% rejected by a person, 20% released by the policy, each with the
   results of two checks.
2. **Baseline, the bare copy**: read the same rows through the same streamed query (``yield_per``) and write
   each stored body as a JSON line, with no record building: the least an export of these rows can cost.
3. **Export** with the real console script in a child process, ``inloop export --format F --out FILE`` for
   ``sft``, ``dpo`` and ``labels``: wall time, rows read and records written per second, and the child's peak
   RSS (``wait4``); then ``sft`` over a tenth of the items (``--until``) to show that memory does not grow
   with the number of rows.

Usage::

    .venv/bin/python bench/export_bench.py                  # 1,000,000 items (several minutes)
    .venv/bin/python bench/export_bench.py --items 50000    # smoke run

Prints a table and writes bench/out/export_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from inloop import __version__
from inloop.clock import iso
from inloop.storage import exports as stored
from inloop.storage import open_database
from inloop.storage.tables import items

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "export_bench.json"
INLOOP = str(Path(sys.executable).parent / "inloop")
T0 = 1_760_000_000_000
BATCH = 10_000
SENTENCE = "The order left our warehouse on Monday and should arrive within three working days. "


def row(n: int) -> dict[str, Any]:
    """One decided item; what happened to it is a function of ``n``."""
    output = f"Item {n}: " + SENTENCE * 3
    body: dict[str, Any] = {
        "task_type": "support_reply" if n % 3 else "kb_answer",
        "output": output,
        "confidence": round(0.3 + 0.7 * ((n * 7919) % 1000) / 1000, 3),
        "model": "bench-model",
        "input": f"Where is order {n}?",
    }
    if n % 10 == 0:
        body["input"] = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": body["input"]},
        ]
        body["context"] = [f"Order {n} shipped on Monday."]
    at = T0 + n * 1000
    fate = n % 10
    if fate < 4:
        decision = {"verdict": "approve", "output": output, "by": "user:rae", "category": None}
    elif fate < 7:
        decision = {"verdict": "edit", "output": output.replace("three", "five"), "by": "user:rae"}
        decision["category"] = "hallucination"
    elif fate < 8:
        decision = {"verdict": "reject", "output": None, "by": "user:rae", "category": "tone"}
    else:
        decision = {"verdict": "approve", "output": output, "by": "policy", "category": None}
    decision.update({"reason": None, "provisional": False, "decided_at": iso(at + 60_000)})
    checks = [
        {"name": "pii", "score": (n % 7) / 10, "flagged": n % 7 == 6, "judged": True},
        {"name": "grounding", "score": 1.0 - (n % 5) / 10, "flagged": False, "judged": n % 10 == 0},
    ]
    return {
        "id": f"itm_{n:09d}",
        "idempotency_key": None,
        "body_hash": f"{n:064x}",
        "task_type": body["task_type"],
        "status": "decided",
        "route": "auto" if fate >= 8 else "queue",
        "risk": "low",
        "queue": body["task_type"],
        "body": body,
        "routing": {"checks": checks, "route": "queue"},
        "policy_version": "bench",
        "deadline_ms": None,
        "sla_state": "none",
        "decision": decision,
        "escaped_error": False,
        "submitted_by": None,
        "created_ms": at,
        "decided_ms": at + 60_000,
    }


def build(url: str, n: int) -> float:
    db = open_database(url)
    start = time.perf_counter()
    for first in range(0, n, BATCH):
        with db.write() as conn:
            conn.execute(insert(items), [row(i) for i in range(first, min(n, first + BATCH))])
    db.close()
    return time.perf_counter() - start


def baseline(url: str, sink: Path) -> tuple[float, int]:
    """Stream the rows an sft export reads and write each body as a JSON line."""
    db = open_database(url, migrate=False)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    start = time.perf_counter()
    n = 0
    with db.read() as conn, sink.open("w") as out:
        for item in stored.stored_items(conn, "sft", None, None, None):
            out.write(encode(item.body) + "\n")
            n += 1
    db.close()
    return time.perf_counter() - start, n


def run_export(url: str, fmt: str, sink: Path, *extra: str) -> dict[str, Any]:
    start = time.perf_counter()
    child = subprocess.Popen(
        [INLOOP, "export", "--db", url, "--format", fmt, "--out", str(sink), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    assert child.stderr is not None
    message = child.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"inloop export failed: {message}")
    records = sum(1 for _ in sink.open())
    return {"format": fmt, "seconds": seconds, "records": records, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.items
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        built = build(url, n)
        print(f"built {n:,} decided items in {built:.1f} s", flush=True)
        base_s, base_rows = baseline(url, Path(tmp) / "copy.jsonl")
        results = [
            {"format": "baseline: bare copy", "seconds": base_s, "records": base_rows, "peak_rss_mb": None}
        ]
        for fmt in ("sft", "dpo", "labels"):
            results.append(run_export(url, fmt, Path(tmp) / f"{fmt}.jsonl"))
            print(f"{fmt}: {results[-1]['seconds']:.1f} s", flush=True)
        tenth = iso(T0 + (n // 10) * 1000 + 60_000)
        assert tenth is not None
        small = run_export(url, "sft", Path(tmp) / "small.jsonl", "--until", tenth)
        small["format"] = "sft, a tenth of the rows"
        results.append(small)
    print(f"\nexport of {n:,} stored items (SQLite, one process; rows read = items)")
    print(f"{'run':<28}{'seconds':>9}{'records':>11}{'rows/s':>11}{'records/s':>11}{'peak RSS':>11}")
    for r in results:
        rows_read = n if not r["format"].startswith("sft, a tenth") else n // 10
        rss = "—" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f} MB"
        print(
            f"{r['format']:<28}{r['seconds']:>9.1f}{r['records']:>11,}{rows_read / r['seconds']:>11,.0f}"
            f"{r['records'] / r['seconds']:>11,.0f}{rss:>11}"
        )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {"items": n, "version": __version__, "python": platform.python_version(), "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
