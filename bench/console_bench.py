"""Reviewer console benchmark: server time to claim and render the next review page with a deep queue, the
page's weight with every asset, and key-press-to-next-item in a real browser.

1. **Load**: ``--items`` (default 100,000) review tasks are bulk-inserted straight into a fresh database
   (items and tasks rows; the items' routing, with check results and spans, comes from routing a few
   realistic items through the policy once). A real ``inloop serve`` process serves it.
2. **Server time** (HTTP, one reviewer, logged in through the login form): ``GET /review/next`` claims the
   first task; then ``--http-decisions`` times ``POST /review/{task}/decide`` (approve) as htmx sends it,
   which decides, claims the next task and renders it. The console reports each phase in a
   ``Server-Timing`` header (``decide``, ``claim``, ``render``); *claim + render* is the number the target is
   about (p99 < 50 ms). The client's round trip is reported beside it.
3. **Page weight**: the review page as a browser first loads it (full HTML) plus every script and stylesheet
   it references, in bytes (target < 150 KB), and gzip-compressed for reference.
4. **Browser**: Debian's Chromium (headless, through Playwright) opens ``/review/next`` and approves
   ``--browser-decisions`` (default 200) items by pressing ``a``. In the page, the time from the key press
   (a capturing ``keydown`` listener) to the console's ``inloop:shown`` event (fired once the next item is in
   the DOM) is recorded; the median is the target (< 150 ms).

    .venv/bin/python bench/console_bench.py            # full size
    .venv/bin/python bench/console_bench.py --quick     # smoke run: 2,000 items, 50 browser decisions
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from inloop import Gate
from inloop.clock import wall_ms
from inloop.ids import new_id
from inloop.services import accounts
from inloop.services.context import Context
from inloop.storage import open_database
from inloop.storage.tables import items as items_table
from inloop.storage.tables import tasks as tasks_table

ROOT = Path(__file__).resolve().parent.parent
INLOOP = str(Path(sys.executable).parent / "inloop")
CHROMIUM = os.environ.get("INLOOP_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-password-1"
QUEUE = "bench"

POLICY: dict[str, Any] = {
    "version": 1,
    "levels": {"low": {"threshold": 0.7, "confident": "auto", "unsure": "queue", "audit_rate": 0.0}},
    "default_task": {"risk": "low", "sla": "4h", "on_sla_breach": "release", "queue": QUEUE},
    "checks": [
        {"type": "pii", "fields": ["output", "input", "context"], "on_flag": "queue"},
        {"type": "keywords", "escalate": ["lawsuit", "chargeback"], "on_flag": "escalate"},
        {"type": "grounding", "min_support": 0.5, "on_flag": "queue"},
    ],
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 2),
        "p90": round(pct(values, 90), 2),
        "p99": round(pct(values, 99), 2),
        "mean": round(statistics.fmean(values), 2),
        "max": round(max(values), 2),
    }


# --- loading ------------------------------------------------------------------------------------------------


def templates(gate: Gate) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(item body, routing) pairs from the example items whose text has something for the checks to flag."""
    out = []
    for line in (ROOT / "examples" / "items.jsonl").read_text().splitlines():
        raw = json.loads(line)
        if raw["task_type"] not in ("support_reply", "kb_answer"):
            continue
        raw.pop("id", None)
        raw["task_type"] = "bench_reply"
        routing = gate.route(raw)
        if any(c.spans for c in routing.checks):
            body = {k: v for k, v in raw.items() if v is not None}
            out.append((body, routing.to_dict()))
        if len(out) >= 40:
            break
    if not out:
        raise SystemExit("no example items with flagged spans found")
    return out


