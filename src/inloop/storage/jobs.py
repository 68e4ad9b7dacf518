"""Periodic jobs shared by every server on one database: who runs a job this period, and what it left behind.

A job is one row (``name``, ``next_run_ms``, ``last_run_ms``, ``state``). :func:`claim_due` moves
``next_run_ms`` forward with a conditional ``UPDATE``; only the process whose update matched the row runs the
job. On PostgreSQL a concurrent claimer waits on the row lock and then re-checks the condition against the
committed row (READ COMMITTED), so it matches nothing; on SQLite writers are serialised. The claim commits
before the job runs: a process that dies mid-run skips that period (at most once per period, never twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from inloop.storage.tables import jobs


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    next_run_ms: int
    last_run_ms: int | None
    state: dict[str, Any] | None


def ensure(conn: Connection, name: str, next_run_ms: int) -> None:
    """Create the job's row, due at ``next_run_ms``, unless it exists (another server may create it too)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(jobs).values(name=name, next_run_ms=next_run_ms, last_run_ms=None, state=None)
    conn.execute(statement.on_conflict_do_nothing(index_elements=[jobs.c.name]))


def claim_due(conn: Connection, name: str, now_ms: int, every_ms: int) -> bool:
    """True when this caller runs job ``name`` now: it was due (a new job is due at once), and it is now
    scheduled ``every_ms`` later. At most one caller per period gets True, however many servers ask."""
    if every_ms <= 0:
        raise ValueError("every_ms must be positive")
    ensure(conn, name, now_ms)
    result = conn.execute(
        update(jobs)
        .where(jobs.c.name == name, jobs.c.next_run_ms <= now_ms)
        .values(next_run_ms=now_ms + every_ms, last_run_ms=now_ms)
    )
    return result.rowcount == 1


def load(conn: Connection, name: str) -> Job | None:
    row = conn.execute(select(jobs).where(jobs.c.name == name)).first()
    if row is None:
        return None
    return Job(row.name, int(row.next_run_ms), row.last_run_ms, row.state)


def load_state(conn: Connection, name: str) -> dict[str, Any] | None:
    """What the job's last run saved, or None."""
    job = load(conn, name)
    return None if job is None else job.state


def save_state(conn: Connection, name: str, state: dict[str, Any], now_ms: int) -> None:
    """Replace the job's saved state (creating the row, due now, if the job never ran)."""
    ensure(conn, name, now_ms)
    conn.execute(update(jobs).where(jobs.c.name == name).values(state=state))
