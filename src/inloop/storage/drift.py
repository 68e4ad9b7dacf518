"""What drift monitoring compares, per time window ``[since, until)`` of item submission: the model's
confidence and each check's score (a bounded sample of the newest items); the route counts are
:func:`inloop.storage.summary.route_counts`.

Check scores come from the stored routing (``items.routing -> checks``), read in Python: the scores sit in a
JSON array whose shape differs per item, and pulling them apart in SQL would need ``json_each`` on SQLite and
``jsonb_array_elements`` on PostgreSQL for a sample that is small anyway. Checks that did not apply to an item
(``judged`` false) have no meaningful score and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from inloop.storage.tables import items

SAMPLE_LIMIT = 20_000
"""Items read per window for the distributions: the newest ones. PSI over deciles is stable long before."""


@dataclass
class Sample:
    """The values of one window: ``confidence`` and ``check:<name>`` lists, and how many items were read."""

    items: int = 0
    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def sample(conn: Connection, since: int, until: int, limit: int = SAMPLE_LIMIT) -> Sample:
    """Confidences (items without one are skipped) and judged check scores of the newest ``limit`` items
    submitted in the window."""
    newest = (  # chosen first, so the JSON is taken apart for the sampled rows only
        select(items.c.id)
        .where(items.c.created_ms >= since, items.c.created_ms < until)
        .order_by(items.c.created_ms.desc(), items.c.id.desc())
        .limit(limit)
        .subquery()
    )
    query = select(
        items.c.body["confidence"].as_float().label("confidence"),
        items.c.routing["checks"].label("checks"),
    ).join_from(items, newest, newest.c.id == items.c.id)
    out = Sample()
    for row in conn.execute(query):
        out.items += 1
        if row.confidence is not None:
            out.values["confidence"].append(float(row.confidence))
        for check in row.checks or ():
            if check.get("judged", True) and isinstance(check.get("score"), int | float):
                out.values[f"check:{check['name']}"].append(float(check["score"]))
    return out
