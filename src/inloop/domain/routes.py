"""The five routes an item can take and their order by how much human attention they demand."""

from __future__ import annotations

from enum import StrEnum


class Route(StrEnum):
    """Where an item goes. Ordered ``auto < audit < queue < escalate < block``.

    ``auto`` releases at once; ``audit`` releases and may be sampled for a post-hoc review;
    ``queue`` waits for a reviewer; ``escalate`` waits for an urgent, senior review;
    ``block`` rejects without a person.
    """

    AUTO = "auto"
    AUDIT = "audit"
    QUEUE = "queue"
    ESCALATE = "escalate"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def releases(self) -> bool:
        """True when the model's output goes out before any person sees it."""
        return self in (Route.AUTO, Route.AUDIT)

    def at_least(self, other: Route) -> Route:
        """The more demanding of the two routes."""
        return other if other.rank > self.rank else self


_RANK = {route: rank for rank, route in enumerate(Route)}
