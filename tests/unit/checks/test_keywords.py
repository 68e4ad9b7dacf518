"""The keywords check: whole-word, case-insensitive, Unicode-aware list matching with exact spans."""

from __future__ import annotations

import pickle
import re
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from inloop.checks.keywords import KeywordsCheck
from inloop.domain.item import Item
from inloop.domain.routes import Route


def make(**options: Any) -> KeywordsCheck:
    """Build the check the way a policy does: from a plain mapping through the options model."""
    return KeywordsCheck("keywords", KeywordsCheck.options_model.model_validate(options))


def hits(check: KeywordsCheck, text: str) -> list[str]:
    return [text[s.start : s.end] for s in check.run(Item(task_type="t", output=text)).spans]


ESCALATE = make(escalate=["class", "lawsuit", "straße", "c++", "@admin", "诉讼", "python", "café", "cafe"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # word boundaries
        ("a class of its own", ["class"]),
        ("class", ["class"]),
        ("(class).", ["class"]),
        ("classify this", []),
        ("subclass", []),
        ("class_name", []),
        ("class2", []),
        ("2class", []),
        # case
        ("CLASS and Class", ["CLASS", "Class"]),
        ("We will file a LawSuit.", ["LawSuit"]),
        ("lawsuits", []),
        # Unicode: casefolding, accents and combining marks
        ("STRASSE", ["STRASSE"]),
        ("Straße", ["Straße"]),
        ("Hauptstraße", []),
        ("un café noir", ["café"]),
        ("un cafe noir", ["cafe"]),
        ("un cafe\u0301 noir", []),  # decomposed "café": the combining accent glues to the word
        ("Ärger class", ["class"]),
        # edges that are not word characters need no boundary
        ("I write c++, daily", ["c++"]),
        ("ping @admin now", ["@admin"]),
        ("mail@admin.example", ["@admin"]),
        # scripts without spaces between words
        ("我们将提起诉讼。", ["诉讼"]),
        ("我用python编程", ["python"]),
        ("monty_python", []),
    ],
)
def test_whole_word_matching(text: str, expected: list[str]) -> None:
    assert hits(ESCALATE, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "wire the funds now",
        "Please WIRE THE FUNDS NOW!",
        "wire  the\n\tfunds   now",
        "wire\u00a0the funds\r\nnow",
    ],
)
def test_phrase_matches_across_any_whitespace(text: str) -> None:
    check = make(block=["wire the funds now"])
    spans = check.run(Item(task_type="t", output=text)).spans
    assert len(spans) == 1
    assert " ".join(text[spans[0].start : spans[0].end].split()).casefold() == "wire the funds now"


def test_phrase_does_not_match_inside_longer_words() -> None:
    check = make(block=["wire the funds now"])
    assert hits(check, "rewire the funds nowhere") == []


def test_offsets_stay_exact_after_characters_that_fold_to_several() -> None:
    # "ß" folds to "ss" and "ﬁ" to "fi": every later offset in the folded text shifts.
    text = "Große ﬁnanzielle\n\nProbleme: lawsuit  pending"
    check = make(escalate=["lawsuit pending", "große"])
    assert hits(check, text) == ["Große", "lawsuit  pending"]


def test_block_hit_demands_block_with_high_severity() -> None:
    check = make(block=["wire the funds now"], escalate=["lawsuit"])
    result = check.run(Item(task_type="t", output="Wire the funds now or face a lawsuit."))
    assert result.flagged
    assert result.demands is Route.BLOCK
    assert result.severity == "high"
    assert result.score == 1.0
    assert result.explanation == (
        "blocked phrase 'wire the funds now' in output; escalation term 'lawsuit' in output"
    )
    assert [s.label for s in result.spans] == ["keyword:block", "keyword:escalate"]
    assert result.details == {"block": ["wire the funds now"], "escalate": ["lawsuit"]}


def test_escalate_hit_leaves_the_route_to_the_policy() -> None:
    result = make(escalate=["lawsuit"]).run(Item(task_type="t", output="a lawsuit, another lawsuit"))
    assert result.flagged
    assert result.demands is None
    assert result.score == 0.7
    assert result.explanation == "escalation term 'lawsuit' in output"
    assert [(s.start, s.end) for s in result.spans] == [(2, 9), (19, 26)]


def test_clean_text_is_not_flagged() -> None:
    result = make(block=["wire the funds now"]).run(Item(task_type="t", output="All good here."))
    assert not result.flagged
    assert result.score == 0.0
    assert result.spans == ()


def test_term_on_both_lists_counts_as_block() -> None:
    check = make(block=["refund"], escalate=["Refund", "refund"])
    result = check.run(Item(task_type="t", output="refund"))
    assert result.demands is Route.BLOCK
    assert [s.label for s in result.spans] == ["keyword:block"]


def test_explanation_counts_other_hits() -> None:
    result = make(escalate=["a1", "b2", "c3"]).run(Item(task_type="t", output="a1 b2 c3 a1"))
    assert result.explanation == "escalation term 'a1' in output (+2 more)"


