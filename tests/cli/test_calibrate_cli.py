"""``inloop calibrate`` through the installed console script: from files, from a review history built by the
real services on SQLite and PostgreSQL, and every bad input as one line and exit 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inloop.domain import calibration as cal
from inloop.services import intake, review
from testkit.cli import run_inloop
from testkit.service import make_context, make_user

EXPECTED_KEYS = {
    "threshold",
    "error_rate",
    "error_rate_upper",
    "escalation_rate",
    "auto_volume",
    "n",
    "ece_before",
    "ece_after",
    "naive_threshold",
    "table",
    "reason",
}


def write_pairs(path: Path, conf: np.ndarray, correct: np.ndarray, **extra: Any) -> Path:
    with path.open("w") as f:
        for c, y in zip(conf.tolist(), correct.tolist(), strict=True):
            f.write(json.dumps({"confidence": c, "correct": y, **extra}) + "\n")
    return path


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    conf = np.round(rng.beta(6, 1.2, size=n), 4)
    return conf, rng.uniform(size=n) < 0.2 + 0.8 * conf**3


def ok_json(*args: object, stdin: str | None = None) -> dict[str, Any]:
    result = run_inloop("calibrate", *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def bad(*args: object, stdin: str | None = None) -> str:
    result = run_inloop("calibrate", *args, stdin=stdin)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    return result.stderr


# --- from a file ------------------------------------------------------------------------------------------


def test_from_file_json_matches_the_library(tmp_path: Path) -> None:
    conf, correct = synthetic(6000)
    data = write_pairs(tmp_path / "labels.jsonl", conf, correct, task_type="x", id="ignored")
    doc = ok_json("--from", data, "--target-error", "0.05", "--delta", "0.1")
    assert set(doc) >= EXPECTED_KEYS
    expected = cal.analyse(conf, correct, target=0.05, delta=0.1, method="isotonic")
    assert doc["n"] == 3000
    assert doc["threshold"] == expected.threshold
    assert doc["threshold"] is not None
    assert doc["error_rate_upper"] < 0.05
    assert doc["ece_after"] < doc["ece_before"]
    assert doc["raw_threshold"] == expected.raw_threshold
    assert doc["method"] == "isotonic"
    assert len(doc["table"]) == 101
    row = next(r for r in doc["table"] if r["threshold"] == doc["threshold"])
    assert row["auto_volume"] == doc["auto_volume"]
    assert doc["escalation_rate"] == pytest.approx(1 - doc["auto_volume"] / doc["n"])


def test_human_output_shows_the_recommendation_and_the_naive_rule(tmp_path: Path) -> None:
    conf, correct = synthetic(6000, seed=1)
    data = write_pairs(tmp_path / "labels.jsonl", conf, correct)
    plot = tmp_path / "diagram.svg"
    result = run_inloop(
        "calibrate", "--from", data, "--target-error", "0.05", "--method", "platt", "--plot", plot
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for phrase in (
        "ECE, 10 equal-width bins",
        "ECE, 10 equal-mass bins",
        "Brier score",
        "recommended threshold",
    ):
        assert phrase in text
    assert "naive rule" in text
    assert "upper bound" in text
    assert "fixed sequence from" in text
    root = ET.fromstring(plot.read_text())
    assert root.tag.endswith("svg")


def test_nothing_qualifies_is_an_answer_with_a_reason(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    conf = np.full(3000, 0.9)
    correct = rng.uniform(size=3000) < 0.6
    data = write_pairs(tmp_path / "always90.jsonl", conf, correct)
    doc = ok_json("--from", data, "--target-error", "0.02")
    assert doc["threshold"] is None
    assert doc["error_rate"] is None
    assert doc["reason"]
    assert doc["ece_before"] > 0.25
    assert doc["ece_after"] < 0.05
    human = run_inloop("calibrate", "--from", data, "--target-error", "0.02", "--method", "none")
    assert human.returncode == 0
    assert "no threshold qualifies" in human.stdout


def test_stdin_and_method_none(tmp_path: Path) -> None:
    conf, correct = synthetic(3000, seed=4)
    text = "".join(
        json.dumps({"confidence": c, "correct": y}) + "\n"
        for c, y in zip(conf, correct.tolist(), strict=True)
    )
    doc = ok_json("--from", "-", "--target-error", "0.05", "--method", "none", stdin=text)
    expected = cal.analyse(conf, correct, target=0.05, method="none")
    assert doc["n"] == 3000
    assert doc["threshold"] == expected.threshold
    assert doc["ece_after"] is None
    assert doc["naive_threshold"] == expected.naive_threshold


def test_env_database_yields_to_an_explicit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf, correct = synthetic(500, seed=5)
    data = write_pairs(tmp_path / "labels.jsonl", conf, correct)
    monkeypatch.setenv("INLOOP_DB", "postgresql://nobody@127.0.0.1:1/none")
    doc = ok_json("--from", data, "--target-error", "0.1", "--method", "none")
    assert doc["n"] == 500


# --- bad input --------------------------------------------------------------------------------------------


def test_bad_lines_are_named_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"confidence": 0.9, "correct": true}\n'
        '{"confidence": 0.8, "correct": "yes"}\n'
        "\n"
        "{broken\n"
        '{"confidence": 1.2, "correct": false}\n'
    )
    message = bad("--from", path, "--target-error", "0.02", "--method", "none")
    assert f"{path}:2: correct must be true or false" in message
    assert f"{path}:4: not JSON" in message
    assert f"{path}:5: confidence must be a number between 0 and 1" in message
    assert len(message.strip().splitlines()) == 1


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    conf, correct = synthetic(100)
    data = write_pairs(tmp_path / "labels.jsonl", conf, correct)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    cases = [
        (["--target-error", "0.02"], "give --db URL"),
        (["--from", data, "--db", db, "--target-error", "0.02"], "not both"),
        (["--from", data, "--task", "t", "--target-error", "0.02"], "--task"),
        (["--from", tmp_path / "missing.jsonl", "--target-error", "0.02"], "file not found"),
        (["--from", empty, "--target-error", "0.02"], "no labelled items"),
        (["--from", data, "--target-error", "1.5"], "target_error"),
        (["--from", data, "--target-error", "0.02", "--delta", "0"], "delta"),
        (["--from", data, "--target-error", "0.02", "--method", "beta"], "method"),
        (["--from", data, "--target-error", "0.02", "--plot", tmp_path / "d.png"], "PNG"),
        (["--from", data, "--target-error", "0.02", "--plot", tmp_path / "d.txt"], ".svg"),
        (["--from", data, "--target-error", "0.02", "--step", "0"], "step"),
        (["--db", db, "--target-error", "0.02"], "no labelled items in database"),
    ]
    for args, message in cases:
        assert message in bad(*args), args


# --- from the review history ------------------------------------------------------------------------------

POLICY: dict[str, Any] = {
    "version": 1,
    # Everything is reviewed: unsure items in the queue, confident ones released and (all) audited.
    "levels": {"low": {"threshold": 0.8, "confident": "auto", "unsure": "queue", "audit_rate": 1.0}},
    "default_task": {"risk": "low"},
    "tasks": {
        "answer": {"risk": "low"},
        "other": {"risk": "low"},
        "pair": {"risk": "low", "reviewers": 2},
    },
}


def _verdict(i: int) -> tuple[str, str | None, str | None]:
    """The planned decision of item i: mostly approvals, every fourth an edit or a rejection."""
    if i % 4:
        return "approve", None, None
    if i % 8:
        return "edit", "the corrected answer", "hallucination"
    return "reject", None, "hallucination"


def _decide_all(ctx: Any, who: Any, plan: dict[str, tuple[str, str | None, str | None]]) -> None:
    while True:
        claimed = review.claim(ctx, who, limit=100)
        if not claimed:
            return
        for task in claimed:
            verdict, output, category = plan[task["item"]["id"]]
            review.decide(
                ctx,
                who,
                task["id"],
                lease_token=task["lease_token"],
                verdict=verdict,
                output=output,
                category=category,
                reason="test",
            )


def test_from_a_review_history(db_url: str, tmp_path: Path) -> None:
    ctx = make_context(db_url, POLICY)
    alice, bob = make_user(ctx, "alice"), make_user(ctx, "bob")
    lead = make_user(ctx, "lead", role="lead", tier="specialist")
    plan: dict[str, tuple[str, str | None, str | None]] = {}
    expected: list[tuple[str, float, bool]] = []
    for i in range(48):
        conf = round(0.3 + i * 0.0145, 4)  # 0.3 .. 0.98: both queued and released-then-audited items
        item_id = f"a-{i:03d}"
        created = intake.submit(
            ctx, {"id": item_id, "task_type": "answer", "output": "x", "confidence": conf}, actor="t"
        )
        assert created[0]["route"] == ("auto" if conf >= 0.8 else "queue")
        plan[item_id] = _verdict(i)
        expected.append((item_id, conf, plan[item_id][0] == "approve"))
    # Another task type, an item without confidence (reviewed, but not a label).
    for i in range(6):
        intake.submit(
            ctx, {"id": f"o-{i}", "task_type": "other", "output": "x", "confidence": 0.5}, actor="t"
        )
        plan[f"o-{i}"] = ("approve", None, None)
    intake.submit(ctx, {"id": "a-noconf", "task_type": "answer", "output": "x"}, actor="t")
    plan["a-noconf"] = ("approve", None, None)
    _decide_all(ctx, alice, plan)
    # Two reviewers disagree and a lead adjudicates: the adjudicated verdict is the label.
    intake.submit(ctx, {"id": "p-1", "task_type": "pair", "output": "x", "confidence": 0.4}, actor="t")
    intake.submit(ctx, {"id": "p-2", "task_type": "pair", "output": "x", "confidence": 0.6}, actor="t")
    for expected_id in ("p-1", "p-2"):
        # One task per claim: a batch claim may hand one person both reviews of an item.
        (first,) = review.claim(ctx, alice, limit=1)
        assert first["item"]["id"] == expected_id
        review.decide(ctx, alice, first["id"], lease_token=first["lease_token"], verdict="approve")
    (second,) = review.claim(ctx, bob, limit=1)  # p-2 keeps only one of its two reviews: pending
    assert second["item"]["id"] == "p-1"
    review.decide(
        ctx, bob, second["id"], lease_token=second["lease_token"], verdict="reject", category="hallucination"
    )
    (adjudication,) = review.claim(ctx, lead, limit=1)
    assert adjudication["kind"] == "adjudication"
    review.decide(
        ctx,
        lead,
        adjudication["id"],
        lease_token=adjudication["lease_token"],
        verdict="edit",
        output="fixed",
        category="hallucination",
    )
    # Submitted last and never reviewed: not a candidate at all.
    intake.submit(ctx, {"id": "a-zzz", "task_type": "answer", "output": "x", "confidence": 0.2}, actor="t")
    ctx.db.close()

    answers = ok_json("--db", db_url, "--task", "answer", "--target-error", "0.3", "--method", "none")
    conf = np.array([c for _, c, _ in expected])
    correct = np.array([y for _, _, y in expected])
    assert answers["n"] == 48
    assert answers["skipped"] == {"no confidence": 1}
    assert answers["source"] == "database, task answer"
    assert correct.sum() == 36
    assert answers["table"] == cal.analyse(conf, correct, target=0.3, method="none").to_dict()["table"]
    audited = next(r for r in answers["table"] if r["threshold"] == 0.8)
    assert audited["auto_volume"] == sum(1 for c in conf if c >= 0.8)
    assert audited["errors"] == sum(1 for c, y in zip(conf, correct, strict=True) if c >= 0.8 and not y)
    assert audited["errors"] > 0, "edits and rejections by audit count as errors"

    # The same pairs from a file, in item-id order, give the same result, calibration split included.
    file = write_pairs(tmp_path / "same.jsonl", conf, correct)
    from_db = ok_json("--db", db_url, "--task", "answer", "--target-error", "0.3")
    from_file = ok_json("--from", file, "--target-error", "0.3")
    for key in ("threshold", "n", "ece_before", "ece_after", "naive_threshold", "table"):
        assert from_db[key] == from_file[key], key

    everything = ok_json("--db", db_url, "--target-error", "0.3", "--method", "none")
    assert everything["n"] == 48 + 6 + 1, "all task types; p-1 adjudicated, p-2 still pending"
    assert everything["skipped"] == {"no confidence": 1, "pending": 1}
    p1 = next(r for r in everything["table"] if r["threshold"] == 0.4)
    assert p1["errors"] == sum(1 for c, y in zip(conf, correct, strict=True) if c >= 0.4 and not y) + 1
