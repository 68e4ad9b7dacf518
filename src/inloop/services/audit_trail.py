"""Reading and verifying the audit trail, and checkpoints that catch a cut-off tail."""

from __future__ import annotations

from typing import Any

from inloop.domain.access import Action
from inloop.domain.audit import ChainBreak
from inloop.services.accounts import Principal
from inloop.services.context import Context
from inloop.storage import audit
from inloop.storage.database import Connection


def events(
    ctx: Context, who: Principal | None, item_id: str | None, limit: int = 500
) -> list[dict[str, Any]]:
    if who is not None:
        who.require(Action.READ_AUDIT)
    with ctx.db.read() as conn:
        rows = audit.item_events(conn, item_id) if item_id else audit.recent_events(conn, limit)
    return [e.to_dict() for e in rows]


def verify(ctx: Context, since: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"ok", "events", "first_bad", "checkpoint"}``.

    With ``since`` (an earlier checkpoint), also prove every event it covered is still there unchanged.
    """
    with ctx.db.read() as conn:
        broken, total, heads = audit.verify(conn)
        if broken is None and since is not None:
            broken = _against_checkpoint(conn, since, total)
    checkpoint = {
        "events": total,
        "heads": {str(c): {"seq": s, "hash": h} for c, (s, h) in sorted(heads.items())},
    }
    return {
        "ok": broken is None,
        "events": total,
        "first_bad": broken.to_dict() if broken else None,
        "checkpoint": checkpoint,
    }


def _against_checkpoint(conn: Connection, since: dict[str, Any], total: int) -> ChainBreak | None:
    if total < int(since.get("events", 0)):
        return ChainBreak(
            -1, 0, None, f"{since['events']} events at the checkpoint, {total} now: events deleted"
        )
    for chain, head in since.get("heads", {}).items():
        seq, digest = int(head["seq"]), head["hash"]
        if seq == 0:
            continue
        event = audit.event_at(conn, int(chain), seq)
        if event is None or event.hash != digest:
            return ChainBreak(int(chain), seq, None, "the checkpoint's head event is missing or changed")
    return None
