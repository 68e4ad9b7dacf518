"""Storage adapters: SQLAlchemy Core over SQLite (default) or PostgreSQL. SQL lives only in this package."""

from __future__ import annotations

from inloop.storage.database import DEFAULT_URL, Database
from inloop.storage.migrate import upgrade


def open_database(url: str = DEFAULT_URL, *, migrate: bool = True) -> Database:
    """Open the database at ``url`` and bring its schema up to date."""
    db = Database(url)
    if migrate:
        upgrade(db)
    return db


__all__ = ["DEFAULT_URL", "Database", "open_database", "upgrade"]