def load(db_url: str, gate: Gate, n: int) -> None:
    """Bulk-insert ``n`` queued items with one open review task each (rows only, no audit events)."""
    db = open_database(db_url)
    shapes = templates(gate)
    now = wall_ms()
    batch = 5000
    started = time.perf_counter()
    for offset in range(0, n, batch):
        item_rows, task_rows = [], []
        for i in range(offset, min(n, offset + batch)):
            body, routing = shapes[i % len(shapes)]
            item_id = f"bench-{i:07d}"
            created = now - (n - i) * 10
            deadline = created + 4 * 3_600_000
            item_rows.append(
                {
                    "id": item_id,
                    "idempotency_key": None,
                    "body_hash": f"{i:064x}",
                    "task_type": body["task_type"],
                    "status": "pending",
                    "route": "queue",
                    "risk": "low",
                    "queue": QUEUE,
                    "body": body,
                    "routing": {**routing, "id": item_id},
                    "policy_version": gate.policy_version,
                    "deadline_ms": deadline,
                    "sla_state": "running",
                    "decision": None,
                    "escaped_error": False,
                    "submitted_by": None,
                    "created_ms": created,
                    "decided_ms": None,
                }
            )
            task_rows.append(
                {
                    "id": new_id("tsk"),
                    "item_id": item_id,
                    "kind": "review",
                    "queue": QUEUE,
                    "priority": 1,
                    "status": "open",
                    "tier_rank": 0,
                    "assigned_to": None,
                    "lease_token": None,
                    "lease_owner": None,
                    "lease_expires_ms": None,
                    "claimed_ms": None,
                    "deadline_ms": deadline,
                    "created_ms": created,
                    "done_ms": None,
                }
            )
        with db.write() as conn:
            conn.execute(items_table.insert(), item_rows)
            conn.execute(tasks_table.insert(), task_rows)
    print(f"loaded {n:,} queued items in {time.perf_counter() - started:.1f} s", flush=True)
    ctx = Context(db=db, gate=gate)
    accounts.add_user(ctx, "benchy", "reviewer", tier="specialist", password=PASSWORD, actor="bench")
    db.close()


# --- the server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db_url: str, policy: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "INLOOP_SESSION_SECRET": "bench-" + "x" * 32, "INLOOP_SWEEP_INTERVAL_SECONDS": "5"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [INLOOP, "serve", "--db", db_url, "--policy", str(policy), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def login(client: httpx.Client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post("/login", data={"username": "benchy", "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code in (200, 303), r.status_code


def timings(header: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"(\w+);dur=([\d.]+)", header)}


def field(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    if match is None:
        raise SystemExit(f"not on the page: {pattern}")
    return match.group(1)


# --- the parts ----------------------------------------------------------------------------------------------


def http_part(url: str, decisions: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=30) as client:
        login(client)
        started = time.perf_counter()
        first = client.get(f"/review/next?queue={QUEUE}")
        first_ms = (time.perf_counter() - started) * 1000
        html = first.text
        csrf = field(html, r'name="csrf-token" content="([^"]+)"')
        claim_render, decide, total = [], [], []
        for _ in range(decisions):
            task = field(html, r'data-task-id="([^"]+)"')
            lease = field(html, r'name="lease_token" value="([^"]+)"')
            started = time.perf_counter()
            r = client.post(
                f"/review/{task}/decide",
                data={"csrf_token": csrf, "lease_token": lease, "verdict": "approve", "queue": QUEUE},
                headers={"HX-Request": "true", "HX-Target": "main"},
            )
            total.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, r.status_code
            t = timings(r.headers.get("server-timing", ""))
            claim_render.append(t["claim"] + t["render"])
            decide.append(t["decide"])
            html = r.text
        weight = page_weight(client, first.text)
    return {
        "first_page_ms": round(first_ms, 2),
        "claim_and_render_ms": summary(claim_render),
        "decide_ms": summary(decide),
        "round_trip_ms": summary(total),
        "page_weight": weight,
    }


def page_weight(client: httpx.Client, html: str) -> dict[str, Any]:
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html)
    sizes = {"html": len(html.encode())}
    zipped = {"html": len(gzip.compress(html.encode()))}
    for path in assets:
        body = client.get(path).content
        name = path.split("?")[0].rsplit("/", 1)[-1]
        sizes[name] = len(body)
        zipped[name] = len(gzip.compress(body))
    return {"bytes": sizes, "total_bytes": sum(sizes.values()), "total_gzip_bytes": sum(zipped.values())}


