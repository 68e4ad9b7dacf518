"""Routing speed: in-process latency per item, and ``inloop route`` over a million-line file.

What it measures (see bench/README.md):

1. In-process, one core: ``gate.route(item)`` with examples/policy.yaml (every built-in non-ML check on) for
   outputs of about 1 KB, 4 KB and 16 KB. Each item has an input, three context passages (so grounding
   runs) and an output built from sentences of the example batch, with e-mail addresses, phone numbers,
   cards and amounts mixed in so the checks do real work. After a warm-up, every call is timed with
   ``time.perf_counter_ns``: items/s, p50, p99 and max latency, and the mean cost of each check. The
   warm-up and the per-check timing use other items than the timed ones: the checks memoise what recurs
   across items (words, parsed numbers, context passages, input messages), and that should help here only
   as far as texts really recur (the example passages and questions do; each output, and the passage
   quoting it, does not).
2. The floor: ``json.loads`` + ``Item.parse`` of the same items as JSON lines, the least any router must pay
   to read an item; routing is reported as a multiple of it.
3. ``inloop route`` (the real console script, in a child process) over a 1,000,000-line file generated in
   a temporary directory from the example items, routings written to /dev/null: items/s and the peak RSS
   of the child (``os.wait4``), compared with the same command on a file ten times smaller to show that
   memory does not grow with the input.

Usage::

    python bench/route_bench.py              # full run (most of an hour at the current check speeds)
    python bench/route_bench.py --quick      # smoke run: fewer items, a 20,000-line file
    python bench/route_bench.py --lines 200000 --items 2000

Prints a table and writes bench/out/route_bench.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inloop import Gate, Item, __version__
from make_big_file import write_big_file

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "policy.yaml"
EXAMPLES = ROOT / "examples" / "items.jsonl"
OUT = ROOT / "bench" / "out" / "route_bench.json"
SIZES = (1024, 4096, 16384)
SEED = 1234
CHECK_SAMPLE = 500
"""Items per size on which each check is also timed alone."""

EMAILS = ["dana.okafor@example.com", "k.tanaka@example.org", "support-escalations@example.net"]
PHONES = ["(415) 555-0132", "+44 20 7946 0958", "+49 30 901820", "+1 303 555 0147"]
CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444"]
QUESTIONS = [
    "Can you summarise what we know about this customer's order and what they are owed?",
    "What does the help centre say about this case? Please answer for the customer.",
    "Draft a reply to the customer based on the account notes.",
]

# --------------------------------------------------------------------------------------------------
# Items of a given output size
# --------------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def example_texts(gate: Gate) -> tuple[list[str], list[str]]:
    """Sentences of the example outputs and the example context passages, minus anything that blocks.

    A block stops the cascade, which would make later checks look free; the bench wants every check to run.
    """
    sentences: set[str] = set()
    passages: set[str] = set()
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data["task_type"] in ("support_reply", "kb_answer", "marketing_copy", "medical_triage"):
            for s in _SENTENCE_END.split(data["output"].replace("\n", " ")):
                if 20 <= len(s) <= 400:
                    sentences.add(s.strip())
        passages.update(data.get("context", []))

    def clean(text: str) -> bool:
        probe = {"task_type": "marketing_copy", "output": text, "confidence": 0.99}
        return gate.route(probe).route.value != "block"

    return sorted(s for s in sentences if clean(s)), sorted(p for p in passages if clean(p))


def make_item(rng: random.Random, n: int, size: int, sentences: list[str], passages: list[str]) -> Item:
    """An item whose output is about ``size`` characters of realistic text, with three context passages."""
    parts: list[str] = []
    length = 0
    while length < size:
        roll = rng.random()
        if roll < 0.08:
            s = f"You can reach the customer at {rng.choice(EMAILS)} or on {rng.choice(PHONES)}."
        elif roll < 0.10:
            s = f"The payment was made with card {rng.choice(CARDS)}."
        elif roll < 0.25:
            cents = rng.randrange(100)
            s = f"The order total was ${rng.randrange(10, 5000)}.{cents:02d} on {rng.randrange(1, 28)} May."
        else:
            s = rng.choice(sentences)
        parts.append(s)
        length += len(s) + 1
    output = " ".join(parts)
    if len(output) > size:
        output = output[: output.rfind(" ", 0, size)] + "."
    supported = [s for s in parts if rng.random() < 0.4][:40]
    context = [rng.choice(passages), " ".join(supported) or rng.choice(passages), rng.choice(passages)]
    question = rng.choice(QUESTIONS)
    chat = rng.random() < 0.5
    return Item.parse(
        {
            "id": f"bench-{size}-{n:06d}",
            "task_type": "kb_answer" if n % 2 else "support_reply",
            "input": [
                {"role": "system", "content": "Answer only from the provided passages."},
                {"role": "user", "content": question},
            ]
            if chat
            else question,
            "output": output,
            "context": context,
            "confidence": round(rng.uniform(0.5, 0.995), 3),
            "attributes": {"amount": rng.randrange(10, 20000), "channel": "chat"},
            "tags": ["bench"],
            "model": "bench-model",
        }
    )


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def percentile(sorted_ns: Sequence[int], q: float) -> int:
    """The q-quantile (nearest rank) of already sorted values."""
    return sorted_ns[max(0, math.ceil(q * len(sorted_ns)) - 1)]


@dataclass
class SizeResult:
    size: int
    items: int
    mean_output_bytes: int
    items_per_s: float
    mean_us: float
    p50_us: float
    p99_us: float
    max_us: float
    cpu_items_per_s: float
    cpu_p50_us: float
    cpu_p99_us: float
    floor_mean_us: float
    floor_p50_us: float
    route_over_floor: float
    checks_mean_us: dict[str, float] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)


def bench_size(gate: Gate, size: int, count: int, texts: tuple[list[str], list[str]]) -> SizeResult:
    rng = random.Random(SEED + size)
    items = [make_item(rng, n, size, *texts) for n in range(count)]
    # Warm up on other items than the timed ones, and time each check alone on others again: the checks
    # memoise what recurs across items (words, passages, parsed numbers), and an item seen before would be
    # timed with its own texts memoised.
    for it in [make_item(rng, count + n, size, *texts) for n in range(min(200, count))]:
        gate.route(it)
    alone = [make_item(rng, 2 * count + n, size, *texts) for n in range(min(CHECK_SAMPLE, count))]

    latencies: list[int] = []
    cpu: list[int] = []
    routes: Counter[str] = Counter()
    for it in items:
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        routing = gate.route(it)
        latencies.append(time.perf_counter_ns() - t0)
        cpu.append(time.thread_time_ns() - c0)
        routes[routing.route.value] += 1
    latencies.sort()
    cpu.sort()

    lines = [it.model_dump_json(exclude_none=True) for it in items]
    floor: list[int] = []
    floor_cpu = 0
    for line in lines:
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        Item.parse(json.loads(line))
        floor.append(time.perf_counter_ns() - t0)
        floor_cpu += time.thread_time_ns() - c0
    floor.sort()

    total = sum(latencies)
    mean_ns = total / len(latencies)
    floor_mean = sum(floor) / len(floor)
    return SizeResult(
        size=size,
        items=count,
        mean_output_bytes=round(sum(len(it.output.encode()) for it in items) / count),
        items_per_s=round(len(latencies) / (total / 1e9), 1),
        mean_us=round(mean_ns / 1e3, 1),
        p50_us=round(percentile(latencies, 0.50) / 1e3, 1),
        p99_us=round(percentile(latencies, 0.99) / 1e3, 1),
        max_us=round(latencies[-1] / 1e3, 1),
        cpu_items_per_s=round(len(cpu) / (sum(cpu) / 1e9), 1),
        cpu_p50_us=round(percentile(cpu, 0.50) / 1e3, 1),
        cpu_p99_us=round(percentile(cpu, 0.99) / 1e3, 1),
        floor_mean_us=round(floor_mean / 1e3, 1),
        floor_p50_us=round(percentile(floor, 0.50) / 1e3, 1),
        route_over_floor=round(sum(cpu) / floor_cpu, 1),
        checks_mean_us=check_costs(gate, alone),
        routes=dict(sorted(routes.items())),
    )


def check_costs(gate: Gate, items: Sequence[Item]) -> dict[str, float]:
    """Mean microseconds of each check's ``run`` over the items it applies to (the cascade's own order)."""
    costs: dict[str, float] = {}
    for step in gate.cascade.steps:
        applicable = [it for it in items if step.applies_to(it.task_type)]
        if not applicable:
            continue
        t0 = time.perf_counter_ns()
        for it in applicable:
            step.check.run(it)
        costs[step.check.name] = round((time.perf_counter_ns() - t0) / len(applicable) / 1e3, 1)
    return costs


@dataclass
class CliRun:
    lines: int
    file_mb: float
    wall_s: float
    items_per_s: float
    items_per_s_after_startup: float | None
    cpu_s: float
    items_per_cpu_s: float | None
    peak_rss_mb: float
    exit_code: int
    routes: dict[str, int] = field(default_factory=dict)


# Runs in a fresh, small interpreter that spawns the command and reports the command's own resource usage.
# Spawning ``inloop`` straight from this process would be wrong: Linux carries the parent's resident size at
# fork time into the child's ``ru_maxrss`` high-water mark, and this process holds thousands of items.
_SPAWN = r"""
import json, os, sys, time
out, err, *cmd = sys.argv[1:]
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
actions = [(os.POSIX_SPAWN_OPEN, 1, out, flags, 0o600), (os.POSIX_SPAWN_OPEN, 2, err, flags, 0o600)]
t0 = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=actions)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
print(json.dumps({"code": code, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss}))
"""


def measure(cmd: list[str]) -> tuple[dict[str, Any], str, str]:
    """Run ``cmd``; its exit code, wall seconds, CPU seconds and peak RSS (``ru_maxrss``), stdout, stderr."""
    with tempfile.TemporaryDirectory(prefix="inloop-bench-run-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        spawner = [sys.executable, "-I", "-S", "-c", _SPAWN, str(out), str(err), *cmd]
        # Its own process group, so an interrupted bench takes the command down with it.
        proc = subprocess.Popen(spawner, stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            report, _ = proc.communicate()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        if proc.returncode != 0:
            raise SystemExit(f"could not run {cmd[0]}: exit {proc.returncode}")
        return json.loads(report), out.read_text(), err.read_text()


def run_cli(policy: Path, items_file: Path, lines: int, startup: CliRun | None = None) -> CliRun:
    """``inloop route FILE --policy POLICY --out /dev/null --json`` in a child; its wall time and peak RSS."""
    inloop = Path(sys.executable).parent / "inloop"
    cmd = [str(inloop), "route", str(items_file), "--policy", str(policy), "--out", os.devnull, "--json"]
    usage, stdout, stderr = measure(cmd)
    if usage["code"] not in (0, 3):
        raise SystemExit(f"inloop route failed ({usage['code']}): {stderr[-2000:]}")
    summary = json.loads(stdout) if stdout.strip() else {}
    routes = {name: r["count"] for name, r in summary.get("routes", {}).items()}
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    rss_mb = usage["maxrss"] / (1024 * 1024 if sys.platform == "darwin" else 1024)
    wall, cpu_s = usage["wall"], usage["cpu"]
    net = _net(wall, startup.wall_s if startup else 0.0)
    net_cpu = _net(cpu_s, startup.cpu_s if startup else 0.0)
    return CliRun(
        lines=lines,
        file_mb=round(items_file.stat().st_size / 1e6, 1),
        wall_s=round(wall, 2),
        items_per_s=round(lines / wall, 1),
        items_per_s_after_startup=round(lines / net, 1) if net else None,
        cpu_s=round(cpu_s, 2),
        items_per_cpu_s=round(lines / net_cpu, 1) if net_cpu else None,
        peak_rss_mb=round(rss_mb, 1),
        exit_code=usage["code"],
        routes=routes,
    )


def _net(total: float, startup: float) -> float | None:
    """Time without the start-up, or None when start-up is most of it (the rate would be noise)."""
    net = total - startup
    return net if net > 0.5 * total else None


def file_floor(items_file: Path, limit: int) -> float:
    """Lines per CPU second of ``json.loads`` + ``Item.parse`` over the first ``limit`` lines of a file."""
    n = 0
    t0 = time.process_time_ns()
    with items_file.open(encoding="utf-8") as fh:
        for line in fh:
            Item.parse(json.loads(line))
            n += 1
            if n >= limit:
                break
    return round(n / ((time.process_time_ns() - t0) / 1e9), 1)


def bench_cli(policy: Path, big_lines: int, small_lines: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="inloop-bench-") as tmp:
        tiny, small, big = Path(tmp, "tiny.jsonl"), Path(tmp, "small.jsonl"), Path(tmp, "big.jsonl")
        print(f"  generating {big_lines:,} + {small_lines:,} lines in {tmp} ...", flush=True)
        write_big_file(tiny, 1)
        write_big_file(small, small_lines)
        write_big_file(big, big_lines)
        startup = run_cli(policy, tiny, 1)
        print(f"  startup (1 line): {startup.wall_s:.2f} s, {startup.peak_rss_mb:.0f} MB", flush=True)
        small_run = run_cli(policy, small, small_lines, startup)
        print(f"  {small_lines:,} lines: {small_run.wall_s:.1f} s", flush=True)
        big_run = run_cli(policy, big, big_lines, startup)
        print(f"  {big_lines:,} lines: {big_run.wall_s:.1f} s", flush=True)
        floor = file_floor(big, min(big_lines, 200_000))
    growth = big_run.peak_rss_mb - small_run.peak_rss_mb
    return {
        "command": f"inloop route FILE --policy {_shown(policy)} --out /dev/null --json",
        "startup": asdict(startup),
        "small": asdict(small_run),
        "big": asdict(big_run),
        "rss_growth_mb": round(growth, 1),
        "floor_lines_per_s": floor,
        "route_over_floor": round(floor / big_run.items_per_cpu_s, 1) if big_run.items_per_cpu_s else None,
    }


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "inloop": __version__,
    }


def _load() -> list[float] | None:
    """The 1, 5 and 15-minute load averages: other work on the machine shows up in wall-clock numbers."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def pin_to_one_core() -> int | None:
    """Run this process and its children on one CPU, so "one core" means one core."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def print_sizes(results: list[SizeResult]) -> None:
    head = (
        f"{'output':>8} {'items':>6} {'items/s':>9} {'mean µs':>9} {'p50 µs':>8} {'p99 µs':>8} "
        f"{'max µs':>8} │ {'cpu it/s':>9} {'cpu p50':>8} {'cpu p99':>8} │ {'floor µs':>9} {'x floor':>8}"
    )
    print("wall clock (perf_counter_ns) │ CPU time of the thread (thread_time_ns) │ json.loads + Item.parse")
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r.mean_output_bytes:>7}B {r.items:>6} {r.items_per_s:>9,.0f} {r.mean_us:>9,.1f} "
            f"{r.p50_us:>8,.1f} {r.p99_us:>8,.1f} {r.max_us:>8,.1f} │ {r.cpu_items_per_s:>9,.0f} "
            f"{r.cpu_p50_us:>8,.1f} {r.cpu_p99_us:>8,.1f} │ {r.floor_mean_us:>9,.1f} "
            f"{r.route_over_floor:>8.1f}"
        )
    print("\nmean µs per check (check.run alone, items it applies to):")
    names = list(dict.fromkeys(n for r in results for n in r.checks_mean_us))
    print(f"{'check':<24}" + "".join(f"{r.mean_output_bytes:>9}B" for r in results))
    for name in names:
        print(f"{name:<24}" + "".join(f"{r.checks_mean_us.get(name, 0):>10,.1f}" for r in results))
    print("\nroutes:", "; ".join(f"{r.size}: {r.routes}" for r in results))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def print_cli(cli: dict[str, Any]) -> None:
    head = (
        f"{'lines':>10} {'MB':>8} {'wall s':>8} {'items/s':>9} {'net items/s':>12} {'CPU s':>8} "
        f"{'net items/CPU s':>16} {'peak RSS MB':>12}"
    )
    print(head)
    print("-" * len(head))
    for key in ("startup", "small", "big"):
        r = cli[key]
        if key == "startup":
            r = {**r, "items_per_s": 0, "items_per_s_after_startup": None, "items_per_cpu_s": None}
        print(
            f"{r['lines']:>10,} {r['file_mb']:>8,.1f} {r['wall_s']:>8,.2f} {r['items_per_s']:>9,.0f} "
            f"{_num(r['items_per_s_after_startup']):>12} {r['cpu_s']:>8,.2f} "
            f"{_num(r['items_per_cpu_s']):>16} {r['peak_rss_mb']:>12,.1f}"
        )
    print(
        f"\npeak RSS growth from {cli['small']['lines']:,} to {cli['big']['lines']:,} lines: "
        f"{cli['rss_growth_mb']:+.1f} MB"
    )
    print(
        f"floor (json.loads + Item.parse, in-process): {cli['floor_lines_per_s']:,.0f} lines per CPU s; "
        f"inloop route takes {cli['route_over_floor']}x its CPU time per line"
    )
    print("routes of the big file:", cli["big"]["routes"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer items, smaller files")
    parser.add_argument("--items", type=int, help="items per output size (default 3000; quick 400)")
    parser.add_argument("--lines", type=int, help="lines of the big file (default 1,000,000; quick 20,000)")
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process part")
    parser.add_argument("--policy", type=Path, default=POLICY, help="the policy to route with")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    count = args.items or (400 if args.quick else 3000)
    big_lines = args.lines or (20_000 if args.quick else 1_000_000)
    small_lines = max(1, big_lines // 10)

    # A terminated bench still removes its temporary files (and its child, see measure()).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = _load()
    host = machine()  # before pinning, so it counts the CPUs the machine offers
    cpu = pin_to_one_core()
    gate = Gate.from_file(args.policy)
    print(f"inloop {__version__} · policy {_shown(args.policy)} ({gate.policy_version}) · ", end="")
    print(f"{len(gate.cascade.steps)} checks · pinned to CPU {cpu} · load average {load_before}\n")
    texts = example_texts(gate)

    print(f"== gate.route(item), in-process, one core, {count:,} items per size after warm-up")
    sizes = []
    for size in SIZES:
        print(f"  {size:,} B ...", end=" ", flush=True)
        t0 = time.perf_counter()
        sizes.append(bench_size(gate, size, count, texts))
        print(f"{time.perf_counter() - t0:.0f} s", flush=True)
    print_sizes(sizes)

    cli = None
    if not args.skip_cli:
        print(f"\n== inloop route over {big_lines:,} lines (child process, same core)")
        cli = bench_cli(args.policy, big_lines, small_lines)
        print_cli(cli)

    one_kb = sizes[0]
    targets: dict[str, Any] = {"p99_1kb_under_1ms": one_kb.p99_us < 1000}
    if cli is not None:
        targets["constant_memory"] = cli["rss_growth_mb"] <= max(10.0, 0.1 * cli["small"]["peak_rss_mb"])
    print("\ntargets:", targets)

    result = {
        "bench": "route_bench",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "machine": {**host, "pinned_cpu": cpu, "load_before": load_before, "load_after": _load()},
        "policy": {"path": _shown(args.policy), "version": gate.policy_version},
        "in_process": [asdict(r) for r in sizes],
        "cli": cli,
        "targets": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
