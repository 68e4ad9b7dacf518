"""Alembic migrations of the inloop schema; applied by :func:`inloop.storage.migrate.upgrade`."""
