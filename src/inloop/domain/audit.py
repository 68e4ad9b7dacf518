"""The audit trail's hash chains: how an event's hash is computed and how a chain is checked.

Events are spread over a fixed set of chains (one per item shard plus chain 0 for system events), so
concurrent writers about different items lock different chain heads instead of all queueing on one; each
event's hash covers its predecessor's, so editing, deleting or reordering any row breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ITEM_CHAINS = 16
SYSTEM_CHAIN = 0
GENESIS = "0" * 64


def chain_for(item_id: str | None) -> int:
    """The chain of an item's events (1..ITEM_CHAINS), or the system chain."""
    if item_id is None:
        return SYSTEM_CHAIN
    digest = hashlib.blake2b(item_id.encode(), digest_size=4).digest()
    return 1 + int.from_bytes(digest, "big") % ITEM_CHAINS


@dataclass(frozen=True, slots=True)
class AuditEvent:
    chain: int
    seq: int
    item_id: str | None
    event: str
    actor: str
    at_ms: int
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "item_id": self.item_id,
            "event": self.event,
            "actor": self.actor,
            "at_ms": self.at_ms,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def event_hash(
    *,
    chain: int,
    seq: int,
    item_id: str | None,
    event: str,
    actor: str,
    at_ms: int,
    data: Any,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [chain, seq, item_id, event, actor, at_ms, data, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    chain: int
    seq: int
    event_id: int | None
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "event_id": self.event_id, "problem": self.problem}


def check_chain(
    chain: int, rows: Iterable[tuple[int, AuditEvent]], head: tuple[int, str]
) -> tuple[ChainBreak | None, int]:
    """Walk one chain in ``seq`` order; the first break found (or None) and the number of events seen."""
    prev, expected, count = GENESIS, 1, 0
    for event_id, ev in rows:
        count += 1
        if ev.seq != expected:
            problem = f"expected event {expected}, found {ev.seq}: events missing or reordered"
            return ChainBreak(chain, expected, event_id, problem), count
        if ev.prev_hash != prev:
            return ChainBreak(chain, ev.seq, event_id, "does not link to the event before it"), count
        recomputed = event_hash(
            chain=ev.chain,
            seq=ev.seq,
            item_id=ev.item_id,
            event=ev.event,
            actor=ev.actor,
            at_ms=ev.at_ms,
            data=ev.data,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            return ChainBreak(chain, ev.seq, event_id, "content was changed after it was written"), count
        prev, expected = ev.hash, expected + 1
    head_seq, head_hash = head
    if head_seq != expected - 1 or head_hash != prev:
        problem = f"chain ends at event {expected - 1} but its head says {head_seq}: events deleted"
        return ChainBreak(chain, expected - 1, None, problem), count
    return None, count
