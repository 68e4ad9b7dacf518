"""Migrations build exactly the schema the code declares, on every backend, and re-running them is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from inloop.storage import open_database
from inloop.storage.migrate import current_revision, head_revision, upgrade
from inloop.storage.tables import metadata


def test_migrated_schema_equals_declared_schema(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert current_revision(db) == head_revision()
        upgrade(db)  # idempotent
        assert current_revision(db) == head_revision()
    finally:
        db.close()


def test_every_audit_chain_has_a_head(db_url: str) -> None:
    from inloop.domain.audit import ITEM_CHAINS
    from inloop.storage import audit

    db = open_database(db_url)
    try:
        with db.read() as conn:
            assert sorted(audit.heads(conn)) == list(range(ITEM_CHAINS + 1))
    finally:
        db.close()
