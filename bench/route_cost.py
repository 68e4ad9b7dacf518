"""Routing cost in CPU instructions, counted by valgrind's callgrind: a yardstick machine noise cannot move.

Wall-clock numbers on a shared VM swing by 2x within minutes, which hides a 5% change and makes a 2x one hard
to trust. Callgrind counts the instructions the process executes; the count is the same on a busy machine as
on a quiet one, so two versions of the code can be compared from two runs made at any time.

What it measures (the items of ``route_bench.py``: same policy, same generator, same seed):

* ``route``: ``gate.route(item)``; each check's ``run`` alone, on the items it applies to; and the floor,
  ``json.loads`` + ``Item.parse`` of the same items as JSON lines (what any router pays to read an item).
  Each is one child process under callgrind that builds the items, warms up on 200 others, then runs N
  inside ``sys.call_tracing``: callgrind counts only inside that function (``--toggle-collect``), so the
  start-up, the warm-up and the exit are not counted. Reported: instructions per item, and routing as a
  multiple of the floor.
* where the instructions of ``route`` go, by the C code that executed them: the interpreter loop, the regex
  engine, str methods and character tables, dicts, sets, memory (allocation, freeing and the garbage
  collector), the Aho-Corasick keyword automaton, and the rest. This says what kind of change could make
  routing much cheaper: a share of Python bytecode bounds what any rewrite of the Python code can save.

Instructions are not time (a cache miss costs more than an add), but on one machine and one Python the ratio
of two counts tracks the ratio of the two CPU times closely.

Usage::

    python bench/route_cost.py              # 300 items of 1 KB, every check: 5-10 minutes on 2 cores
    python bench/route_cost.py --quick      # 100 items, route and floor only
    python bench/route_cost.py --size 4096

Needs valgrind (Debian's ``valgrind`` package); without it, prints so and exits 0. Writes
bench/out/route_cost.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "route_cost.json"
WARM_UP = 200

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("regex", ("_sre",)),
    (
        "str",
        (
            "unicodeobject",
            "unicodectype",
            "stringlib",
            "fastsearch",
            "bytesobject",
            "bytes_methods",
            "pyhash.c",
        ),
    ),
    ("dict", ("dictobject.c",)),
    ("set", ("setobject.c",)),
    ("aho-corasick", ("trienode.c", "trie.c", "AutomatonSearchIter.c", "Automaton.c")),
    (
        "tuple, list, int, float",
        ("tupleobject.c", "tupledealloc", "listobject.c", "longobject.c", "floatobject.c"),
    ),
    ("memory", ("obmalloc.c", "malloc", "gcmodule.c", "memset", "memmove", "memcpy", "memcmp")),
    (
        "interpreter",
        (
            "Python/ceval.c",
            "pycore_ceval.h",
            "specialize.c",
            "frameobject.c",
            "Python/frame.c",
            "pycore_frame.h",
        ),
    ),
    (
        "object model",
        (
            "Objects/object.c",
            "typeobject.c",
            "abstract.c",
            "Objects/call.c",
            "getargs.c",
            "bltinmodule.c",
            "Include/object.h",
            "pycore_object.h",
            "sliceobject.c",
            "methodobject.c",
            "descrobject.c",
            "funcobject.c",
            "genobject.c",
            "iterobject.c",
            "boolobject.c",
            "classobject.c",
            "enumobject.c",
            "structmember.c",
            "pystate",
            "pycore_call.h",
        ),
    ),
)
"""Where an instruction was executed, by the source file callgrind names for its function (first match)."""


# --------------------------------------------------------------------------------------------------
# The child: build the items, warm up, run one mode over the last N
# --------------------------------------------------------------------------------------------------


def child(mode: str, count: int, size: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from inloop import Gate, Item
    from route_bench import POLICY, SEED, example_texts, make_item

    gate = Gate.from_file(POLICY)
    texts = example_texts(gate)
    rng = random.Random(SEED + size)
    warm = [make_item(rng, n, size, *texts) for n in range(WARM_UP)]
    items = [make_item(rng, WARM_UP + n, size, *texts) for n in range(count)]
    lines = [it.model_dump_json(exclude_none=True) for it in items]
    for it in warm:
        gate.route(it)
    step = next((s for s in gate.cascade.steps if s.check.name == mode), None)

    def measured() -> None:
        if mode == "floor":
            for line in lines:
                Item.parse(json.loads(line))
        elif mode == "route":
            for it in items:
                gate.route(it)
        elif step is not None:
            for it in items:
                if step.applies_to(it.task_type):
                    step.check.run(it)

    # Start from a collected heap, frozen out of later collections: else a full collection of the thousands
    # of objects the child holds lands in whichever mode happens to trigger it.
    gc.collect()
    gc.freeze()
    # The one call of sys.call_tracing in the process: callgrind counts what runs inside it, nothing else.
    # With no trace function set it is a plain call.
    sys.call_tracing(measured, ())


# --------------------------------------------------------------------------------------------------
# The parent: one callgrind child per mode, two at a time
# --------------------------------------------------------------------------------------------------


def callgrind(mode: str, count: int, size: int, tmp: Path) -> Path:
    out = tmp / f"{mode}.out"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        "--toggle-collect=sys_call_tracing",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        "--child",
        mode,
        "--items",
        str(count),
        "--size",
        str(size),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"callgrind run of {mode!r} failed ({done.returncode}): {done.stderr[-2000:]}")
    return out


def total(profile: Path) -> int:
    """The instruction count of a whole callgrind profile (its ``summary:`` line)."""
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no summary in {profile}")


_ANNOTATED = re.compile(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)")


def by_function(profile: Path) -> Iterator[tuple[str, int]]:
    """(``file:function``, instructions) for every function of a profile, from ``callgrind_annotate``."""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", str(profile)], capture_output=True, text=True, check=True
    ).stdout
    _, _, table = text.partition("file:function")
    for line in table.splitlines():
        m = _ANNOTATED.match(line)
        if m:
            yield m.group(2), int(m.group(1).replace(",", ""))


def category(function: str) -> str:
    return next((name for name, parts in CATEGORIES if any(p in function for p in parts)), "other")


def split(profile: Path, count: int) -> dict[str, int]:
    """Instructions per item by category of the C code that ran them."""
    shares: dict[str, int] = {}
    for function, n in by_function(profile):
        key = category(function)
        shares[key] = shares.get(key, 0) + n
    return {k: round(v / count) for k, v in sorted(shares.items(), key=lambda kv: -kv[1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 items, route and floor only")
    parser.add_argument("--items", type=int, help="items counted per mode (default 300; quick 100)")
    parser.add_argument("--size", type=int, default=1024, help="output size in bytes (default 1024)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    count = args.items or (100 if args.quick else 300)
    if args.child:
        child(args.child, count, args.size)
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_annotate")):
        print("route_cost: valgrind is not installed (apt-get install valgrind); skipped")
        return 0

    sys.path.insert(0, str(ROOT / "bench"))
    from inloop import Gate
    from route_bench import POLICY, SEED, example_texts, make_item

    gate = Gate.from_file(POLICY)
    texts = example_texts(gate)
    rng = random.Random(SEED)
    tasks = {make_item(rng, n, args.size, *texts).task_type for n in range(10)}
    steps = [] if args.quick else gate.cascade.steps
    checks = [s.check.name for s in steps if any(s.applies_to(t) for t in tasks)]
    modes = ["floor", "route", *checks]
    print(
        f"== instructions per item (callgrind), {count} items of {args.size:,} B, modes: {', '.join(modes)}"
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="inloop-cost-") as tmp, ThreadPoolExecutor(2) as pool:
        runs = pool.map(lambda m: callgrind(m, count, args.size, Path(tmp)), modes)
        profiles = dict(zip(modes, runs, strict=True))
        per_item = {m: round(total(p) / count) for m, p in profiles.items()}
        shares = split(profiles["route"], count)
    print(f"  {time.perf_counter() - t0:.0f} s\n")

    route = per_item["route"]
    print(f"{'mode':<24} {'instructions/item':>18} {'share of route':>15}")
    for mode, n in per_item.items():
        print(f"{mode:<24} {n:>18,} {n / route:>15.1%}")
    print(f"\nroute = {route / per_item['floor']:.0f}x the floor (json.loads + Item.parse)")
    print("\nwhere the instructions of route go:")
    for name, n in shares.items():
        print(f"  {name:<24} {n:>12,} {n / route:>7.1%}")

    result = {
        "bench": "route_cost",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "items": count,
        "size": args.size,
        "instructions_per_item": per_item,
        "route_over_floor": round(route / per_item["floor"], 1),
        "route_by_category": shares,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")  # children inherit it: set iteration order stays the same
    sys.exit(main())
