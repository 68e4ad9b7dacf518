"""Learned policy versions: the thresholds adaptive tasks were given, and the evidence for each change.

Rows are only added. Every server on the database reads the newest row of its policy file's base version,
so all of them route with the same thresholds shortly after one of them recalibrates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from inloop.storage.tables import policy_versions


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: str
    version: str
    base_version: str
    thresholds: dict[str, float]
    evidence: dict[str, Any]
    created_by: str
    created_ms: int


def insert(conn: Connection, row: PolicyVersion) -> None:
    conn.execute(policy_versions.insert().values(**{f: getattr(row, f) for f in PolicyVersion.__slots__}))


def latest(conn: Connection, base_version: str) -> PolicyVersion | None:
    query = (
        select(policy_versions)
        .where(policy_versions.c.base_version == base_version)
        .order_by(policy_versions.c.created_ms.desc(), policy_versions.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return PolicyVersion(**row._mapping) if row else None


def history(conn: Connection, base_version: str, limit: int = 50) -> list[PolicyVersion]:
    query = (
        select(policy_versions)
        .where(policy_versions.c.base_version == base_version)
        .order_by(policy_versions.c.created_ms.desc(), policy_versions.c.id.desc())
        .limit(limit)
    )
    return [PolicyVersion(**row._mapping) for row in conn.execute(query)]
