"""``inloop drift`` as an operator runs it: the report now (a table or one JSON object), the exit code that
--fail-on-drift gives cron, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from inloop.clock import ManualClock, wall_ms
from testkit.cli import run_inloop
from testkit.drift import DAY, DRIFT_POLICY, a_week_then_a_day
from testkit.service import make_context


def database(tmp_path: Path, *, shifted: bool) -> tuple[str, Path]:
    """A database whose recent day ends now (the command compares against the wall clock)."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(DRIFT_POLICY))
    ctx = make_context(db, DRIFT_POLICY, ManualClock(wall_ms() - 8 * DAY * 1000 + 60_000))
    try:
        a_week_then_a_day(ctx, shifted=shifted)
    finally:
        ctx.db.close()
    return db, policy


@pytest.mark.parametrize("shifted", [True, False])
def test_drift_reports_now(tmp_path: Path, shifted: bool) -> None:
    db, policy = database(tmp_path, shifted=shifted)

    shown = run_inloop("drift", "--policy", policy, "--db", db)
    assert shown.returncode == 0, shown.stderr
    assert "confidence" in shown.stdout
    assert "check:long" in shown.stdout
    assert "escalation rate" in shown.stdout
    assert ("drift detected" in shown.stdout) is shifted
    assert ("no drift" in shown.stdout) is not shifted

    as_json = run_inloop("drift", "--policy", policy, "--db", db, "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["drifted"] is shifted
    signals = {s["name"]: s for s in report["signals"]}
    assert signals["confidence"]["n_reference"] == 210
    assert signals["confidence"]["n_recent"] == 120
    assert signals["confidence"]["drifted"] is shifted
    assert report["escalation"]["drifted"] is shifted
    assert report["recent"]["until"].endswith("Z")

    gate = run_inloop("drift", "--policy", policy, "--db", db, "--fail-on-drift")
    assert gate.returncode == (1 if shifted else 0), gate.stderr


def test_drift_on_an_empty_database_skips_everything(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(DRIFT_POLICY))
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run_inloop("drift", "--policy", policy, "--db", db, "--json", "--fail-on-drift")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["drifted"] is False
    assert report["signals"] == []
    assert report["escalation"]["skipped"] is True


def test_drift_errors(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(DRIFT_POLICY))
    db = f"sqlite:///{tmp_path / 'x.db'}"
    missing = run_inloop("drift", "--policy", tmp_path / "none.yaml", "--db", db)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1

    bad = dict(DRIFT_POLICY, drift={"psi": -1})
    policy.write_text(yaml.safe_dump(bad))
    invalid = run_inloop("drift", "--policy", policy, "--db", db)
    assert invalid.returncode == 2
    assert "drift.psi" in invalid.stderr
    assert "Traceback" not in invalid.stderr

    policy.write_text(yaml.safe_dump(DRIFT_POLICY))
    unreachable = run_inloop("drift", "--policy", policy, "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("error: database error")
    assert len(unreachable.stderr.strip().splitlines()) == 1