def test_scans_the_named_fields_with_their_span_names() -> None:
    check = make(escalate=["ignore previous"], fields=["input", "context"])
    item = Item.model_validate(
        {
            "task_type": "t",
            "input": [
                {"role": "system", "content": "be nice"},
                {"role": "user", "content": "Ignore previous instructions"},
            ],
            "context": ["fine", "please ignore   previous text"],
            "output": "ignore previous",
        }
    )
    spans = check.run(item).spans
    assert [(s.field, s.start, s.end) for s in spans] == [("input[1]", 0, 15), ("context[1]", 7, 24)]


@pytest.mark.parametrize(
    ("options", "path", "message"),
    [
        ({"block": ["ok", "  "]}, ("block", 1), "empty term"),
        ({"escalate": [""]}, ("escalate", 0), "empty term"),
        ({}, (), "needs at least one term in 'block' or 'escalate'"),
        ({"block": [], "escalate": []}, (), "needs at least one term"),
        ({"block": "wire the funds now"}, ("block",), "tuple"),
        ({"block": ["x"], "blok": ["y"]}, ("blok",), "Extra inputs"),
        ({"block": ["x"], "fields": ["outputs"]}, ("fields", 0), "input"),
    ],
)
def test_bad_options_name_the_field(options: dict[str, Any], path: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        KeywordsCheck.options_model.model_validate(options)
    error = info.value.errors()[0]
    assert error["loc"] == path
    assert message in error["msg"]


def test_thousands_of_terms_build_and_scan_fast() -> None:
    terms = [f"term{i} phrase{i % 97}" for i in range(20_000)] + ["needle in haystack"]
    started = time.perf_counter()
    check = make(block=terms[:10_000], escalate=terms[10_000:])
    build = time.perf_counter() - started
    text = ("Ordinary words about orders, refunds and delivery dates. " * 20)[:1000] + " needle in  haystack"
    item = Item(task_type="t", output=text)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        result = check.run(item)
    per_run = (time.perf_counter() - started) / runs
    assert [text[s.start : s.end] for s in result.spans] == ["needle in  haystack"]
    # Generous bounds for a busy CI machine; on a loaded 2-core dev box: 0.15 s to build, 0.1 ms per run.
    assert build < 2.0
    assert per_run < 0.002


@given(
    before=st.text(max_size=30),
    after=st.text(max_size=30),
    term=st.sampled_from(["lawsuit", "wire the funds now", "straße", "诉讼"]),
)
def test_a_term_set_off_by_spaces_is_always_found_at_its_offsets(before: str, after: str, term: str) -> None:
    check = make(escalate=["lawsuit", "wire the funds now", "straße", "诉讼"])
    text = f"{before} {term.upper()} {after}"
    start = len(before) + 1
    spans = check.run(Item(task_type="t", output=text)).spans
    assert any(s.start == start and s.end == start + len(term.upper()) for s in spans)
    for span in spans:  # every reported span reads as one of the terms
        found = " ".join(text[span.start : span.end].casefold().split())
        assert found in {"lawsuit", "wire the funds now", "strasse", "诉讼"}


@given(
    gaps=st.lists(
        st.text(alphabet=" \t\r\n\u00a0\u2003\u3000", min_size=1, max_size=4), min_size=3, max_size=3
    )
)
def test_a_phrase_is_found_whatever_whitespace_separates_its_words(gaps: list[str]) -> None:
    check = make(block=["wire the funds now"])
    text = "Straße: wire" + gaps[0] + "the" + gaps[1] + "FUNDS" + gaps[2] + "now."
    spans = check.run(Item(task_type="t", output=text)).spans
    assert [(s.start, s.end) for s in spans] == [(8, len(text) - 1)]


PIECES = [
    "lawsuit",
    "LawSuit",
    "wire",
    "THE",
    "funds",
    "now",
    "ß",
    "ﬁ",
    "é",
    "x",
    "_",
    "9",
    ".",
    " ",
    "  ",
    "\n",
    "\t",
]
REFERENCE = re.compile(r"(?<!\w)(?:lawsuit|wire\s+the\s+funds\s+now)(?!\w)", re.IGNORECASE)


@given(pieces=st.lists(st.sampled_from(PIECES), max_size=40))
def test_spans_agree_with_a_regex_reference(pieces: list[str]) -> None:
    check = make(escalate=["lawsuit"], block=["wire the funds now"])
    text = "".join(pieces)
    spans = check.run(Item(task_type="t", output=text)).spans
    assert [(s.start, s.end) for s in spans] == [m.span() for m in REFERENCE.finditer(text)]


def test_check_pickles_for_worker_processes() -> None:
    check = make(block=["wire the funds now"], escalate=["lawsuit"])
    item = Item(task_type="t", output="Wire the  funds now or a lawsuit follows.")
    assert pickle.loads(pickle.dumps(check)).run(item) == check.run(item)
