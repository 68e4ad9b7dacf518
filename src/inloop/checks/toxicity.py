"""Offensive language, scored by a trained classifier (``alt-profanity-check``: TF-IDF and a linear SVM fitted
on about 200,000 human-labelled comments), not a word list.

The classifier is a bag of words, so one abusive sentence is diluted in a long, polite text. Each sentence is
therefore scored on its own (all of an item's sentences in one batch), the item's score is the highest, and
every sentence at or above the threshold becomes a ``toxic`` span a reviewer can see.

The model lives in the ``ml`` extra and pulls in scikit-learn, so it is imported when the first toxicity check
is built, never when inloop is imported.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from pydantic import Field

from inloop.checks.base import Check, FieldName, Options, field_texts
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item

Scorer = Callable[[Sequence[str]], list[float]]

# A sentence: from a non-space character to a run of terminal punctuation followed by whitespace (a CJK full
# stop needs none), to the end of its line, or to the end of the text. Good enough to keep one sentence from
# diluting another; possessive quantifiers keep it linear.
_SENTENCE = re.compile(r"\S[^.!?…。！？\n]*+(?:[.!?…]++(?=\S)[^.!?…。！？\n]*+)*+(?:[.!?…]++|[。！？]++)?")


class ToxicityOptions(Options):
    """``threshold``: the classifier probability at or above which a sentence counts as toxic."""

    threshold: float = Field(default=0.8, gt=0.0, le=1.0, strict=True)
    fields: tuple[FieldName, ...] = Field(default=("output",), min_length=1)


class ToxicityCheck(Check[ToxicityOptions]):
    """Flags an item when any sentence of its fields scores at or above ``threshold``."""

    kind = "toxicity"
    cost = 50
    default_on_flag = "queue"
    options_model = ToxicityOptions

    def __init__(self, name: str, options: ToxicityOptions) -> None:
        super().__init__(name, options)
        _load_scorer()  # fail now, as a policy error, if the extra is missing; cached for run()

    def run(self, item: Item) -> CheckResult:
        sentences = [
            (field, start, end, text[start:end])
            for field, text in field_texts(item, self.options.fields)
            for start, end in sentence_bounds(text)
        ]
        if not sentences:
            return self.result(score=0.0, flagged=False, explanation="no text to score")
        scores = _load_scorer()([sentence for _, _, _, sentence in sentences])
        threshold = self.options.threshold
        spans = [
            Span(field, start, end, "toxic")
            for (field, start, end, _), score in zip(sentences, scores, strict=True)
            if score >= threshold
        ]
        top = max(scores)
        if not spans:
            return self.result(score=top, flagged=False, explanation=f"no toxic sentence (highest {top:.2f})")
        fields = ", ".join(dict.fromkeys(span.field for span in spans))
        noun = "sentence" if len(spans) == 1 else "sentences"
        return self.result(
            score=top,
            flagged=True,
            explanation=f"{len(spans)} toxic {noun} in {fields} (highest {top:.2f}, threshold {threshold:g})",
            spans=spans,
        )


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text``, trailing whitespace excluded."""
    bounds = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        bounds.append((start, end))
    return bounds


@cache
def _load_scorer() -> Scorer:
    """Import the classifier once per process; a missing extra is a policy error, not a traceback."""
    hint = "toxicity needs the ml extra: pip install 'inloop[ml]'"
    try:
        exceptions = importlib.import_module("sklearn.exceptions")
    except ImportError:
        raise ValueError(hint) from None
    with warnings.catch_warnings():
        # The wheel's pickled model may come from another scikit-learn version; it still loads and predicts.
        inconsistent = getattr(exceptions, "InconsistentVersionWarning", None)
        if inconsistent is not None:
            warnings.simplefilter("ignore", inconsistent)
        try:
            module: Any = importlib.import_module("profanity_check.profanity_check")
        except ImportError:
            raise ValueError(hint) from None
    predict_prob = module.predict_prob

    def reference(texts: Sequence[str]) -> list[float]:
        return [float(p) for p in predict_prob(list(texts))]

    fast = _LinearScorer.extract(module.vectorizer, module.model)
    if fast is None:
        return reference
    expected = reference(_PROBES)
    if all(abs(a - b) < 1e-6 for a, b in zip(fast(_PROBES), expected, strict=True)):
        return fast
    return reference  # pragma: no cover - a model whose shape we misread; the reference is always right


