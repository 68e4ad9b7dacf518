"""``inloop gold`` as an operator runs it: mark, list, unmark, accuracy, and one-line errors."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from inloop.services import intake, review
from testkit import MATRIX_POLICY
from testkit.cli import run_inloop
from testkit.service import make_context, make_user


class Always(random.Random):
    def random(self) -> float:
        return 0.0


def _seed(db: str) -> tuple[str, str]:
    """A released item and a pending one; a gold answer given right by sam and wrong by tom."""
    policy = copy.deepcopy(MATRIX_POLICY)
    policy["gold"] = {"rate": 0.5}
    ctx = make_context(db, policy)
    released = intake.submit(
        ctx, {"task_type": "support_reply", "output": "ok", "confidence": 0.95}, actor="t"
    )[0]
    pending = intake.submit(ctx, {"task_type": "support_reply", "output": "x", "confidence": 0.1}, actor="t")[
        0
    ]
    ctx.db.close()
    return released["id"], pending["id"]


def _answer(db: str) -> None:
    policy = copy.deepcopy(MATRIX_POLICY)
    policy["gold"] = {"rate": 0.5}
    ctx = make_context(db, policy)
    for name, verdict in (("sam", "reject"), ("tom", "approve")):
        who = make_user(ctx, name)
        task = review.claim(ctx, who, rng=Always(0))[0]
        review.decide(ctx, who, task["id"], lease_token=task["lease_token"], verdict=verdict, category="tone")
    ctx.db.close()


def test_mark_list_accuracy_unmark(db_url: str, tmp_path: Path) -> None:
    db = db_url
    released, _ = _seed(db)
    answer = tmp_path / "answer.txt"
    answer.write_text("the right text")
    marked = run_inloop(
        "gold",
        "mark",
        released,
        "--verdict",
        "edit",
        "--output-file",
        answer,
        "--category",
        "tone",
        "--db",
        db,
    )
    assert marked.returncode == 0, marked.stderr
    assert f"gold: {released} (edit, category tone)" in marked.stdout
    again = run_inloop("gold", "mark", released, "--verdict", "reject", "--category", "tone", "--db", db)
    assert again.returncode == 0, again.stderr
    listed = run_inloop("gold", "list", "--json", "--db", db)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)["gold"]
    assert (row["item_id"], row["verdict"], row["output"], row["answered"]) == (released, "reject", None, 0)
    assert released in run_inloop("gold", "list", "--db", db).stdout
    _answer(db)
    scored = run_inloop("gold", "accuracy", "--json", "--db", db)
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    assert result["reviewers"]["sam"]["accuracy"] == 1.0
    assert result["reviewers"]["tom"]["accuracy"] == 0.0
    assert result["overall"]["answered"] == 2
    table = run_inloop("gold", "accuracy", "--db", db)
    assert "sam" in table.stdout
    assert "100.0%" in table.stdout
    empty = run_inloop("gold", "accuracy", "--json", "--until", "2000-01-01", "--db", db)
    assert json.loads(empty.stdout)["overall"]["answered"] == 0
    unmarked = run_inloop("gold", "unmark", released, "--db", db)
    assert unmarked.returncode == 0, unmarked.stderr
    assert json.loads(run_inloop("gold", "list", "--json", "--db", db).stdout)["gold"] == []
    assert len(json.loads(run_inloop("gold", "list", "--all", "--json", "--db", db).stdout)["gold"]) == 1


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    released, pending = _seed(db)
    cases = [
        (["gold", "mark", released, "--verdict", "maybe"], "verdict: must be one of approve, reject, edit"),
        (["gold", "mark", released, "--verdict", "reject"], "category"),
        (["gold", "mark", released, "--verdict", "edit", "--category", "tone"], "output"),
        (
            ["gold", "mark", released, "--verdict", "approve", "--output-file", tmp_path / "nope"],
            "--output-file",
        ),
        (["gold", "mark", "itm_nope", "--verdict", "approve"], "itm_nope"),
        (["gold", "mark", pending, "--verdict", "approve"], "only a decided item can be gold"),
        (["gold", "unmark", "itm_nope"], "itm_nope"),
        (["gold", "accuracy", "--since", "last week"], "since"),
    ]
    for args, message in cases:
        result = run_inloop(*args, "--db", db)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
