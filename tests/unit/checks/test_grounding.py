"""The grounding check and its text tools: supported sentences, normalised numbers, no judgement without
sources."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from inloop.checks.grounding import GroundingCheck, _Source
from inloop.checks.registry import check_class
from inloop.checks.text import numbers, sentences, stem, term, term_set
from inloop.domain.item import Item

RETURNS = (
    "Most items can be returned within 30 days of delivery for a full refund. Items must be unused and in "
    "their original packaging. Opened software and gift cards cannot be returned.",
    "Refunds are issued to the original payment method within 5 to 7 business days after we receive the "
    "item. Return shipping costs a flat $6.95 unless you are a member.",
)


def make(**options: Any) -> GroundingCheck:
    """Build the check the way a policy does: from a plain mapping through the options model."""
    return GroundingCheck("grounding", GroundingCheck.options_model.model_validate(options))


CHECK = make()


def judge(output: str, context: tuple[str, ...] = RETURNS, **kwargs: Any) -> Any:
    return CHECK.run(Item(task_type="support_reply", output=output, context=context, **kwargs))


def test_item_without_context_is_not_judged() -> None:
    result = CHECK.run(Item(task_type="t", output="The refund is $500, paid on 3 May."))
    assert (result.judged, result.flagged, result.spans) == (False, False, ())
    assert result.explanation == "no context passages; grounding not judged"
    assert not CHECK.run(Item(task_type="t", output="x", context=("  ",))).judged


@pytest.mark.parametrize(
    "output",
    [
        "You can return it within 30 days of delivery, as long as it is unused and in its original "
        "packaging.",
        "Hi! Once we receive the item, the refund goes back to your original payment method within 5-7 "
        "business days. Let me know if you need anything else.",
        "Return shipping is $6.95 for non-members. Gift cards can't be returned.",
        "Returns are accepted for 30 days after delivery; refunds take five to seven business days.",
    ],
)
def test_faithful_paraphrases_are_supported(output: str) -> None:
    result = judge(output)
    assert not result.flagged, result.explanation
    assert result.score == 1.0
    assert result.spans == ()


def test_an_invented_sentence_is_flagged_with_its_span() -> None:
    output = (
        "You have 30 days to return it. We also plant a tree for every parcel sent back to our warehouse."
    )
    result = judge(output)
    assert result.flagged
    assert result.score == 0.5
    (span,) = result.spans
    assert (span.field, span.label) == ("output", "unsupported_sentence")
    assert (
        output[span.start : span.end] == "We also plant a tree for every parcel sent back to our warehouse."
    )


def test_an_invented_number_is_flagged_even_in_a_supported_sentence() -> None:
    output = "Refunds are issued within 5 to 10 business days."
    result = judge(output)
    assert result.flagged
    assert [output[s.start : s.end] for s in result.spans if s.label == "unsupported_number"] == ["10"]
    assert result.details["unsupported_numbers"] == ["10"]
    assert not make(flag_numbers=False).run(Item(task_type="t", output=output, context=RETURNS)).flagged


def test_a_flipped_negation_is_not_supported() -> None:
    assert judge("Opened software and gift cards cannot be returned.").score == 1.0
    result = judge("Refunds are not issued to the original payment method.")
    assert result.flagged
    assert result.spans[0].label == "unsupported_sentence"


@pytest.mark.parametrize(
    "output",
    ["Thanks for reaching out!", "Is there anything else I can help with?", "Here is what I found:"],
)
def test_courtesy_questions_and_headings_are_not_claims(output: str) -> None:
    result = judge(f"{output} Refunds take 5 to 7 business days.")
    assert result.details["factual_sentences"] == 1
    assert not result.flagged


def test_saying_the_sources_are_silent_is_not_a_claim() -> None:
    result = judge("The documents do not mention whether we ship to Canada.")
    assert result.details["factual_sentences"] == 0
    assert (result.score, result.flagged) == (1.0, False)
    assert result.explanation == "no factual sentences to check"


def test_a_sentence_may_join_facts_from_neighbouring_passages() -> None:
    output = "Opened software can't be returned, and return shipping costs $6.95 for non-members."
    assert not judge(output).flagged


def test_numbers_the_user_gave_are_not_invented() -> None:
    output = "Order 55321 qualifies: refunds take 5 to 7 business days."
    assert not judge(output, input="Can I return order 55321?").flagged
    assert judge(output).flagged
    assert (
        make(numbers_from_input=False)
        .run(Item(task_type="t", input="Can I return order 55321?", output=output, context=RETURNS))
        .flagged
    )


def test_min_support_sets_the_share_of_claims_that_must_be_supported() -> None:
    output = (
        "Items can be returned within 30 days. Refunds go to the original payment method. Items must be "
        "unused. We also offer free gift wrapping on every order."
    )
    item = Item(task_type="t", output=output, context=RETURNS)
    assert CHECK.run(item).score == 0.75
    assert CHECK.run(item).flagged  # default 0.8: one invented claim in four is too many
    assert not make(min_support=0.5).run(item).flagged


def test_sentence_overlap_option_tightens_support() -> None:
    output = "Refunds arrive within 5 to 7 business days through the original payment channel."
    assert not judge(output).flagged
    assert make(sentence_overlap=1.0).run(Item(task_type="t", output=output, context=RETURNS)).flagged


def test_options_are_validated_and_registered() -> None:
    with pytest.raises(ValidationError):
        make(min_support=2)
    with pytest.raises(ValidationError):
        make(min_suport=0.5)
    assert check_class("grounding") is GroundingCheck
    assert (GroundingCheck.cost, GroundingCheck.default_on_flag) == (20, "queue")


# --- text tools ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "source"),
    [
        ("$1,200", "1200 dollars"),
        ("1,200.00", "$1200"),
        ("15%", "15 percent"),
        ("fifteen percent", "15%"),
        ("March 3, 2024", "2024-03-03"),
        ("3 March 2024", "03/03/2024"),
        ("March 2024", "on 2024-03-03"),
        ("1.2 million", "1,200,000"),
        ("$1.2M", "1.2 million dollars"),
        ("15 cents", "$0.15"),
        ("8 pm", "20:00"),
        ("USD 40", "$40"),
        ("three", "3"),
        ("192.168.0.1", "IP 192.168.0.1"),
    ],
)
def test_equal_values_written_differently_match(output: str, source: str) -> None:
    (mention,) = numbers(output)
    keys = set().union(*(m.keys for m in numbers(source)))
    assert mention.need & keys, (mention.need, keys)


@pytest.mark.parametrize(
    ("output", "source"),
    [
        ("14 June 1996", "14 June 1998"),
        ("$5", "3 to 5 business days"),
        ("15%", "£15"),
        ("$4.95", "$6.95"),
        ("1 October 2024", "1 September 2024"),
    ],
)
def test_different_values_do_not_match(output: str, source: str) -> None:
    (mention,) = numbers(output)
    keys = set().union(*(m.keys for m in numbers(source)))
    assert not mention.need & keys


def test_number_offsets_and_list_markers() -> None:
    text = "1. Pay $1,200 by 3 May.\n2) Keep 15% aside."
    found = [(text[m.start : m.end], m.kind) for m in numbers(text)]
    assert found == [("$1,200", "amount"), ("3 May", "date"), ("15%", "percent")]


def test_ranges_share_their_unit() -> None:
    kinds = [m.kind for m in numbers("between $10-20 and 10-15%")]
    assert kinds == ["amount", "amount", "percent", "percent"]


def test_sentences_respect_abbreviations_and_lines() -> None:
    text = "Dr. Smith paid $4.50 (e.g. cash). He left!\n- Then J. Doe came\nDone."
    assert [text[a:b] for a, b in sentences(text)] == [
        "Dr. Smith paid $4.50 (e.g. cash).",
        "He left!",
        "- Then J. Doe came",
        "Done.",
    ]


def test_stemming_is_consistent_across_forms() -> None:
    assert len({stem(w) for w in ("refund", "refunds", "refunded", "refunding")}) == 1
    assert stem("cancellation") == stem("cancelled") == stem("cancel")
    assert term_set("The customers purchased it") == term_set("customer buys it")


def test_a_tie_between_windows_goes_to_the_first() -> None:
    # Refunds are stated at both ends of ten sentences, so two windows hold the claim equally well; the
    # verdict must not hang on which one a set happens to yield first (PYTHONHASHSEED differs per process).
    filler = [f"Line {n} here." for n in range(8)]
    passage = " ".join(["Refunds take five days.", *filler, "Refunds take five days."])
    source = _Source([passage], {"ref", "tak", "fiv", "day"})
    share, window = source.support({term(w): 10 for w in ("refunds", "take", "days")})
    assert (share, window) == (1.0, 0)


def test_support_weights_add_up_exactly() -> None:
    source = _Source(["Refunds are quick. Make a new order."], {"ref", "qui", "mak", "new", "ord"})
    terms = {term("refunds"): 10, term("quick"): 10, term("make"): 3, term("new"): 3, "xyz": 10, "abc": 3}
    share, _ = source.support(terms)
    assert share == 26 / 39
