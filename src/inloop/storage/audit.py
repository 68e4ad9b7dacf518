"""Appending to and reading the audit chains. Appends happen inside the caller's transaction, so an event is
recorded exactly when the change it describes is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, bindparam, func, select, text, update

from inloop.domain.audit import (
    ITEM_CHAINS,
    SYSTEM_CHAIN,
    AuditEvent,
    ChainBreak,
    chain_for,
    check_chain,
    event_hash,
)
from inloop.storage.tables import audit_events, audit_heads

_PENDING = "inloop.audit.pending"
_HEAD = (
    select(audit_heads.c.seq, audit_heads.c.hash)
    .where(audit_heads.c.chain == bindparam("chain"))
    .with_for_update()
)
_INSERT = audit_events.insert()
# The head moves only if it is where this process last saw it: then no read of it is needed (a stale guess,
# after another process or a rolled-back transaction moved it, matches no row and falls back to the read).
_MOVE_HEAD_FROM = (
    update(audit_heads)
    .where(
        audit_heads.c.chain == bindparam("c"),
        audit_heads.c.seq == bindparam("from_seq"),
        audit_heads.c.hash == bindparam("from_hash"),
    )
    .values(seq=bindparam("s"), hash=bindparam("h"))
)
# PostgreSQL: move the head (as above) and insert the events (one JSON document) in one round trip.
_MOVE_HEAD_FROM_AND_APPEND_PG = text(
    """
    WITH moved AS (
        UPDATE audit_heads SET seq = :s, hash = :h
        WHERE chain = :c AND seq = :from_seq AND hash = :from_hash
        RETURNING chain
    )
    INSERT INTO audit_events (chain, seq, item_id, event, actor, at_ms, data, prev_hash, hash)
    SELECT * FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(
        chain integer, seq bigint, item_id varchar, event varchar, actor varchar, at_ms bigint,
        data jsonb, prev_hash varchar, hash varchar
    )
    WHERE EXISTS (SELECT 1 FROM moved)
    """
)
_Pending = tuple[str | None, str, str, int, dict[str, Any]]
_heads_seen: WeakKeyDictionary[Engine, dict[int, tuple[int, str]]] = WeakKeyDictionary()


def append(
    conn: Connection,
    *,
    event: str,
    actor: str,
    at_ms: int,
    item_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record an event in this transaction; it is chained and written by :func:`flush` just before commit."""
    conn.info.setdefault(_PENDING, []).append((item_id, event, actor, at_ms, data or {}))


def discard(conn: Connection) -> None:
    """Forget events recorded in a transaction that will not commit (the pooled connection outlives it)."""
    conn.info.pop(_PENDING, None)


def flush(conn: Connection) -> None:
    """Write the transaction's pending events, chain by chain in ascending order (one global lock order, so
    concurrent transactions cannot deadlock), each chain's head locked only from here to the commit."""
    pending = conn.info.pop(_PENDING, None)
    if not pending:
        return
    by_chain: dict[int, list[_Pending]] = {}
    for entry in pending:
        by_chain.setdefault(chain_for(entry[0]), []).append(entry)
    seen = _heads_seen.setdefault(conn.engine, {})
    for chain in sorted(by_chain):
        guess = seen.get(chain)
        moved = _append(conn, chain, by_chain[chain], guess) if guess is not None else None
        if moved is None:
            head = conn.execute(_HEAD, {"chain": chain}).one()
            moved = _append(conn, chain, by_chain[chain], (head.seq, head.hash))
            assert moved is not None, "a locked head moves"
        seen[chain] = moved


def _append(
    conn: Connection, chain: int, entries: list[_Pending], head: tuple[int, str]
) -> tuple[int, str] | None:
    """Chain ``entries`` after ``head`` and write them, if the head is still there; the new head, or None."""
    seq, prev = head
    rows = []
    for item_id, event, actor, at_ms, data in entries:
        seq += 1
        digest = event_hash(
            chain=chain,
            seq=seq,
            item_id=item_id,
            event=event,
            actor=actor,
            at_ms=at_ms,
            data=data,
            prev_hash=prev,
        )
        rows.append(
            {
                "chain": chain,
                "seq": seq,
                "item_id": item_id,
                "event": event,
                "actor": actor,
                "at_ms": at_ms,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    move = {"c": chain, "s": seq, "h": prev, "from_seq": head[0], "from_hash": head[1]}
    if conn.dialect.name == "postgresql":
        written = conn.execute(_MOVE_HEAD_FROM_AND_APPEND_PG, {**move, "events": json.dumps(rows)})
        return (seq, prev) if written.rowcount == len(rows) else None
    if conn.execute(_MOVE_HEAD_FROM, move).rowcount != 1:
        return None
    conn.execute(_INSERT, rows)
    return seq, prev


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        row.chain, row.seq, row.item_id, row.event, row.actor, row.at_ms, row.data, row.prev_hash, row.hash
    )


def item_events(conn: Connection, item_id: str) -> list[AuditEvent]:
    rows = conn.execute(
        select(audit_events).where(audit_events.c.item_id == item_id).order_by(audit_events.c.seq)
    )
    return [_event(r) for r in rows]


def recent_events(conn: Connection, limit: int) -> list[AuditEvent]:
    rows = conn.execute(
        select(audit_events).order_by(audit_events.c.at_ms.desc(), audit_events.c.id.desc()).limit(limit)
    )
    return [_event(r) for r in rows]


def heads(conn: Connection) -> dict[int, tuple[int, str]]:
    return {r.chain: (r.seq, r.hash) for r in conn.execute(select(audit_heads))}


def event_at(conn: Connection, chain: int, seq: int) -> AuditEvent | None:
    row = conn.execute(
        select(audit_events).where(audit_events.c.chain == chain, audit_events.c.seq == seq)
    ).first()
    return _event(row) if row else None


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def _chain_rows(conn: Connection, chain: int, page: int = 5000) -> Iterator[tuple[int, AuditEvent]]:
    """A chain in ``seq`` order, read in pages (keyset pagination: constant memory, no server cursor)."""
    after = -1
    while True:
        rows = list(
            conn.execute(
                select(audit_events)
                .where(audit_events.c.chain == chain, audit_events.c.seq > after)
                .order_by(audit_events.c.seq)
                .limit(page)
            )
        )
        for row in rows:
            yield row.id, _event(row)
        if len(rows) < page:
            return
        after = rows[-1].seq


def verify(conn: Connection) -> tuple[ChainBreak | None, int, dict[int, tuple[int, str]]]:
    """Check every chain; the first break (or None), the events checked, and the chain heads."""
    current = heads(conn)
    total = 0
    for chain in range(SYSTEM_CHAIN, ITEM_CHAINS + 1):
        head = current.get(chain)
        if head is None:
            return ChainBreak(chain, 0, None, "chain head row is missing"), total, current
        broken, seen = check_chain(chain, _chain_rows(conn, chain), head)
        total += seen
        if broken is not None:
            return broken, total, current
    return None, total, current
