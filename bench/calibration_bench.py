"""Calibration and threshold speed on a million labelled rows, against baselines measured in the same run.

What it measures:

1. In-process, on ``--rows`` synthetic (confidence, correct) pairs (default 1,000,000; confidence ~
   Beta(5, 1.5), P(wrong) = 0.35 (1 - c)^1.5, seeded):
   - **floor**: ``np.sort`` of the confidences alone, the least a sort-once table can cost;
   - **threshold table, sort once**: ``threshold_table`` for the 101-point grid (0.00 .. 1.00) and for a
     1,001-point grid (step 0.001);
   - **baseline, per-threshold loop**: seed 003's ``find_optimal_threshold`` loop (a boolean mask and a mean
     per threshold) over 100 thresholds, the approach the table replaces; its results are checked equal to
     the table's;
   - the recommendation (Clopper-Pearson bounds and the fixed sequence), ECE (both binnings) and Brier;
   - ``analyse`` end to end for ``--method none``, ``isotonic`` and ``platt`` (fit on half, table and
     guarantee on the other half), after one warm-up call so library imports are not counted.
   Each timing is the best of ``--repeat`` runs (default 3).
2. Reading labels: ``services.labels.from_jsonl`` over a ``--rows``-line JSON Lines file written to a
   temporary directory (rows/s), and the real console script ``inloop calibrate --from FILE
   --target-error 0.02 --json`` on it in a child process: wall time and the child's peak RSS, compared with
   a file ten times smaller to show that memory grows with the arrays (about 9 bytes a row), not with the
   text.

Usage::

    python bench/calibration_bench.py                 # 1,000,000 rows
    python bench/calibration_bench.py --rows 200000 --repeat 1 --no-cli

Prints a table and writes bench/out/calibration_bench.json.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from inloop import __version__
from inloop.domain import calibration as cal
from inloop.services.labels import from_jsonl

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "calibration_bench.json"
INLOOP = str(Path(sys.executable).parent / "inloop")
SEED = 1234
TARGET = 0.02
DELTA = 0.05


def synthetic(rows: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    conf = rng.beta(5.0, 1.5, size=rows)
    correct = rng.uniform(size=rows) >= 0.35 * (1.0 - conf) ** 1.5
    return conf, correct


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def seed_loop(conf: np.ndarray, correct: np.ndarray, thresholds: np.ndarray) -> list[tuple[int, int]]:
    """Seed 003's per-threshold pass (its loop body, without the rounding), for 100 thresholds."""
    out = []
    for t in thresholds:
        autonomous = conf >= t
        count = int(autonomous.sum())
        if count == 0:
            out.append((0, 0))
            continue
        error_rate = 1 - correct[autonomous].mean()
        escalated = conf < t
        _ = escalated.sum() / len(conf)
        out.append((count, round(error_rate * count)))
    return out


def in_process(rows: int, repeat: int) -> dict[str, Any]:
    conf, correct = synthetic(rows)
    grid = cal.threshold_grid(0.01)
    fine = cal.threshold_grid(0.001)
    loop_grid = grid[:100]  # 0.00 .. 0.99: the 100 thresholds of the baseline
    timings: dict[str, float] = {}
    cal.threshold_table(conf[:100], correct[:100], grid, DELTA)  # warm-up: scipy.special's import
    timings["numpy sort alone (floor)"], _ = best_of(repeat, lambda: np.sort(conf))
    timings["threshold table, 101 thresholds (sort once)"], table = best_of(
        repeat, lambda: cal.threshold_table(conf, correct, grid, DELTA)
    )
    timings["threshold table, 1001 thresholds (sort once)"], _ = best_of(
        repeat, lambda: cal.threshold_table(conf, correct, fine, DELTA)
    )
    timings["baseline: per-threshold loop, 100 thresholds"], loop = best_of(
        repeat, lambda: seed_loop(conf, correct, loop_grid)
    )
    same = loop == list(zip(table.auto[:100].tolist(), table.errors[:100].tolist(), strict=True))
    timings["recommendation (Clopper-Pearson, fixed sequence)"], rec = best_of(
        repeat, lambda: cal.recommend(table, TARGET, DELTA)
    )
    timings["ECE, equal-width"], _ = best_of(repeat, lambda: cal.ece(conf, correct, 10, "width"))
    timings["ECE, equal-mass"], _ = best_of(repeat, lambda: cal.ece(conf, correct, 10, "mass"))
    timings["Brier score"], _ = best_of(repeat, lambda: cal.brier(conf, correct))
    results: dict[str, Any] = {}
    for method in ("none", "isotonic", "platt"):
        cal.analyse(conf[:2000], correct[:2000], target=TARGET, method=method)  # warm-up: imports
        elapsed, analysis = best_of(
            repeat, lambda m=method: cal.analyse(conf, correct, target=TARGET, method=m)
        )
        timings[f"analyse, method {method} (calibrate + table + guarantee)"] = elapsed
        results[method] = {
            "threshold": analysis.threshold,
            "raw_threshold": analysis.raw_threshold,
            "auto_volume": int(analysis.table.auto[analysis.recommendation.index])
            if analysis.recommendation.index is not None
            else None,
            "n_eval": analysis.n_eval,
            "ece_before": analysis.before.ece,
            "ece_after": analysis.after.ece if analysis.after else None,
        }
    return {
        "rows": rows,
        "timings_s": timings,
        "loop_matches_table": same,
        "recommended_threshold_raw": float(table.thresholds[rec.index]) if rec.index is not None else None,
        "analyses": results,
    }


