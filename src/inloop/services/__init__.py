"""Use cases: each function takes a :class:`Context` and runs one transaction (or a few, documented)."""

from inloop.services.context import Context

__all__ = ["Context"]
