"""Shared fixtures."""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.pool import NullPool

from testkit import MATRIX_POLICY

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def policy_data() -> dict[str, Any]:
    """A fresh deep copy of the issue's example risk matrix, safe to mutate."""
    return copy.deepcopy(MATRIX_POLICY)


@pytest.fixture
def write_policy(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(data: Any, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


# --- databases ------------------------------------------------------------------------------------------
# Every storage test runs on SQLite and on PostgreSQL. PostgreSQL tests skip when no server answers, unless
# INLOOP_REQUIRE_POSTGRES=1 (CI sets it), which turns the skip into a failure.

PG_ADMIN_URL = os.environ.get("INLOOP_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_TEMPLATE = f"inloop_tpl_{os.getpid()}"  # per session: concurrent runs must not drop each other's


def _pg_admin() -> Any:
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated template database, cloned per test (much faster than migrating each time)."""
    try:
        engine = _pg_admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {_TEMPLATE}")
    except Exception as exc:
        if os.environ.get("INLOOP_REQUIRE_POSTGRES") == "1":
            raise RuntimeError(f"PostgreSQL is required but not reachable: {exc}") from exc
        yield None
        return
    from inloop.storage import open_database

    db = open_database(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{_TEMPLATE}")
    db.close()
    yield _TEMPLATE
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inloop.db'}"
        return
    template = request.getfixturevalue("pg_template")
    if template is None:
        pytest.skip("PostgreSQL is not reachable (set INLOOP_REQUIRE_POSTGRES=1 to fail instead)")
    name = f"inloop_t_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()
