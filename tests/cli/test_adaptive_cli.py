"""``inloop policy adapt`` as an operator runs it: the learned threshold, its evidence, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from inloop.clock import ManualClock
from testkit.cli import run_inloop
from testkit.labels import ADAPTIVE_POLICY, review_labelled
from testkit.service import make_context


def test_adapt_learns_a_threshold_from_the_reviews(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(ADAPTIVE_POLICY))
    ctx = make_context(db, ADAPTIVE_POLICY, ManualClock())
    review_labelled(ctx, 200)
    ctx.db.close()

    shown = run_inloop("policy", "adapt", "--policy", str(policy), "--db", db)
    assert shown.returncode == 0, shown.stderr
    assert "learned" in shown.stdout
    assert "0.95" in shown.stdout
    assert "automated labels" in shown.stdout

    again = run_inloop("policy", "adapt", "--policy", str(policy), "--db", db, "--json")
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    [task] = result["tasks"]
    assert task["changed"] is False, "the first run stored the version; the second starts from it"
    assert 0.66 <= task["before"] == task["after"] <= 0.71


def test_adapt_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(ADAPTIVE_POLICY))
    unknown = run_inloop("policy", "adapt", "--policy", str(policy), "--db", db, "--task", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == f"error: --task: nope has no adaptive threshold in {policy}"
    missing = run_inloop("policy", "adapt", "--policy", str(tmp_path / "none.yaml"), "--db", db)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
