"""``inloop replay`` as an operator runs it: the report as a table and as JSON, and one-line errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from inloop.clock import ManualClock
from testkit.cli import run_inloop
from testkit.labels import ADAPTIVE_POLICY, review_labelled
from testkit.service import make_context

N = 100  # confidences 0.5 + 0.45 * i / N; people approve from 0.7 (testkit.labels.CUT), reject below


@pytest.fixture
def setup(tmp_path: Path) -> tuple[str, Path]:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    ctx = make_context(db, ADAPTIVE_POLICY, ManualClock())
    review_labelled(ctx, N)
    ctx.db.close()
    looser = copy.deepcopy(ADAPTIVE_POLICY)
    looser["tasks"]["learned"] = {"risk": "low", "threshold": 0.6}
    looser["costs"] = {"review": 3.0, "currency": "EUR"}
    policy = tmp_path / "looser.yaml"
    policy.write_text(yaml.safe_dump(looser))
    return db, policy


def test_json_report(setup: tuple[str, Path]) -> None:
    db, policy = setup
    shown = run_inloop("replay", "--db", db, "--policy", policy, "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr == ""
    doc = json.loads(shown.stdout)
    assert doc["items"] == N
    assert doc["labelled"] == N
    assert doc["current"]["source"] == "stored routes"
    assert doc["current"]["routes"]["queue"] == N
    # released from 0.6: i >= 100 * 0.1 / 0.45, i.e. 23..99 (77 items); errors among them: i = 23..44 (22)
    assert doc["candidate"]["routes"] == {"auto": 77, "audit": 0, "queue": 23, "escalate": 0, "block": 0}
    assert doc["candidate"]["escaped_labelled"] == 22
    assert doc["candidate"]["cost"] == 69.0
    assert doc["candidate"]["currency"] == "EUR"
    assert doc["delta"]["reviews"] == -77
    assert doc["changes"] == [{"from": "queue", "to": "auto", "items": 77}]
    assert doc["filters"] == {"since": None, "until": None, "task": None}


def test_human_report_and_current_policy(setup: tuple[str, Path], tmp_path: Path) -> None:
    db, policy = setup
    current = tmp_path / "current.yaml"
    current.write_text(yaml.safe_dump(ADAPTIVE_POLICY))
    shown = run_inloop("replay", "--db", db, "--policy", policy, "--current", current, "--task", "learned")
    assert shown.returncode == 0, shown.stderr
    assert "100 items replayed" in shown.stdout
    assert "current vs candidate" in shown.stdout
    assert "expected escaped errors" in shown.stdout
    assert "items that change route" in shown.stdout
    assert "current.yaml" in shown.stdout
    assert "looser.yaml" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "last tuesday"), "error: --since: 'last tuesday' is not an ISO 8601 date or time"),
        (("--since", "2026-01-02", "--until", "2026-01-01"), "must be later than --since"),
        (("--workers", "0"), "--workers"),
    ],
)
def test_bad_options(setup: tuple[str, Path], args: tuple[str, ...], message: str) -> None:
    db, policy = setup
    shown = run_inloop("replay", "--db", db, "--policy", policy, *args)
    assert shown.returncode == 2
    assert message in shown.stderr
    assert "Traceback" not in shown.stderr


def test_one_line_errors(setup: tuple[str, Path], tmp_path: Path) -> None:
    db, _ = setup
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nlevels: {low: {threshold: 2, confident: auto, unsure: queue}}\n")
    cases = [
        (("--db", db, "--policy", bad), "bad.yaml: levels.low.threshold"),
        (("--db", db, "--policy", tmp_path / "none.yaml"), "none.yaml"),
        (("--db", f"sqlite:///{tmp_path / 'nope.db'}", "--policy", bad), "no database at"),
        (("--db", "nosuch://x", "--policy", tmp_path / "none.yaml"), "none.yaml"),
    ]
    for args, message in cases:
        shown = run_inloop("replay", *args)
        assert shown.returncode == 2, shown
        assert message in shown.stderr
        assert len(shown.stderr.strip().splitlines()) == 1, shown.stderr
        assert "Traceback" not in shown.stderr
    assert not (tmp_path / "nope.db").exists(), "a replay never creates a database"


def test_a_bad_database_url(setup: tuple[str, Path]) -> None:
    _, policy = setup
    shown = run_inloop("replay", "--db", "nosuch://x", "--policy", policy)
    assert shown.returncode == 2
    assert shown.stderr.startswith("error: --db nosuch://x: not a database URL")
    assert len(shown.stderr.strip().splitlines()) == 1
