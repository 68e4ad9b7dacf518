"""An item: one model output submitted for a routing decision.

The same JSON shape is read from files by the CLI and, later, from HTTP requests. Only ``task_type`` and
``output`` are required; an item without ``confidence`` counts as unsure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inloop.errors import ItemError, Problem

JsonScalar = str | int | float | bool | None


class Message(BaseModel):
    """One chat message of an item's input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str


class Item(BaseModel):
    """A model output with what is needed to judge it; immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=200)
    task_type: str = Field(min_length=1, max_length=200)
    input: str | tuple[Message, ...] | None = None
    output: str
    context: tuple[str, ...] = ()
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: tuple[str, ...] = ()
    model: str | None = None

    @field_validator("confidence", mode="before")
    @classmethod
    def _no_bool_confidence(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number between 0 and 1, not a boolean")
        return value

    @classmethod
    def parse(cls, data: object) -> Item:
        """Build an item from decoded JSON, raising :class:`ItemError` that names each bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ItemError(problems_from(exc)) from None

    def input_messages(self) -> tuple[Message, ...]:
        """The input as chat messages; a plain-text input is one user message."""
        if self.input is None:
            return ()
        if isinstance(self.input, str):
            return (Message(role="user", content=self.input),)
        return self.input

    def fingerprint(self) -> str:
        """A stable hash of the item's content, used where an item has no id."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


def problems_from(exc: ValidationError, prefix: str = "") -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` s with dotted paths like ``tasks.x.rules[0].if``.

    When a value matches no member of a union, only the member that got furthest is reported: a chat input
    with a bad role should say ``input[0].role``, not also "input should be a string".
    """
    return problems_from_errors(exc.errors(include_url=False), prefix=prefix)


def problems_from_errors(
    errors: Sequence[Any], *, prefix: str = "", strip: Sequence[str] = ()
) -> list[Problem]:
    """:func:`problems_from` for a list of pydantic error dicts; ``strip`` drops a leading location part
    such as FastAPI's ``body``."""
    found: list[tuple[str, str | None, int, Problem]] = []
    for err in errors:
        loc = list(err["loc"])
        if loc and loc[0] in strip:
            loc = loc[1:]
        path, union_at, depth = prefix, None, 0
        for part in loc:
            if isinstance(part, str) and part in _UNION_TAGS:
                union_at = path
                continue
            path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}" if path else str(part)
            depth += 1
        found.append((path, union_at, depth, Problem(path, _message(err))))
    deepest: dict[str, int] = {}
    for _, union_at, depth, _ in found:
        if union_at is not None:
            deepest[union_at] = max(depth, deepest.get(union_at, 0))
    return [p for _, union_at, depth, p in found if union_at is None or depth == deepest[union_at]]


# pydantic names the member of a union it tried; a reader of a policy file does not care.
_UNION_TAGS = {"str", "tuple[Message, ...]", "function-after[_check(), str]"}


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field is missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")
