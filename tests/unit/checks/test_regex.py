"""The regex check: named patterns that must not or must appear, and the guards on the patterns themselves."""

from __future__ import annotations

import pickle
import re
import time
from typing import Any

import pytest
from pydantic import ValidationError

from inloop.checks.regex import RegexCheck, pattern_problem
from inloop.domain.item import Item


def make(**options: Any) -> RegexCheck:
    return RegexCheck("regex", RegexCheck.options_model.model_validate(options))


def run(check: RegexCheck, output: str, **item: Any) -> Any:
    return check.run(Item.model_validate({"task_type": "t", "output": output, **item}))


ORDERS = make(patterns={"order_id": r"ORD-\d{6}", "internal_url": r"https?://[\w.-]*\.corp\b"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your order ORD-123456 shipped.", [("ORD-123456", "regex:order_id")]),
        (
            "See http://wiki.corp and ORD-000001",
            [("http://wiki.corp", "regex:internal_url"), ("ORD-000001", "regex:order_id")],
        ),
        ("ORD-12345 is too short", []),
        ("ord-123456 is lower case", []),
        ("Nothing to see.", []),
        ("", []),
    ],
)
def test_flag_if_match(text: str, expected: list[tuple[str, str]]) -> None:
    result = run(ORDERS, text)
    assert [(text[s.start : s.end], s.label) for s in result.spans] == expected
    assert result.flagged is bool(expected)
    assert result.score == (1.0 if expected else 0.0)


def test_explanation_and_counts() -> None:
    result = run(ORDERS, "ORD-111111, ORD-222222 and https://x.corp")
    assert result.explanation == "matched patterns 'order_id' (2), 'internal_url' in output"
    assert result.details == {"matches": {"order_id": 2, "internal_url": 1}}


def test_ignore_case() -> None:
    check = make(patterns={"order_id": r"ORD-\d{6}"}, ignore_case=True)
    assert run(check, "ord-123456").flagged


def test_empty_matches_point_at_nothing() -> None:
    check = make(patterns={"maybe": r"x*"})
    result = run(check, "abc xx")
    assert [(s.start, s.end) for s in result.spans] == [(4, 6)]


def test_fields_and_span_names() -> None:
    check = make(patterns={"secret": r"sk-[A-Za-z0-9]{8}"}, fields=["input", "context"])
    result = run(check, "clean", input="key sk-ABCDEFGH", context=["none", "sk-12345678"])
    assert [(s.field, s.start, s.end) for s in result.spans] == [("input", 4, 15), ("context[1]", 0, 11)]
    assert result.explanation == "matched pattern 'secret' (2) in input, context[1]"


DISCLAIMER = make(
    patterns={"disclaimer": r"not (?:legal|financial) advice", "signature": r"(?m)^— The Support Team$"},
    mode="flag_if_missing",
    ignore_case=True,
)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("This is not legal advice.\n— The Support Team", []),
        ("NOT FINANCIAL ADVICE\n— the support team", []),
        ("This is not legal advice.", ["signature"]),
        ("Buy now!", ["disclaimer", "signature"]),
        ("", ["disclaimer", "signature"]),
    ],
)
def test_flag_if_missing(text: str, missing: list[str]) -> None:
    result = run(DISCLAIMER, text)
    assert result.flagged is bool(missing)
    assert result.score == len(missing) / 2
    assert result.spans == ()
    if missing:
        assert result.details == {"missing": missing}
        assert "missing from output" in result.explanation


def test_flag_if_missing_looks_across_all_named_fields() -> None:
    check = make(patterns={"ref": r"REF-\d+"}, mode="flag_if_missing", fields=["output", "context"])
    assert not run(check, "no ref here", context=["see REF-42"]).flagged
    assert run(check, "no ref here", context=["nor here"]).flagged


def test_spans_are_capped_but_counts_stay_exact() -> None:
    result = run(make(patterns={"digit": r"\d"}), "1 " * 500)
    assert len(result.spans) == 100
    assert result.details == {"matches": {"digit": 500}}


def test_only_the_first_max_scan_chars_are_scanned() -> None:
    check = make(patterns={"order_id": r"ORD-\d{6}"}, max_scan_chars=50)
    text = "x" * 60 + " ORD-123456"
    result = run(check, text)
    assert not result.flagged
    assert result.explanation == "no pattern matched (scanned only the first 50 characters of output)"
    assert run(check, "ORD-123456" + "x" * 60).flagged


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ({"broken": "ORD-(\\d{6"}, "pattern 'broken' ('ORD-(\\\\d{6') is not a valid regular expression"),
        ({"bad_escape": r"\p{L}"}, "pattern 'bad_escape'"),
        ({"nested": r"(a+)+$"}, "pattern 'nested' ('(a+)+$') has a nested quantifier"),
        ({"set": "[[a]"}, "pattern 'set' ('[[a]') is ambiguous: Possible nested set"),
        ({"long": "a" * 1001}, "is longer than 1000 characters"),
        ({" ": "a"}, "a pattern has an empty name"),
        ({}, "at least 1 item"),
    ],
)
def test_bad_patterns_are_option_errors_naming_the_pattern(patterns: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        RegexCheck.options_model.model_validate({"patterns": patterns})
    error = info.value.errors()[0]
    assert error["loc"] == ("patterns",)
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"patterns": ["ORD-\\d+"]}, ("patterns",)),
        ({"patterns": {"a": "a"}, "mode": "flag_if_present"}, ("mode",)),
        ({"patterns": {"a": "a"}, "max_scan_chars": 0}, ("max_scan_chars",)),
        ({"patterns": {"a": "a"}, "flags": "i"}, ("flags",)),
    ],
)
def test_other_bad_options(options: dict[str, Any], loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        RegexCheck.options_model.model_validate(options)
    assert info.value.errors()[0]["loc"] == loc


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+",
        r"(a*)*b",
        r"(\w+\s?)+$",
        r"(?:\s*\w+)+!",
        r"(a|b+)+",
        r"((a+))+",
        r"(?:(\w+)\s?)+",
        r"(?:a+){2,5}",
        r"(?=(a+)+)b",
    ],
)
def test_catastrophic_shapes_are_refused(pattern: str) -> None:
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"ORD-\d{6}",
        r"(?:[a-z0-9-]+\.)+[a-z]{2,}",
        r"\w+(?:\s+\w+)*",
        r"(?:,\s*)+",
        r"(\d{3}-)+\d{4}",
        r"(?:\w+\s?)++$",
        r"(?>(?:\w+\s?)+)$",
        r"(?:ab)+",
        r"a{2,}b*",
    ],
)
def test_safe_and_possessive_shapes_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None
    # ... and they really are fast on the text that kills the refused shapes.
    started = time.perf_counter()
    re.search(pattern, "a" * 5000 + "!")
    assert time.perf_counter() - started < 0.5


def test_check_pickles_for_worker_processes() -> None:
    assert run(pickle.loads(pickle.dumps(ORDERS)), "ORD-123456") == run(ORDERS, "ORD-123456")
