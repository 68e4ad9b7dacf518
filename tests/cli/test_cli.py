"""The ``inloop`` console script, run as a user would: a real process, real files, exit codes and output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

INLOOP = shutil.which("inloop", path=str(Path(sys.executable).parent))
assert INLOOP, "the inloop console script is not installed in this environment"


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INLOOP, *map(str, args)], capture_output=True, text=True, input=stdin, timeout=60, check=False
    )


def write_items(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


ITEMS = [
    {"id": "a", "task_type": "support_reply", "output": "Thanks, done.", "confidence": 0.95},
    {"task_type": "support_reply", "output": "Maybe?", "confidence": 0.3},
    {
        "id": "c",
        "task_type": "refund_approval",
        "output": "Refund ok",
        "confidence": 0.99,
        "attributes": {"amount": 50000},
    },
]


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("inloop ")


def test_policy_check_valid(write_policy: Any, policy_data: dict[str, Any]) -> None:
    result = run("policy", "check", write_policy(policy_data))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_policy_check_invalid_names_file_and_path(write_policy: Any, policy_data: dict[str, Any]) -> None:
    policy_data["tasks"]["refund_approval"]["rules"][0]["if"] = "attributes.amount >>> 3"
    path = write_policy(policy_data)
    result = run("policy", "check", path)
    assert result.returncode == 2
    assert f"{path}: tasks.refund_approval.rules[0].if: does not compile" in result.stderr
    assert "Traceback" not in result.stderr


def test_policy_check_missing_file(tmp_path: Path) -> None:
    result = run("policy", "check", tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert "nope.yaml: file not found" in result.stderr


def test_route_writes_one_routing_per_item(tmp_path: Path, write_policy: Any, policy_data: dict) -> None:
    items = write_items(tmp_path / "items.jsonl", ITEMS)
    out = tmp_path / "routed.jsonl"
    result = run("route", items, "--policy", write_policy(policy_data), "--out", out)
    assert result.returncode == 0, result.stderr
    routed = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["line"], r["route"]) for r in routed] == [
        ("a", 1, "auto"),
        (None, 2, "queue"),
        ("c", 3, "escalate"),
    ]
    assert routed[2]["risk"] == "critical"
    assert "3 items routed, 0 malformed" in result.stdout


def test_route_json_summary_and_malformed_lines(tmp_path: Path, write_policy: Any, policy_data: dict) -> None:
    lines: list[Any] = [ITEMS[0], "{not json", {"output": "no task type"}, "", ITEMS[1]]
    items = write_items(tmp_path / "items.jsonl", lines)
    result = run("route", items, "--policy", write_policy(policy_data), "--json")
    assert result.returncode == 3
    summary = json.loads(result.stdout)
    assert summary["routed"] == 2
    assert summary["malformed"] == 2
    assert summary["routes"]["auto"] == {"count": 1, "rate": 0.5}
    assert summary["tasks"]["support_reply"]["queue"]["count"] == 1
    assert f"{items}:2: skipped: not valid JSON" in result.stderr
    assert f"{items}:3: skipped: task_type: required field is missing" in result.stderr
    assert any(r["reason"].startswith("confidence # >= # for risk low") for r in summary["top_reasons"])


def test_route_reads_stdin(write_policy: Any, policy_data: dict[str, Any]) -> None:
    stdin = "\n".join(json.dumps(i) for i in ITEMS)
    result = run("route", "-", "--policy", write_policy(policy_data), "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["routed"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["route", "ITEMS"], "Missing option '--policy'"),
        (["route", "missing.jsonl", "--policy", "POLICY"], "missing.jsonl: file not found"),
        (["route", "ITEMS", "--policy", "nope.yaml"], "nope.yaml: file not found"),
        (["route", "ITEMS", "--policy", "POLICY", "--out", "/nonexistent/dir/x.jsonl"], "cannot write"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, write_policy: Any, policy_data: dict[str, Any], args: list[str], message: str
) -> None:
    items = write_items(tmp_path / "items.jsonl", ITEMS)
    policy = write_policy(policy_data)
    argv = [str(items) if a == "ITEMS" else str(policy) if a == "POLICY" else a for a in args]
    result = subprocess.run(
        [INLOOP, *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
