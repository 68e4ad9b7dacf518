"""The contract every check follows, built-in or the user's own.

A check is configured once from its options in the policy (validated by its ``Options`` model, so a typo in a
policy file is an error that names the field) and then run on many items. ``run`` must be pure and fast: no
network, no shared mutable state, the same result for the same item.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from inloop.domain.findings import CheckResult, OnFlag, Severity, Span
from inloop.domain.item import Item
from inloop.domain.routes import Route

FieldName = Literal["input", "context", "output"]


class Options(BaseModel):
    """Base of every check's options; unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoOptions(Options):
    """For checks that take no options."""


OptionsT = TypeVar("OptionsT", bound=Options)


class Check(ABC, Generic[OptionsT]):
    """One check. Subclasses set ``kind``, ``cost`` and ``options_model`` and implement :meth:`run`.

    ``cost`` orders the cascade: cheaper checks run first, and a ``block`` stops the checks after it. Rough
    scale: 1 = a length test, 10 = regexes or a dictionary scan, 30 = parsing and validation,
    50 = a classifier, 100 = a model call.
    """

    kind: ClassVar[str] = ""
    cost: ClassVar[int] = 10
    default_on_flag: ClassVar[OnFlag] = "queue"
    options_model: ClassVar[type[Options]] = NoOptions

    def __init__(self, name: str, options: OptionsT) -> None:
        self.name = name
        self.options = options

    @abstractmethod
    def run(self, item: Item) -> CheckResult:
        """Judge one item."""

    def result(
        self,
        *,
        score: float,
        flagged: bool,
        explanation: str,
        spans: Sequence[Span] = (),
        severity: Severity | None = None,
        demands: Route | None = None,
        judged: bool = True,
        details: dict[str, Any] | None = None,
    ) -> CheckResult:
        """Build this check's result; severity defaults to ``medium`` when flagged, else ``info``."""
        return CheckResult(
            name=self.name,
            score=min(1.0, max(0.0, float(score))),
            flagged=flagged,
            severity=severity or ("medium" if flagged else "info"),
            explanation=explanation,
            spans=tuple(spans),
            demands=demands,
            judged=judged,
            details=details or {},
        )


def field_texts(item: Item, fields: Sequence[FieldName]) -> Iterator[tuple[str, str]]:
    """Yield ``(field, text)`` for the named parts of an item, the way spans name them.

    ``output`` is one text; a plain ``input`` is ``input``, a chat input yields ``input[i]`` per message;
    ``context`` yields ``context[i]`` per passage.
    """
    for name in fields:
        if name == "output":
            yield "output", item.output
        elif name == "input":
            if isinstance(item.input, str):
                yield "input", item.input
            elif item.input is not None:
                for i, message in enumerate(item.input):
                    yield f"input[{i}]", message.content
        else:
            for i, passage in enumerate(item.context):
                yield f"context[{i}]", passage
