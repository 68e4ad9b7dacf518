"""The audit trail on every backend: intact chains verify; editing, deleting or reordering a row does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from inloop.services import audit_trail, intake, review
from inloop.services.context import Context
from inloop.storage.tables import audit_events
from testkit import MATRIX_POLICY
from testkit.cli import run_inloop
from testkit.service import make_context, make_user


def busy(ctx: Context) -> list[str]:
    ids = []
    for n in range(12):
        item, _ = intake.submit(
            ctx, {"task_type": "support_reply", "output": f"o{n}", "confidence": 0.1 * (n % 10)}, actor="t"
        )
        ids.append(item["id"])
    reviewer = make_user(ctx, "r")
    for task in review.claim(ctx, reviewer, limit=5):
        review.decide(ctx, reviewer, task["id"], lease_token=task["lease_token"], verdict="approve")
    return ids


def test_intact_trail_verifies(ctx: Context) -> None:
    busy(ctx)
    result = audit_trail.verify(ctx)
    assert result["ok"] is True
    assert result["first_bad"] is None
    assert result["events"] > 30
    assert sum(h["seq"] for h in result["checkpoint"]["heads"].values()) == result["events"]


def _middle_event(ctx: Context) -> Any:
    with ctx.db.read() as conn:
        rows = list(conn.execute(select(audit_events).order_by(audit_events.c.chain, audit_events.c.seq)))
    by_chain: dict[int, list[Any]] = {}
    for r in rows:
        by_chain.setdefault(r.chain, []).append(r)
    chain = max(by_chain, key=lambda c: len(by_chain[c]))
    return by_chain[chain][len(by_chain[chain]) // 2]


def test_edited_row_is_found(ctx: Context) -> None:
    busy(ctx)
    target = _middle_event(ctx)
    with ctx.db.write() as conn:
        conn.execute(update(audit_events).where(audit_events.c.id == target.id).values(actor="user:mallory"))
    result = audit_trail.verify(ctx)
    assert result["ok"] is False
    assert result["first_bad"]["event_id"] == target.id
    assert "changed" in result["first_bad"]["problem"]


def test_deleted_row_is_found(ctx: Context) -> None:
    busy(ctx)
    target = _middle_event(ctx)
    with ctx.db.write() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.id == target.id))
    result = audit_trail.verify(ctx)
    assert result["ok"] is False
    assert (result["first_bad"]["chain"], result["first_bad"]["seq"]) == (target.chain, target.seq)


def test_reordered_rows_are_found(ctx: Context) -> None:
    busy(ctx)
    target = _middle_event(ctx)
    with ctx.db.write() as conn:
        nxt = conn.execute(
            select(audit_events).where(
                audit_events.c.chain == target.chain, audit_events.c.seq == target.seq + 1
            )
        ).one()
        conn.execute(update(audit_events).where(audit_events.c.id == target.id).values(seq=-1))
        conn.execute(update(audit_events).where(audit_events.c.id == nxt.id).values(seq=target.seq))
        conn.execute(update(audit_events).where(audit_events.c.id == target.id).values(seq=nxt.seq))
    assert audit_trail.verify(ctx)["ok"] is False


def test_cut_tail_is_found_against_a_checkpoint(ctx: Context) -> None:
    busy(ctx)
    checkpoint = audit_trail.verify(ctx)["checkpoint"]
    with ctx.db.write() as conn:
        last = conn.execute(select(audit_events).order_by(audit_events.c.id.desc()).limit(1)).one()
        conn.execute(delete(audit_events).where(audit_events.c.id == last.id))
        # A careful attacker also rewinds the chain head, so the chain alone still looks whole.
        from inloop.storage.tables import audit_heads

        conn.execute(
            update(audit_heads)
            .where(audit_heads.c.chain == last.chain)
            .values(seq=last.seq - 1, hash=last.prev_hash)
        )
    assert audit_trail.verify(ctx)["ok"] is True, "a hash chain alone cannot see its tail cut"
    result = audit_trail.verify(ctx, since=checkpoint)
    assert result["ok"] is False


@pytest.mark.parametrize("tamper", [False, True])
def test_cli_audit_verify(ctx: Context, db_url: str, tmp_path: Path, tamper: bool) -> None:
    busy(ctx)
    saved = tmp_path / "checkpoint.json"
    ok = run_inloop("audit", "verify", "--db", db_url, "--checkpoint-out", saved)
    assert ok.returncode == 0, ok.stderr
    assert "audit trail intact" in ok.stdout
    assert json.loads(saved.read_text())["events"] > 0
    if tamper:
        target = _middle_event(ctx)
        with ctx.db.write() as conn:
            conn.execute(update(audit_events).where(audit_events.c.id == target.id).values(at_ms=1))
        bad = run_inloop("audit", "verify", "--db", db_url, "--since-checkpoint", saved)
        assert bad.returncode == 1
        assert f"chain {target.chain} event {target.seq}" in bad.stderr
        assert "Traceback" not in bad.stderr


def test_chains_stay_whole_when_two_servers_append_in_turn(ctx: Context, db_url: str, clock: Any) -> None:
    """Each server remembers where it last left a chain head and skips reading it; when another server has
    moved the head since, the guess matches nothing and it reads the head instead, so no event is lost,
    duplicated or chained to the wrong predecessor."""
    other = make_context(db_url, MATRIX_POLICY, clock)  # a second engine: another server on the database
    try:
        ids = []
        for n in range(40):  # 40 items over 16 chains: both servers hit chains the other moved
            target = ctx if n % 3 else other
            item, _ = intake.submit(target, {"task_type": "support_reply", "output": f"turn {n}"}, actor="t")
            ids.append(item["id"])
        result = audit_trail.verify(ctx)
        assert result["ok"] is True, result["first_bad"]
        events = audit_trail.events(ctx, None, None, limit=10_000)
        created = [e for e in events if e["event"] == "item.created"]
        assert sorted(e["item_id"] for e in created) == sorted(ids)
    finally:
        other.db.close()
