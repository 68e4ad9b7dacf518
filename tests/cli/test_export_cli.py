"""``inloop export`` as an operator runs it: files written whole, stdout for pipes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from inloop.clock import ManualClock
from testkit.cli import run_inloop
from testkit.history import HISTORY_POLICY, build_history
from testkit.service import make_context


def test_export_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    ctx = make_context(db, HISTORY_POLICY, ManualClock())
    history = build_history(ctx, ManualClock())
    ctx.db.close()

    out = tmp_path / "sft.jsonl"
    written = run_inloop("export", "--db", db, "--format", "sft", "--out", out)
    assert written.returncode == 0, written.stderr
    assert written.stderr.strip() == f"5 sft records written to {out}"
    assert len(out.read_text().splitlines()) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sft")], "no temporary file left"

    piped = run_inloop("export", "--db", db, "--format", "dpo", "--task", "refund_approval")
    assert piped.returncode == 0, piped.stderr
    [pair] = [json.loads(line) for line in piped.stdout.splitlines()]
    assert pair["metadata"]["item_id"] == history.adjudicated

    reviews = run_inloop("export", "--db", db, "--format", "reviews", "--since", "2000-01-01")
    assert len(reviews.stdout.splitlines()) == 8


def test_export_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    cases = {
        ("--format", "csv"): "error: format: must be one of sft, dpo, labels, reviews (got 'csv')",
        ("--format", "sft", "--since", "soon"): "error: --since: 'soon' is not an ISO 8601 date or time",
        ("--format", "sft", "--out", tmp_path / "no" / "x.jsonl"): "error: --out: directory",
    }
    for args, message in cases.items():
        result = run_inloop("export", "--db", db, *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(message), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    kept = tmp_path / "kept.jsonl"
    kept.write_text("old\n")
    failed = run_inloop(
        "export", "--db", "postgresql://nobody@127.0.0.1:1/none", "--format", "sft", "--out", kept
    )
    assert failed.returncode == 2
    assert kept.read_text() == "old\n", "a failed export leaves the old file alone"