_PROBES = (
    "Thanks for your patience, the refund was processed today.",
    "You are a stupid idiot and I hate you.",
    "shit",
    "",
    "Ünïcödé and digits 12345 and under_scores",
)


class _LinearScorer:
    """The shipped model (TF-IDF, then sigmoid-calibrated linear SVMs averaged) evaluated directly.

    Same numbers as ``predict_prob`` (checked on probe sentences at load, else ``predict_prob`` is used),
    without scikit-learn's per-call validation: about 13 ms per call there, well under a millisecond here.
    """

    def __init__(self, tokens: re.Pattern[str], vocabulary: dict[str, int], idf: Any, model: Any) -> None:
        self._tokens = tokens
        self._vocabulary = vocabulary  # token -> column
        self._idf = idf  # (columns,)
        self._weights = model[0]  # (columns, models): one linear SVM per column of this matrix
        self._intercepts, self._a, self._b = model[1:]  # (models,) each

    @classmethod
    def extract(cls, vectorizer: Any, model: Any) -> _LinearScorer | None:
        """Read the weights out of the fitted objects, or None when they are not the shape this code knows."""
        try:
            np = importlib.import_module("numpy")
            params = vectorizer.get_params()
            expected = {
                "analyzer": "word",
                "binary": False,
                "lowercase": True,
                "ngram_range": (1, 1),
                "norm": "l2",
                "preprocessor": None,
                "strip_accents": None,
                "sublinear_tf": False,
                "tokenizer": None,
                "use_idf": True,
            }
            if any(params.get(key) != value for key, value in expected.items()):
                return None
            parts = model.calibrated_classifiers_
            for part in parts:
                if part.method != "sigmoid" or len(part.calibrators) != 1 or list(part.classes) != [0, 1]:
                    return None
                if part.estimator.coef_.shape != (1, len(vectorizer.idf_)):
                    return None
            weights = np.stack([part.estimator.coef_[0] for part in parts], axis=1).astype(np.float64)
            intercepts = np.array([float(part.estimator.intercept_[0]) for part in parts])
            a = np.array([float(part.calibrators[0].a_) for part in parts])
            b = np.array([float(part.calibrators[0].b_) for part in parts])
            vocabulary = {str(token): int(col) for token, col in vectorizer.vocabulary_.items()}
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            pattern = re.compile(params["token_pattern"])
            return cls(pattern, vocabulary, idf, (weights, intercepts, a, b))
        except (AttributeError, KeyError, TypeError, ValueError, ImportError):  # pragma: no cover
            return None  # another model layout: the caller falls back to predict_prob

    def __call__(self, texts: Sequence[str]) -> list[float]:
        np: Any = importlib.import_module("numpy")  # loaded already; not kept, so the scorer pickles
        rows: list[int] = []
        columns: list[int] = []
        counts: list[int] = []
        vocabulary = self._vocabulary
        for row, text in enumerate(texts):
            seen: dict[int, int] = {}
            for token in self._tokens.findall(text.lower()):
                column = vocabulary.get(token)
                if column is not None:
                    seen[column] = seen.get(column, 0) + 1
            rows.extend([row] * len(seen))
            columns.extend(seen)
            counts.extend(seen.values())
        size = len(texts)
        at = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(columns, dtype=np.intp)
        values = np.asarray(counts, dtype=np.float64) * self._idf[cols]
        norms = np.sqrt(np.bincount(at, weights=values * values, minlength=size))
        scaled = values / norms[at]  # l2-normalised TF-IDF, as the vectorizer does
        weighted = self._weights[cols] * scaled[:, None]
        models = range(weighted.shape[1])
        dots = np.stack([np.bincount(at, weights=weighted[:, i], minlength=size) for i in models], axis=1)
        z = np.clip(self._a * (dots + self._intercepts) + self._b, -700.0, 700.0)
        probabilities = (1.0 / (1.0 + np.exp(z))).mean(axis=1)
        return [float(p) for p in probabilities]
