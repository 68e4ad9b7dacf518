"""Structural checks: the output is JSON matching a schema (``json_schema``) or within bounds (``length``).

``json_schema`` accepts an output wrapped in a single markdown code fence (```` ```json ... ``` ```` or a bare
```` ``` ````), because chat models add one even when told not to and the payload inside is what a caller
parses; a fence in the middle of prose is not unwrapped, and neither is one tagged with another language.
``NaN`` and ``Infinity`` are refused: they are not JSON and most parsers other than Python's reject them.
``format`` keywords are asserted (``date``, ``email``, ...) as far as jsonschema's format checker knows them.
A ``$ref`` is resolved only inside the schema; nothing is fetched over the network.

jsonschema is imported when the first ``json_schema`` check is built, so a policy with only ``length`` does
not pay for it.
"""

from __future__ import annotations

import json
import re
import warnings
from itertools import islice
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from inloop.checks.base import Check, FieldName, Options, field_texts
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_FENCE = re.compile(r"\A\s*```[ \t]*(?:json)?[ \t]*\r?\n(.*?)\r?\n[ \t]*```\s*\Z", re.DOTALL | re.IGNORECASE)
_MAX_EXPLANATION = 300
_MAX_LISTED_ERRORS = 10


class JsonSchemaOptions(Options):
    """``schema``: a JSON Schema object (any draft jsonschema knows; 2020-12 when ``$schema`` is absent)."""

    json_schema: dict[str, Any] = Field(alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        _check_schema(schema)
        return schema


def _validator_class(schema: dict[str, Any]) -> type[Validator]:
    """The validator for the schema's ``$schema``; an unknown ``$schema`` is an error, not a fallback."""
    from jsonschema.validators import validator_for

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return validator_for(schema)
        except DeprecationWarning:
            raise ValueError(f"unknown $schema {schema.get('$schema')!r}") from None


def _build_validator(schema: dict[str, Any]) -> Validator:
    """Compiled once per check; ``format`` keywords are asserted, not just annotations."""
    cls = _validator_class(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _check_schema(schema: dict[str, Any]) -> None:
    from jsonschema.exceptions import SchemaError

    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"invalid JSON Schema at {exc.json_path}: {_clip(exc.message)}") from None


class JsonSchemaCheck(Check[JsonSchemaOptions]):
    """Flags an output that is not JSON or does not validate; ``on_flag`` (default ``block``) decides."""

    kind = "json_schema"
    cost = 30
    default_on_flag = "block"
    options_model = JsonSchemaOptions

    def __init__(self, name: str, options: JsonSchemaOptions) -> None:
        super().__init__(name, options)
        self._validator = _build_validator(options.json_schema)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the compiled validator (it holds closures), so checks can go to worker processes."""
        state = self.__dict__.copy()
        del state["_validator"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._validator = _build_validator(self.options.json_schema)

    def run(self, item: Item) -> CheckResult:
        from jsonschema.exceptions import best_match
        from referencing.exceptions import Unresolvable

        text = item.output
        body, offset = _unfence(text)
        try:
            document = json.loads(body, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            return self._not_json(text, offset + exc.pos, exc.msg)
        except ValueError as exc:
            return self._not_json(text, None, str(exc))
        except RecursionError:
            return self._not_json(text, None, "nested too deeply")
        try:
            errors = list(self._validator.iter_errors(document))
        except Unresolvable as exc:
            return self._cannot_validate(f"schema cannot be applied: {exc}")
        except RecursionError:
            return self._cannot_validate("output is nested too deeply to validate")
        fenced = {"fenced": True} if offset else {}
        if not errors:
            return self.result(
                score=0.0, flagged=False, explanation="output matches the schema", details=fenced
            )
        first = best_match(errors)
        listed = [
            {"path": e.json_path, "message": _clip(e.message)} for e in islice(errors, _MAX_LISTED_ERRORS)
        ]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return self.result(
            score=1.0,
            flagged=True,
            severity="high",
            explanation=_clip(f"output does not match schema: {first.json_path}: {first.message}") + more,
            details={"errors": listed, "error_count": len(errors), **fenced},
        )

    def _cannot_validate(self, why: str) -> CheckResult:
        """Flag rather than raise: an output nobody could validate must not pass as valid."""
        return self.result(score=1.0, flagged=True, severity="high", explanation=_clip(why))

    def _not_json(self, text: str, position: int | None, why: str) -> CheckResult:
        spans: list[Span] = []
        where = ""
        if position is not None:
            line = text.count("\n", 0, position) + 1
            column = position - text.rfind("\n", 0, position)
            where = f" at line {line} column {column}"
            if position < len(text):
                spans.append(Span("output", position, position + 1, "json:syntax"))
        return self.result(
            score=1.0,
            flagged=True,
            severity="high",
            explanation=f"output is not JSON: {why}{where}",
            spans=spans,
        )


def _unfence(text: str) -> tuple[str, int]:
    """The JSON inside one surrounding code fence and where it starts in ``text``; else ``text`` itself."""
    if not text.lstrip().startswith("```"):
        return text, 0
    match = _FENCE.match(text)
    if match is None:
        return text, 0
    return match.group(1), match.start(1)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_EXPLANATION else text[: _MAX_EXPLANATION - 3] + "..."


class LengthOptions(Options):
    """Bounds in characters (code points) and words (runs of non-whitespace); at least one is required."""

    max_chars: int | None = Field(default=None, ge=0, strict=True)
    min_chars: int | None = Field(default=None, ge=0, strict=True)
    max_words: int | None = Field(default=None, ge=0, strict=True)
    min_words: int | None = Field(default=None, ge=0, strict=True)
    fields: tuple[FieldName, ...] = Field(default=("output",), min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> LengthOptions:
        if all(v is None for v in (self.max_chars, self.min_chars, self.max_words, self.min_words)):
            raise ValueError("needs at least one of max_chars, min_chars, max_words, min_words")
        for unit in ("chars", "words"):
            low, high = getattr(self, f"min_{unit}"), getattr(self, f"max_{unit}")
            if low is not None and high is not None and low > high:
                raise ValueError(f"min_{unit} ({low}) is greater than max_{unit} ({high})")
        return self


_WORD = re.compile(r"\S+")


class LengthCheck(Check[LengthOptions]):
    """Flags a text outside its bounds; the part past a maximum is a span a reviewer sees."""

    kind = "length"
    cost = 1
    options_model = LengthOptions

    def run(self, item: Item) -> CheckResult:
        o = self.options
        problems: list[str] = []
        spans: list[Span] = []
        for field, text in field_texts(item, o.fields):
            chars = len(text)
            if o.max_chars is not None and chars > o.max_chars:
                problems.append(f"{field} is {_n(chars, 'character')}, over the {o.max_chars} limit")
                spans.append(Span(field, o.max_chars, chars, "length:over"))
            if o.min_chars is not None and chars < o.min_chars:
                problems.append(f"{field} is {_n(chars, 'character')}, under the {o.min_chars} minimum")
            if o.max_words is None and o.min_words is None:
                continue
            words = len(text.split())
            if o.max_words is not None and words > o.max_words:
                problems.append(f"{field} is {_n(words, 'word')}, over the {o.max_words} limit")
                first_extra = next(islice(_WORD.finditer(text), o.max_words, None), None)
                if first_extra is not None:
                    spans.append(Span(field, first_extra.start(), chars, "length:over"))
            if o.min_words is not None and words < o.min_words:
                problems.append(f"{field} is {_n(words, 'word')}, under the {o.min_words} minimum")
        if not problems:
            return self.result(score=0.0, flagged=False, explanation="within length bounds")
        return self.result(score=1.0, flagged=True, explanation="; ".join(problems), spans=spans)


def _n(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
