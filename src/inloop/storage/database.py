"""Opening a database: the URL picks SQLite (the embedded default) or PostgreSQL; migrations run on open.

SQLite is set up for a single machine with several threads: WAL (readers never block the writer), a busy
timeout, foreign keys on, and write transactions that take the write lock at ``BEGIN`` (``BEGIN IMMEDIATE``)
so two writers never deadlock upgrading a read lock. Writers of one process also queue on a mutex per
database file before ``BEGIN IMMEDIATE``: SQLite's busy handler polls with sleeps of up to 100 ms, so a dozen
threads waiting on the lock are served in no order and one can starve past the busy timeout ("database is
locked"). PostgreSQL is for many processes on many machines.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from inloop.settings import DEFAULT_URL
from inloop.storage import audit

__all__ = ["DEFAULT_URL", "Connection", "Database", "normalise_url"]

_sqlite_writers: dict[str, threading.RLock] = {}
_sqlite_writers_guard = threading.Lock()


def _writer_queue(url: str) -> AbstractContextManager[Any]:
    """The in-process mutex of a SQLite file's writers, shared by every Database on it; none for PG."""
    if not url.startswith("sqlite"):
        return nullcontext()
    with _sqlite_writers_guard:
        return _sqlite_writers.setdefault(url, threading.RLock())


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """An engine plus the two kinds of transaction the services use."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine: Engine = _engine(self.url, pool_size)
        self._writers = _writer_queue(self.url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed on success and rolled back on any exception."""
        with self._writers, self.engine.connect() as conn:
            conn = conn.execution_options(inloop_write=True)
            with conn.begin():
                try:
                    yield conn
                    audit.flush(conn)  # the audit events recorded in this transaction commit with it
                finally:
                    audit.discard(conn)  # nothing recorded in a failed transaction may leak into the next

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file now, waiting for no reader or writer.
        Run often from a background thread, it keeps the log short, so a commit seldom finds 1000 pages
        there and has to checkpoint them itself (a stall of milliseconds for whichever request it was).
        Nothing to do on PostgreSQL or an in-memory database."""
        if not self.is_sqlite or self.url in ("sqlite://", "sqlite:///:memory:"):
            return
        raw = self.engine.raw_connection()  # no transaction: the driver runs in autocommit (see _engine)
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str, pool_size: int) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if not memory:
        path = url.split("///", 1)[-1]
        if path and os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy issues BEGIN itself, below
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("inloop_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