def browser_part(url: str, decisions: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "benchy")
        page.fill("input[name=password]", PASSWORD)
        page.click("[data-testid=login]")
        page.wait_for_selector("[data-testid=whoami]")
        page.goto(f"{url}/review/next?queue={QUEUE}")
        page.wait_for_selector("[data-testid=output]")
        page.evaluate(
            """() => {
                window.__lat = [];
                document.addEventListener('keydown', (e) => {
                    if (e.key === 'a') window.__t0 = performance.now();
                }, true);
                document.addEventListener('inloop:shown', () => {
                    if (window.__t0) { window.__lat.push(performance.now() - window.__t0); window.__t0 = 0; }
                });
            }"""
        )
        wall = []
        seen = page.locator("#main").get_attribute("data-item-id")
        for i in range(decisions):
            started = time.perf_counter()
            page.keyboard.press("a")
            page.wait_for_function("n => window.__lat.length >= n", arg=i + 1, polling=5)
            wall.append((time.perf_counter() - started) * 1000)
            now = page.locator("#main").get_attribute("data-item-id")
            assert now != seen, "the next item did not load"
            seen = now
        latencies: list[float] = page.evaluate("window.__lat")
        browser.close()
    return {
        "decisions": decisions,
        "key_to_next_item_ms": summary(latencies),
        "driver_wall_ms": summary(wall),
        "chromium": CHROMIUM,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 items, 100 HTTP and 50 browser decisions")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--http-decisions", type=int, default=1000)
    parser.add_argument("--browser-decisions", type=int, default=200)
    parser.add_argument("--db", help="an empty database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "console_bench.json")
    args = parser.parse_args()
    if args.quick:
        args.items, args.http_decisions, args.browser_decisions = 2000, 100, 50
    needed = args.http_decisions + args.browser_decisions + 10
    if args.items < needed:
        raise SystemExit(f"--items must be at least {needed}")

    tmp = Path(tempfile.mkdtemp(prefix="inloop-console-bench-"))
    proc = None
    try:
        policy = tmp / "policy.yaml"
        policy.write_text(yaml.safe_dump(POLICY, sort_keys=False))
        db_url = args.db or f"sqlite:///{tmp / 'inloop.db'}"
        gate = Gate.from_file(policy)
        load(db_url, gate, args.items)
        proc, url = start_server(db_url, policy, tmp / "server.log")
        result: dict[str, Any] = {
            "machine": {
                "python": platform.python_version(),
                "cpu": platform.processor() or platform.machine(),
            },
            "database": "sqlite" if db_url.startswith("sqlite") else db_url.split("://")[0],
            "queued_items": args.items,
        }
        print(f"HTTP: {args.http_decisions} decisions ...", flush=True)
        result["http"] = http_part(url, args.http_decisions)
        if not args.skip_browser:
            print(f"browser: {args.browser_decisions} decisions by keyboard ...", flush=True)
            result["browser"] = browser_part(url, args.browser_decisions)
        http = result["http"]
        result["targets"] = {
            "claim_render_p99_under_50ms": http["claim_and_render_ms"]["p99"] < 50,
            "page_under_150kb": http["page_weight"]["total_bytes"] < 150 * 1024,
        }
        if "browser" in result:
            median = result["browser"]["key_to_next_item_ms"]["p50"]
            result["targets"]["key_to_next_median_under_150ms"] = median < 150
        report(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
        print(f"\nwritten to {args.out}")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def report(result: dict[str, Any]) -> None:
    http = result["http"]
    print(f"\nqueued items: {result['queued_items']:,} ({result['database']})")
    for name in ("claim_and_render_ms", "decide_ms", "round_trip_ms"):
        s = http[name]
        print(
            f"  {name:22} p50 {s['p50']:7.2f}  p90 {s['p90']:7.2f}  p99 {s['p99']:7.2f}  max {s['max']:7.2f}"
        )
    w = http["page_weight"]
    parts = ", ".join(f"{k} {v:,}" for k, v in w["bytes"].items())
    print(f"  page weight            {w['total_bytes']:,} bytes ({parts}); gzip {w['total_gzip_bytes']:,}")
    if "browser" in result:
        s = result["browser"]["key_to_next_item_ms"]
        print(f"  key to next item (ms)  median {s['p50']:.1f}  p90 {s['p90']:.1f}  p99 {s['p99']:.1f}")
    print("  targets: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in result["targets"].items()))


if __name__ == "__main__":
    main()