def write_file(path: Path, conf: np.ndarray, correct: np.ndarray) -> None:
    with path.open("w") as f:
        for c, y in zip(np.round(conf, 6).tolist(), correct.tolist(), strict=True):
            f.write(f'{{"confidence": {c}, "correct": {"true" if y else "false"}}}\n')


# A child's peak RSS (ru_maxrss) starts from its parent's at fork time and survives exec, so the console
# script is started by this small launcher, not by the bench process with its million-row arrays.
LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "status": status, "maxrss": usage.ru_maxrss}))
"""


def run_cli_measured(path: Path) -> dict[str, Any]:
    """Run ``inloop calibrate --from path --json`` and report its wall time and peak RSS."""
    command = [INLOOP, "calibrate", "--from", str(path), "--target-error", str(TARGET), "--json"]
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True
    )
    result = json.loads(launched.stdout)
    if result["status"] != 0:
        raise RuntimeError(f"inloop calibrate failed: {launched.stderr}")
    rss_mb = result["maxrss"] / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"seconds": round(result["seconds"], 3), "peak_rss_mb": round(rss_mb, 1)}


def files(rows: int, cli: bool) -> dict[str, Any]:
    conf, correct = synthetic(rows, seed=SEED + 1)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "labels.jsonl"
        small = Path(tmp) / "labels_small.jsonl"
        write_file(big, conf, correct)
        write_file(small, conf[: max(1, rows // 10)], correct[: max(1, rows // 10)])
        out["file_mb"] = round(big.stat().st_size / 1e6, 1)
        start = time.perf_counter()
        with big.open() as f:
            labels = from_jsonl(f, str(big))
        elapsed = time.perf_counter() - start
        out["from_jsonl_seconds"] = round(elapsed, 3)
        out["from_jsonl_rows_per_s"] = round(labels.n / elapsed)
        if cli:
            out["cli_small"] = {"rows": max(1, rows // 10), **run_cli_measured(small)}
            out["cli_big"] = {"rows": rows, **run_cli_measured(big)}
    return out


def machine() -> dict[str, Any]:
    return {
        "inloop": __version__,
        "cpu": platform.processor() or platform.machine(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="Skip the console-script run on a file.")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"machine": machine()}
    report["in_process"] = in_process(args.rows, args.repeat)
    report["files"] = files(args.rows, cli=not args.no_cli)

    ip = report["in_process"]
    print(f"calibration bench: {args.rows:,} rows, best of {args.repeat}")
    width = max(len(k) for k in ip["timings_s"])
    for name, seconds in ip["timings_s"].items():
        print(f"  {name:<{width}}  {seconds * 1000:9.1f} ms")
    table_s = ip["timings_s"]["threshold table, 101 thresholds (sort once)"]
    loop_s = ip["timings_s"]["baseline: per-threshold loop, 100 thresholds"]
    print(
        f"  per-threshold loop / sort-once table: {loop_s / table_s:.1f}x "
        f"(results equal: {ip['loop_matches_table']})"
    )
    for method, r in ip["analyses"].items():
        print(
            f"  {method:>8}: threshold {r['threshold']} (raw {r['raw_threshold']}), "
            f"automated {r['auto_volume']} of {r['n_eval']:,}, ECE {r['ece_before']:.4f} -> {r['ece_after']}"
        )
    f = report["files"]
    print(
        f"  from_jsonl: {f['from_jsonl_rows_per_s']:,} rows/s "
        f"({f['file_mb']} MB file, {f['from_jsonl_seconds']} s)"
    )
    for key in ("cli_small", "cli_big"):
        if key in f:
            c = f[key]
            print(
                f"  inloop calibrate --from ({c['rows']:,} rows): {c['seconds']} s, "
                f"peak RSS {c['peak_rss_mb']} MB"
            )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
