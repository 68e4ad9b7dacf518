"""Routing a stream of JSON Lines: one routing per line, malformed lines reported and counted, a summary.

Memory stays constant in the number of lines: nothing is kept per item except the counters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from inloop.domain.item import Item
from inloop.domain.routes import Route
from inloop.domain.routing import Routing
from inloop.errors import ItemError
from inloop.gate import Gate


@dataclass(frozen=True, slots=True)
class Routed:
    line: int
    routing: Routing

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, **self.routing.to_dict()}


@dataclass(frozen=True, slots=True)
class Malformed:
    line: int
    message: str


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def reason_key(reason: str) -> str:
    """A reason with its item-specific parts removed, so equal causes count together."""
    return _NUMBER.sub("#", reason.split(": ", 1)[0])


@dataclass
class Summary:
    """Counts of a batch: per route, per task type and route, and the most frequent reasons."""

    routed: int = 0
    malformed: int = 0
    audit_sampled: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    by_task: dict[str, Counter[str]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, routing: Routing) -> None:
        self.routed += 1
        self.routes[routing.route.value] += 1
        self.by_task.setdefault(routing.task_type, Counter())[routing.route.value] += 1
        self.audit_sampled += routing.audit_sampled
        self.reasons.update({reason_key(r) for r in routing.reasons})

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        def rates(counts: Counter[str], total: int) -> dict[str, Any]:
            return {
                r.value: {
                    "count": counts[r.value],
                    "rate": round(counts[r.value] / total, 4) if total else 0.0,
                }
                for r in Route
            }

        return {
            "routed": self.routed,
            "malformed": self.malformed,
            "audit_sampled": self.audit_sampled,
            "routes": rates(self.routes, self.routed),
            "tasks": {t: rates(c, sum(c.values())) for t, c in sorted(self.by_task.items())},
            "top_reasons": [{"reason": r, "count": n} for r, n in self.reasons.most_common(top)],
        }


def route_lines(gate: Gate, lines: Iterable[str]) -> Iterator[Routed | Malformed]:
    """Route each non-blank line; a line that is not a valid item yields :class:`Malformed`."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Malformed(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            item = Item.parse(data)
        except ItemError as exc:
            yield Malformed(number, str(exc))
            continue
        yield Routed(number, gate.route(item))
