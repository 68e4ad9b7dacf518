"""Errors raised by inloop.

Every error derives from one root so a caller can catch inloop's failures in one place::

    InloopError                 code="inloop_error"
    ├── PolicyError             code="invalid_policy"   a policy file that cannot be used
    └── ItemError               code="invalid_item"     an item that does not have the documented shape

Each carries a stable ``code`` and the fields a caller needs to report the problem without parsing text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class InloopError(Exception):
    """Root of every error inloop raises on purpose."""

    code = "inloop_error"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted path such as ``tasks.x.rules[0].if``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PolicyError(InloopError):
    """The policy file cannot be loaded; ``problems`` lists every fault found, each with its field path."""

    code = "invalid_policy"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"{source}: {p}" for p in self.problems)
        super().__init__(lines)


class ItemError(InloopError):
    """An item does not have the documented shape; ``problems`` names each field at fault."""

    code = "invalid_item"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
