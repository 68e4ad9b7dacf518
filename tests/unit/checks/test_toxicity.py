"""The toxicity check: the shipped classifier, scored sentence by sentence, behind the ``ml`` extra."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from inloop.checks import toxicity
from inloop.checks.toxicity import ToxicityCheck, sentence_bounds
from inloop.domain.item import Item


@pytest.fixture(scope="module")
def check() -> ToxicityCheck:
    pytest.importorskip("profanity_check")
    return make()


def make(**options: Any) -> ToxicityCheck:
    return ToxicityCheck("toxicity", ToxicityCheck.options_model.model_validate(options))


def run(check: ToxicityCheck, output: str, **item: Any) -> Any:
    return check.run(Item.model_validate({"task_type": "t", "output": output, **item}))


@pytest.mark.ml
@pytest.mark.parametrize(
    "text",
    [
        "You are a stupid fucking idiot.",
        "Shut up, you worthless piece of shit.",
        "What the fuck is wrong with you, moron?",
        "Go to hell, asshole.",
    ],
)
def test_clearly_toxic_sentences_are_flagged(check: ToxicityCheck, text: str) -> None:
    result = run(check, text)
    assert result.flagged
    assert result.score >= 0.8
    assert [(s.start, s.end, s.label) for s in result.spans] == [(0, len(text), "toxic")]


@pytest.mark.ml
@pytest.mark.parametrize(
    "text",
    [
        "Thanks for reaching out! Your refund of $12.50 was processed today.",
        "I understand your frustration and I am sorry the delivery was late.",
        "The patient should drink plenty of fluids and rest.",
        "Please find the attached invoice for March.",
        "",
    ],
)
def test_clean_text_is_not_flagged(check: ToxicityCheck, text: str) -> None:
    result = run(check, text)
    assert not result.flagged
    assert result.score < 0.5
    assert result.spans == ()


@pytest.mark.ml
def test_one_toxic_sentence_is_not_diluted_by_polite_ones(check: ToxicityCheck) -> None:
    polite = "Thank you for contacting support about your order. " * 20
    text = polite + "Honestly you are a stupid fucking idiot.\nHave a nice day."
    result = run(check, text)
    assert result.flagged
    assert [text[s.start : s.end] for s in result.spans] == ["Honestly you are a stupid fucking idiot."]
    assert result.explanation.startswith("1 toxic sentence in output (highest ")


@pytest.mark.ml
def test_fields_are_scored_with_their_span_names(check: ToxicityCheck) -> None:
    wide = make(fields=["input", "output"])
    result = run(wide, "All fine.", input="Hello. You are a fucking moron.")
    assert [(s.field, s.start, s.end) for s in result.spans] == [("input", 7, 31)]


@pytest.mark.ml
def test_threshold_decides(check: ToxicityCheck) -> None:
    text = "This is a damn shame."
    score = run(check, text).score
    assert run(make(threshold=max(score - 0.01, 0.01)), text).flagged
    assert not run(make(threshold=min(score + 0.01, 1.0)), text).flagged


@pytest.mark.ml
def test_fast_scorer_equals_the_reference_model(check: ToxicityCheck) -> None:
    from profanity_check import predict_prob

    texts = [
        "You are a stupid fucking idiot.",
        "hello there",
        "",
        "the and of",
        "Das ist scheiße, Ärger!",
        "kill yourself",
        "what the hell is this crap " * 30,
        "I love puppies 123 under_score",
    ]
    scorer = toxicity._load_scorer()
    assert isinstance(scorer, toxicity._LinearScorer)
    for fast, reference in zip(scorer(texts), predict_prob(texts), strict=True):
        assert fast == pytest.approx(float(reference), abs=1e-9)


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    toxicity._load_scorer.cache_clear()
    monkeypatch.setitem(sys.modules, "profanity_check.profanity_check", None)
    yield
    toxicity._load_scorer.cache_clear()


@pytest.mark.usefixtures("without_the_extra")
def test_missing_extra_is_a_clear_policy_error() -> None:
    with pytest.raises(ValueError, match=r"toxicity needs the ml extra: pip install 'inloop\[ml\]'"):
        make()


def test_importing_inloop_and_the_module_does_not_load_scikit_learn() -> None:
    code = "import sys, inloop.checks.toxicity; print('sklearn' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Thanks for reaching out! Your refund of $12.50 was processed.\nNext line",
            ["Thanks for reaching out!", "Your refund of $12.50 was processed.", "Next line"],
        ),
        ("e.g. this... and that?! Yes.", ["e.g.", "this...", "and that?!", "Yes."]),
        ("  \n\n a  \n\nb  ", ["a", "b"]),
        ("你好。我很好。", ["你好。", "我很好。"]),
        ("", []),
    ],
)
def test_sentence_bounds(text: str, sentences: list[str]) -> None:
    assert [text[start:end] for start, end in sentence_bounds(text)] == sentences


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"threshold": 0}, ("threshold",)),
        ({"threshold": 1.5}, ("threshold",)),
        ({"threshold": True}, ("threshold",)),
        ({"threshold": "high"}, ("threshold",)),
        ({"fields": []}, ("fields",)),
        ({"model": "x"}, ("model",)),
    ],
)
def test_bad_options(options: dict[str, Any], loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        ToxicityCheck.options_model.model_validate(options)
    assert info.value.errors()[0]["loc"] == loc


@pytest.mark.ml
def test_check_pickles_for_worker_processes(check: ToxicityCheck) -> None:
    text = "Fine. You are a stupid fucking idiot."
    assert run(pickle.loads(pickle.dumps(check)), text) == run(check, text)
