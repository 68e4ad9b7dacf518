"""Errors raised by inloop.

Every error derives from one root so a caller can catch inloop's failures in one place::

    InloopError                 code="inloop_error"
    ├── PolicyError             code="invalid_policy"   a policy file that cannot be used
    ├── ItemError               code="invalid_item"     an item that does not have the documented shape
    ├── InvalidRequest          code="invalid_request"  an acceptable shape with unacceptable values
    ├── NotFound                code="not_found"
    ├── Conflict                code="conflict"         the resource's state forbids the change
    │   ├── DuplicateKey        code="duplicate"            a concurrent insert of the same key
    │   ├── IdempotencyConflict code="idempotency_conflict"
    │   └── LeaseConflict       code="lease_conflict"   stale, foreign or expired lease
    ├── Unauthorized            code="unauthorized"     no valid credentials
    └── Forbidden               code="forbidden"        the role may not do this

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


class InvalidRequest(InloopError):
    """A request is well-formed JSON but not acceptable; ``problems`` names each field."""

    code = "invalid_request"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFound(InloopError):
    """The named resource does not exist (or the caller may not know it does)."""

    code = "not_found"

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class Conflict(InloopError):
    """The request conflicts with the resource's current state; nothing was changed."""

    code = "conflict"


class DuplicateKey(Conflict):
    """A row with the same unique key was written concurrently; the storage layer's wrapping of the driver's
    integrity error."""

    code = "duplicate"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before with a different body."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was used with a different body")


class LeaseConflict(Conflict):
    """The lease token is stale, foreign or expired, or the task is no longer open."""

    code = "lease_conflict"

    def __init__(self, task_id: str, message: str) -> None:
        self.task_id = task_id
        super().__init__(f"task {task_id}: {message}")


class Unauthorized(InloopError):
    """No valid credentials."""

    code = "unauthorized"


class Forbidden(InloopError):
    """Valid credentials whose role may not do this."""

    code = "forbidden"

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        super().__init__(f"role {role!r} may not {action}")
