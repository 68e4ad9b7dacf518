"""The facts a human label is made of, for every item at least one person reviewed: the model's confidence,
the final decision's verdict and author, an audit's verdict and whether an audit found an escaped error.

Read-only and streamed (``yield_per``), in item-id order so the same database always yields the same rows in
the same order (the calibration split is a seeded shuffle of that order).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, ScalarSelect, exists, select

from inloop.domain.labels import LabelFacts
from inloop.storage.tables import items, reviews


def latest_audit_verdict() -> ScalarSelect[Any]:
    """The verdict of an item's latest post-hoc audit (a correlated subquery on ``items``)."""
    return (
        select(reviews.c.verdict)
        .where(reviews.c.item_id == items.c.id, reviews.c.kind == "audit")
        .order_by(reviews.c.decided_ms.desc(), reviews.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def label_columns() -> list[Any]:
    """The columns a label is made of (``items.id`` among them), for any query over ``items``."""
    return [
        items.c.id,
        items.c.body["confidence"].as_float().label("confidence"),
        items.c.decision["verdict"].as_string().label("verdict"),
        items.c.decision["by"].as_string().label("by"),
        items.c.decision["provisional"].as_boolean().label("provisional"),
        items.c.decision[("revised", "verdict")].as_string().label("revised_verdict"),
        latest_audit_verdict().label("audit_verdict"),
        items.c.escaped_error,
    ]


def facts_of(r: Any) -> LabelFacts:
    """The label facts of a row selected with :func:`label_columns`."""
    return LabelFacts(
        item_id=r.id,
        confidence=None if r.confidence is None else float(r.confidence),
        verdict=r.verdict,
        by=r.by,
        provisional=None if r.provisional is None else bool(r.provisional),
        revised_verdict=r.revised_verdict,
        audit_verdict=r.audit_verdict,
        escaped_error=bool(r.escaped_error),
    )


def reviewed(conn: Connection, task_type: str | None = None, *, batch: int = 5000) -> Iterator[LabelFacts]:
    """Every item with at least one review (of any kind but gold answers), optionally of one task type."""
    query = (
        select(*label_columns())
        .where(exists().where(reviews.c.item_id == items.c.id, reviews.c.kind != "gold"))  # gold: tests
        .order_by(items.c.id)
        .execution_options(yield_per=batch)
    )
    if task_type is not None:
        query = query.where(items.c.task_type == task_type)
    for r in conn.execute(query):
        yield facts_of(r)
