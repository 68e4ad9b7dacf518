"""Time as integer milliseconds, injectable so SLA and lease tests control it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from inloop.errors import InvalidRequest, Problem

Clock = Callable[[], int]


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.now = start_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as an ISO 8601 UTC timestamp."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> int:
    """An ISO 8601 date or time (``2026-11-24``, ``2026-11-24T08:00:00Z``; UTC unless it names an offset) as
    milliseconds since the epoch. Raises ValueError with a message a person can act on."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time (e.g. 2026-11-24T08:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """A ``[since, until)`` window given as ISO 8601 text (either end open) in milliseconds; raises
    :class:`InvalidRequest` naming each bad end, and ``until`` when it is not after ``since``."""
    bounds: dict[str, int | None] = {}
    problems = []
    for name, text in (("since", since), ("until", until)):
        try:
            bounds[name] = parse_iso(text) if text else None
        except ValueError as exc:
            problems.append(Problem(name, str(exc)))
    start, end = bounds.get("since"), bounds.get("until")
    if start is not None and end is not None and start >= end:
        problems.append(Problem("until", "must be later than since"))
    if problems:
        raise InvalidRequest(problems)
    return start, end
