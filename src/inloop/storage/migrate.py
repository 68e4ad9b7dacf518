"""Apply the schema migrations. Safe to call from many processes at once on PostgreSQL (an advisory lock
serialises them) and on SQLite (the migration runs in one write transaction)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from inloop.storage.database import Database

_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x1A100B  # arbitrary, constant: inloop's migration advisory lock


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; a no-op when it is already there."""
    if current_revision(db) == head_revision() and revision == "head":
        return
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        command.upgrade(_config(conn), revision)
