"""The structural checks: ``json_schema`` (parse, unfence, validate) and ``length`` (bounds and spans)."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from pydantic import ValidationError

from inloop.checks.structure import JsonSchemaCheck, LengthCheck
from inloop.domain.item import Item

TICKET = {
    "type": "object",
    "properties": {
        "priority": {"enum": ["low", "high"]},
        "label": {"type": "string", "minLength": 1},
        "due": {"type": "string", "format": "date"},
    },
    "required": ["priority", "label"],
    "additionalProperties": False,
}


def schema_check(schema: dict[str, Any] | None = None) -> JsonSchemaCheck:
    options = JsonSchemaCheck.options_model.model_validate({"schema": schema or TICKET})
    return JsonSchemaCheck("json_schema", options)


def length_check(**options: Any) -> LengthCheck:
    return LengthCheck("length", LengthCheck.options_model.model_validate(options))


def run(check: Any, output: str, **item: Any) -> Any:
    return check.run(Item.model_validate({"task_type": "t", "output": output, **item}))


CHECK = schema_check()


@pytest.mark.parametrize(
    "output",
    [
        '{"priority": "low", "label": "billing"}',
        '  {"priority": "high", "label": "bug", "due": "2025-03-01"}\n',
        '```json\n{"priority": "low", "label": "billing"}\n```',
        '```JSON\r\n{"priority": "low", "label": "billing"}\r\n```\n',
        '```\n{"priority": "low", "label": "billing"}\n```',
    ],
)
def test_valid_outputs_pass(output: str) -> None:
    result = run(CHECK, output)
    assert not result.flagged
    assert result.score == 0.0
    assert result.explanation == "output matches the schema"


def test_a_fenced_output_says_so_in_details() -> None:
    assert run(CHECK, '```json\n{"priority": "low", "label": "x"}\n```').details == {"fenced": True}


@pytest.mark.parametrize(
    ("output", "explanation"),
    [
        (
            '{"priority": "urgent", "label": "billing"}',
            "output does not match schema: $.priority: 'urgent' is not one of ['low', 'high']",
        ),
        ('{"priority": "low"}', "output does not match schema: $: 'label' is a required property"),
        (
            '{"priority": "low", "label": "x", "due": "next week"}',
            "output does not match schema: $.due: 'next week' is not a 'date'",
        ),
        (
            '{"priority": "low", "label": "x", "extra": 1}',
            "output does not match schema: $: Additional properties are not allowed ('extra' was unexpected)",
        ),
        (
            '{"priority": 3, "label": ""}',
            "output does not match schema: $.priority: 3 is not one of ['low', 'high'] (+1 more)",
        ),
        ('["low"]', "output does not match schema: $: ['low'] is not of type 'object'"),
    ],
)
def test_schema_violations_name_the_path(output: str, explanation: str) -> None:
    result = run(CHECK, output)
    assert result.flagged
    assert result.score == 1.0
    assert result.severity == "high"
    assert result.demands is None  # the policy's on_flag decides
    assert result.explanation == explanation
    assert result.details["error_count"] == len(result.details["errors"])


@pytest.mark.parametrize(
    ("output", "explanation", "span"),
    [
        ("Sure! Here it is.", "output is not JSON: Expecting value at line 1 column 1", (0, 1)),
        ('{"priority": "low",}', "output is not JSON: ", (19, 20)),  # the message differs across Pythons
        (
            '```json\n{"priority": "low",,}\n```',
            "output is not JSON: Expecting property name enclosed in double quotes at line 2 column 20",
            (27, 28),
        ),
        ("", "output is not JSON: Expecting value at line 1 column 1", None),
        ('{"priority": NaN}', "output is not JSON: NaN is not valid JSON", None),
        ('{"a": Infinity}', "output is not JSON: Infinity is not valid JSON", None),
        ("[" * 100_000, "output is not JSON: nested too deeply", None),
        (
            '```python\n{"priority": "low"}\n```',
            "output is not JSON: Expecting value at line 1 column 1",
            (0, 1),
        ),
        (
            'Here:\n```json\n{"priority": "low"}\n```',
            "output is not JSON: Expecting value at line 1 column 1",
            (0, 1),
        ),
    ],
)
def test_non_json_outputs(output: str, explanation: str, span: tuple[int, int] | None) -> None:
    result = run(CHECK, output)
    assert result.flagged
    assert result.score == 1.0
    assert result.explanation.startswith(explanation)
    assert [(s.start, s.end) for s in result.spans] == ([span] if span else [])
    assert all(s.label == "json:syntax" for s in result.spans)


def test_explanations_stay_one_readable_line() -> None:
    check = schema_check({"type": "array", "maxItems": 1})
    result = run(check, json.dumps(["x" * 50] * 200))
    assert len(result.explanation) <= 320


def test_a_draft_7_schema_is_honoured() -> None:
    check = schema_check({"$schema": "http://json-schema.org/draft-07/schema#", "type": "integer"})
    assert not run(check, "3").flagged
    assert run(check, '"3"').flagged


def test_an_unresolvable_ref_flags_instead_of_crashing() -> None:
    check = schema_check({"$ref": "https://example.com/never-fetched.json"})
    result = run(check, "{}")
    assert result.flagged
    assert result.explanation.startswith("schema cannot be applied")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"schema": {"type": "integrer"}}, "invalid JSON Schema at $.type: 'integrer' is not valid"),
        (
            {"schema": {"properties": {"a": {"minimum": "x"}}}},
            "invalid JSON Schema at $.properties.a.minimum: 'x' is not of type 'number'",
        ),
        (
            {"schema": {"$schema": "https://example.com/my-draft"}},
            "unknown $schema 'https://example.com/my-draft'",
        ),
        ({"schema": "not a schema"}, "valid dictionary"),
        ({}, "Field required"),
    ],
)
def test_bad_schema_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        JsonSchemaCheck.options_model.model_validate(options)
    error = info.value.errors()[0]
    assert error["loc"] == ("schema",)
    assert message in error["msg"]


def test_unknown_json_schema_option() -> None:
    with pytest.raises(ValidationError) as info:
        JsonSchemaCheck.options_model.model_validate({"schema": {}, "strict": True})
    assert info.value.errors()[0]["loc"] == ("strict",)


# --- length -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "output", "flagged", "explanation", "spans"),
    [
        ({"max_chars": 10}, "0123456789", False, "within length bounds", []),
        ({"max_chars": 10}, "0123456789ABC", True, "output is 13 characters, over the 10 limit", [(10, 13)]),
        ({"min_chars": 5}, "abc", True, "output is 3 characters, under the 5 minimum", []),
        ({"min_chars": 3}, "abc", False, "within length bounds", []),
        ({"max_words": 3}, "one  two\nthree", False, "within length bounds", []),
        (
            {"max_words": 3},
            "one two three  four five",
            True,
            "output is 5 words, over the 3 limit",
            [(15, 24)],
        ),
        ({"max_words": 0}, "  hi", True, "output is 1 word, over the 0 limit", [(2, 4)]),
        ({"min_words": 2}, "hi", True, "output is 1 word, under the 2 minimum", []),
        (
            {"max_chars": 5, "max_words": 1},
            "aa bb cc",
            True,
            "output is 8 characters, over the 5 limit; output is 3 words, over the 1 limit",
            [(5, 8), (3, 8)],
        ),
        ({"max_chars": 3}, "çàé", False, "within length bounds", []),  # characters, not bytes
    ],
)
def test_length_bounds(
    options: dict[str, Any], output: str, flagged: bool, explanation: str, spans: list[tuple[int, int]]
) -> None:
    result = run(length_check(**options), output)
    assert result.flagged is flagged
    assert result.score == (1.0 if flagged else 0.0)
    assert result.explanation == explanation
    assert [(s.start, s.end) for s in result.spans] == spans
    assert all(s.label == "length:over" for s in result.spans)


def test_length_of_each_context_passage() -> None:
    result = run(length_check(max_chars=4, fields=["context"]), "ok", context=["tiny", "too long"])
    assert result.explanation == "context[1] is 8 characters, over the 4 limit"
    assert [(s.field, s.start, s.end) for s in result.spans] == [("context[1]", 4, 8)]


@pytest.mark.parametrize(
    ("options", "loc", "message"),
    [
        ({}, (), "needs at least one of max_chars, min_chars, max_words, min_words"),
        ({"min_chars": 10, "max_chars": 5}, (), "min_chars (10) is greater than max_chars (5)"),
        ({"min_words": 3, "max_words": 2}, (), "min_words (3) is greater than max_words (2)"),
        ({"max_chars": -1}, ("max_chars",), "greater than or equal to 0"),
        ({"max_chars": "8000"}, ("max_chars",), "valid integer"),
        ({"max_chars": True}, ("max_chars",), "valid integer"),
        ({"max_chars": 10, "max_tokens": 5}, ("max_tokens",), "Extra inputs"),
    ],
)
def test_bad_length_options(options: dict[str, Any], loc: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        LengthCheck.options_model.model_validate(options)
    error = info.value.errors()[0]
    assert error["loc"] == loc
    assert message in error["msg"]


def test_checks_pickle_for_worker_processes() -> None:
    for check, output in [
        (CHECK, '{"priority": "urgent", "label": "x"}'),
        (length_check(max_chars=3), "long"),
    ]:
        copy = pickle.loads(pickle.dumps(check))
        assert run(copy, output) == run(check, output)
