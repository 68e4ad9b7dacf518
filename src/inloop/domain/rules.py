"""Dynamic risk rules: CEL expressions over an item, compiled once when the policy loads.

CEL (the expression language of Kubernetes admission, Envoy and cloud IAM) is side-effect free and cannot call
out of its sandbox, which is why a policy may hold it and Python ``eval`` is never used.
"""

from __future__ import annotations

from typing import Any

import cel

ITEM_VARIABLES = frozenset(
    {"id", "task_type", "input", "output", "context", "confidence", "attributes", "tags", "model"}
)


class RuleProgram:
    """A compiled boolean CEL expression over an item's fields."""

    __slots__ = ("_program", "source", "variables")

    def __init__(self, source: str) -> None:
        try:
            program = cel.compile(source)
        except ValueError as exc:
            raise ValueError(f"does not compile: {_first_line(str(exc))}") from None
        variables = frozenset(program.variables())
        unknown = sorted(variables - ITEM_VARIABLES)
        if unknown:
            allowed = ", ".join(sorted(ITEM_VARIABLES))
            raise ValueError(f"unknown variable {', '.join(unknown)} (an item has: {allowed})")
        self._program = program
        self.source = source
        self.variables = variables  # the fields it reads: an activation of just these judges it exactly

    def evaluate(self, activation: dict[str, Any]) -> bool:
        """True when the rule fires; raises ``ValueError`` when it cannot be evaluated for this item."""
        try:
            value = self._program.execute(activation)
        except KeyError as exc:
            raise ValueError(f"the item has no {exc.args[0]!r}") from None
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(_first_line(str(exc)) or type(exc).__name__) from None
        if not isinstance(value, bool):
            raise ValueError(f"evaluated to {type(value).__name__}, not a boolean")
        return value


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
