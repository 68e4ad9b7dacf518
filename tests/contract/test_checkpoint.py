"""SQLite's write-ahead log is checkpointed by the server's worker, off the requests' path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inloop.services import intake
from testkit import MATRIX_POLICY
from testkit.service import make_context


def _items_in_main_file(path: Path) -> int:
    """Rows the database file itself holds (``immutable`` reads the file and ignores the log)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        conn.close()


def test_checkpoint_moves_committed_rows_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "inloop.db"
    ctx = make_context(f"sqlite:///{path}", MATRIX_POLICY)
    try:
        ctx.db.checkpoint()  # the schema, fresh from the migrations, is in the log too
        before = _items_in_main_file(path)
        for n in range(20):
            intake.submit(ctx, {"task_type": "support_reply", "output": f"o{n}"}, actor="t")
        assert _items_in_main_file(path) == before  # committed, but still only in the log
        ctx.db.checkpoint()
        assert _items_in_main_file(path) == before + 20
    finally:
        ctx.db.close()


def test_checkpoint_is_a_no_op_off_sqlite_files() -> None:
    ctx = make_context("sqlite://", MATRIX_POLICY)
    try:
        ctx.db.checkpoint()  # an in-memory database has no log: nothing to do, and no error
    finally:
        ctx.db.close()
