"""``inloop metrics`` as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from inloop.clock import ManualClock
from testkit.cli import run_inloop
from testkit.history import HISTORY_POLICY, build_history
from testkit.service import make_context


def test_metrics_report(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(HISTORY_POLICY))
    ctx = make_context(db, HISTORY_POLICY, ManualClock())
    build_history(ctx, ManualClock())
    ctx.db.close()

    shown = run_inloop("metrics", "--db", db, "--policy", policy)
    assert shown.returncode == 0, shown.stderr
    for text in ("error escape", "queue wait", "handling", "rae", "Krippendorff", "16.00 USD for 8 reviews"):
        assert text in shown.stdout, text
    assert "human corrections exported for training: 0 of 4" in shown.stdout

    as_json = run_inloop("metrics", "--db", db, "--json", "--task", "refund_approval")
    assert as_json.returncode == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    assert result["routes"] == {"queue": 1}
    assert result["cost"]["total"] is None, "no policy, no prices"


def test_metrics_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    for args, message in {
        ("--since", "later"): "error: --since: 'later' is not an ISO 8601 date or time",
        ("--since", "2026-02-01", "--until", "2026-01-01"): "error: --until must be later than --since",
        ("--policy", tmp_path / "none.yaml"): "error:",
    }.items():
        result = run_inloop("metrics", "--db", db, *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(message), result.stderr
        assert "Traceback" not in result.stderr
