"""``inloop users``, ``keys`` and ``db`` as an operator runs them: one-line errors, the key alone."""

from __future__ import annotations

import re
from pathlib import Path

from inloop.services import accounts
from inloop.services.context import Context
from inloop.storage import open_database
from testkit.cli import run_inloop


def test_users_and_keys(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    added = run_inloop(
        "users",
        "add",
        "alice",
        "--role",
        "reviewer",
        "--tier",
        "senior",
        "--skills",
        "finance, legal",
        "--password-stdin",
        "--db",
        db,
        stdin="correct horse battery\n",
    )
    assert added.returncode == 0, added.stderr
    assert "added alice (reviewer, tier senior, skills finance, legal)" in added.stdout
    key = run_inloop("keys", "create", "--user", "alice", "--db", db)
    assert key.returncode == 0, key.stderr
    assert re.fullmatch(r"ilk_[A-Za-z0-9_-]{40,}\n", key.stdout), "the key alone on stdout, URL-safe"
    ctx = Context(db=open_database(db), gate=None)
    assert accounts.authenticate_key(ctx, key.stdout.strip()).name == "alice"
    assert accounts.authenticate_password(ctx, "alice", "correct horse battery") is not None
    assert accounts.authenticate_password(ctx, "alice", "wrong") is None
    ctx.db.close()


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    cases = [
        (["users", "add", "bob", "--role", "boss", "--db", db], "role: must be one of"),
        (
            ["users", "add", "bob", "--role", "reviewer", "--tier", "wizard", "--db", db],
            "unknown tier 'wizard'",
        ),
        (["keys", "create", "--user", "nobody", "--db", db], "user 'nobody' not found"),
        (["users", "add", "b/ad", "--role", "reviewer", "--db", db], "name: use 1-100 letters"),
        (["db", "upgrade", "--db", "postgresql://nobody@127.0.0.1:1/none"], "database error"),
    ]
    for args, message in cases:
        result = run_inloop(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert run_inloop("users", "add", "bob", "--role", "reviewer", "--db", db).returncode == 0
    again = run_inloop("users", "add", "bob", "--role", "reviewer", "--db", db)
    assert again.returncode == 2
    assert "user 'bob' exists" in again.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    result = run_inloop("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'y.db'}")
    assert result.returncode == 0
    assert "schema is up to date" in result.stdout
