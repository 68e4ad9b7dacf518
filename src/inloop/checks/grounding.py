"""Grounding: is what the output states supported by the context passages it was given?

A lexical judge, deliberately: it needs no model and judges a 1 KB answer over 3 KB of sources in about a
millisecond of pure Python, so it can sit in front of every RAG answer. It does two things a reviewer
cannot do quickly by eye:

* every number, amount, percentage, date and time in the output is looked up in the context after
  normalisation (``$1,200`` = ``1,200.00 USD``; ``15%`` = ``15 percent``; ``March 3, 2024`` = ``2024-03-03``).
  A figure the sources never state is the most common and most costly hallucination in practice;
* every factual sentence is matched against windows of consecutive context sentences, and is supported when
  one window holds enough of its content words (lower-cased, stemmed, stop words dropped, common synonyms
  merged). Weighing content words and ignoring function words lets faithful paraphrases through. A negation
  that no matching source sentence shares ("refunds are not available" over a source granting them) makes
  the sentence unsupported.

Greetings, hedges, questions and "the document does not say" sentences are not claims and do not count. The
score is the supported share of the factual sentences. Lexical overlap cannot see a swapped subject or a
reversed causal claim: a claim-level model belongs in a costlier check later in the cascade.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import NamedTuple

from pydantic import Field

from inloop.checks.base import Check, Options
from inloop.checks.text import (
    LIGHT,
    STOPWORDS,
    SYNONYM_PREFIXES,
    TERMS,
    WORDS,
    Mention,
    Recurring,
    content_words,
    lower,
    numbers,
    sentences,
    term,
    terms_of,
    word_set,
)
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item

_NON_CLAIM = re.compile(
    r"""(?x)\W*(?:
        hi|hello|hey|dear|greetings|good\ (?:morning|afternoon|evening)
      | thanks?|thank\ you|many\ thanks|you'?re\ welcome|my\ pleasure
      | sure|certainly|of\ course|absolutely|okay|ok|great\ question|good\ question
      | i\ hope|hope\ (?:this|that)|let\ (?:me|us)\ know|please\ let|feel\ free|(?:do\ not|don'?t)\ hesitate
      | happy\ to|glad\ to|i'?d\ be\ happy|i\ would\ be\ happy|is\ there\ anything|if\ you\ (?:have|need)
      | best|kind\ regards|regards|cheers|sincerely|warm(?:ly|\ regards)|have\ a\ (?:great|nice|good|lovely)
      | sorry|i'?m\ sorry|i\ am\ sorry|apologies|i\ apologi[sz]e|i\ understand|i\ see|good\ luck
      | here\ (?:is|are)|here'?s
    )\b"""
)
"""Openers of greetings, thanks and sign-offs: short sentences starting so are courtesy, not claims."""
_ABSTAIN = re.compile(
    r"""(?x)
        \b(?:does|do|did)(?:\ not|n'?t)\ (?:mention|say|specify|state|provide|include|contain|cover|address)
      | \bnot\ (?:mentioned|specified|stated|provided|included|covered|addressed|given|available)\ in\b
      | \b(?:no|any)\ information\ (?:about|on|regarding)\b
      | \bi\ (?:do\ not|don'?t|cannot|can'?t)\ (?:know|find|tell|determine|answer)\b
      | \b(?:unable|not\ able)\ to\ (?:find|determine|answer|confirm)\b
    """
)
"""Abstentions ("the document does not mention...") say what the sources lack; they assert nothing."""
_ABSTAIN_WORDS = word_set("not t no any unable able")
_NEGATING = word_set("not never none nobody cannot neither nor t")
"""Words that negate an output sentence (``t`` is the tail of ``n't``); "no" is judged by ``_NO``."""
_NO = re.compile(r"\bno\b(?!\s+(?:extra\s+|additional\s+)?(?:charge|cost|fee)s?\b)")
"""A "no" that negates; "at no charge" says "free", which sources state without a negation."""
_NEGATIVE = _NEGATING | word_set(
    """no nothing without only except free unless non prohibit prohibited prohibits forbid forbidden
    exclude excluded excludes excluding lack lacks lacked refuse refused refuses deny denied forfeit
    forfeited fail fails failed avoid invalid ineligible unable unavailable unauthorised
    unauthorized unacceptable unlawful"""
)
"""Words by which a source may state a negation: broader than ``_NEGATING`` ("excluded", "free")."""
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_CLAIM_FLOOR = 2
"""Fewer content words than this and a sentence is not a claim ("Sure thing!"), unless it has a number."""
_WINDOW = 4
_STRIDE = 2
"""An output sentence may draw on a window of 4 consecutive context sentences; windows start every other
sentence, so any 3 consecutive sentences share a window (tuned on the labelled set: 3 to 5 tie)."""
_WEIGHT = 10
_LIGHT_WEIGHT = 3
_NUMBER_WEIGHT = 20
"""Weights in tenths of a content word (a light term 0.3, a number 2): a number is the part of a claim most
worth getting right, so it weighs as two content words. Whole numbers add up exactly in any order, so the
support of a sentence does not depend on the order in which a set yields its terms."""


class GroundingOptions(Options):
    """Options of the grounding check."""

    min_support: float = Field(default=0.8, ge=0.0, le=1.0)
    """Flag when the supported share of factual sentences is below this. At 0.8 an answer of up to four
    claims is flagged for any unsupported one: half-invented two-sentence answers are common."""
    flag_numbers: bool = True
    """Flag any number, amount, date or time the context does not state, whatever the share."""
    sentence_overlap: float = Field(default=0.6, gt=0.0, le=1.0)
    """Share of a sentence's content weight that one context window must hold for it to be supported."""
    numbers_from_input: bool = True
    """Also accept numbers stated in the input's user and tool messages: echoing them is not invention."""


class GroundingCheck(Check[GroundingOptions]):
    """Flags output sentences and numbers that no context passage supports."""

    kind = "grounding"
    cost = 20
    default_on_flag = "queue"
    options_model = GroundingOptions

    def run(self, item: Item) -> CheckResult:
        passages = [p for p in item.context if p.strip()]
        if not passages:
            return self.result(
                score=1.0,
                flagged=False,
                judged=False,
                explanation="no context passages; grounding not judged",
            )
        opts = self.options
        given: set[str] = set()
        if opts.numbers_from_input:
            for message in item.input_messages():
                if message.role in ("user", "tool"):
                    given |= _stated(message.content)
        claims, mentions = _read_output(item.output, given)
        source = _Source(passages, _prefixes(claims))
        source.number_keys |= given
        bad_numbers = [m for m in mentions if not source.states(m)]
        spans = [Span("output", m.start, m.end, "unsupported_number") for m in bad_numbers]
        factual = supported = 0
        for claim in claims:
            if claim.terms is None:
                continue
            factual += 1
            share, window = source.support(claim.terms)
            # A negation the matching source sentence lacks flips the claim ("refunds are not available"
            # over a source granting them); the reverse is too often a paraphrase ("free" for "no fee").
            if share >= opts.sentence_overlap and not (
                window is not None and claim.negated and not source.denies(claim.terms, window)
            ):
                supported += 1
            else:
                spans.append(Span("output", claim.start, claim.end, "unsupported_sentence"))
        score = supported / factual if factual else 1.0
        flagged = score < opts.min_support or (opts.flag_numbers and bool(bad_numbers))
        spans.sort(key=lambda s: (s.start, s.end))
        return self.result(
            score=score,
            flagged=flagged,
            severity="high" if score < opts.min_support and bad_numbers else None,
            explanation=_explain(factual, supported, bad_numbers),
            spans=spans,
            details={
                "factual_sentences": factual,
                "supported_sentences": supported,
                "unsupported_numbers": [m.text for m in bad_numbers],
            },
        )


def _stated(text: str) -> frozenset[str]:
    """The keys of the numbers in an input message, memoised like :func:`_passage` (questions recur)."""
    found = _STATED.get(text)
    if found is None:
        found = frozenset().union(*(m.keys for m in numbers(text)))
        if len(text) <= _PASSAGE_CHARS:
            _STATED.put(text, found)
    return found


def _explain(factual: int, supported: int, bad: Sequence[Mention]) -> str:
    if factual:
        head = f"{supported} of {factual} factual sentences supported by the context"
    else:
        head = "no factual sentences to check"
    if bad:
        shown = ", ".join(repr(m.text) for m in bad[:5]) + (", ..." if len(bad) > 5 else "")
        head += f"; not in any passage: {shown}"
    return head


class _Claim:
    """One output sentence: its span, its weighted terms (None when it is not a claim), its polarity."""

    __slots__ = ("end", "negated", "start", "terms", "words")

    def __init__(self, start: int, end: int, words: set[str]) -> None:
        self.start = start
        self.end = end
        self.words = words
        self.terms: dict[str, int] | None = None
        self.negated = False


def _read_output(output: str, given: set[str]) -> tuple[list[_Claim], list[Mention]]:
    """The output's sentences with their terms, and the numbers in it worth checking.

    A number the user gave (``given``) is checked like any other, but does not count toward a sentence's
    support: echoing the question is neither evidence for nor against the rest of the claim.
    """
    low = lower(output)
    claims: list[_Claim] = []
    contents: list[set[str]] = []
    vocabulary: set[str] = set()
    for start, end in sentences(output):
        words, content = content_words(low[start:end])
        vocabulary |= words
        claims.append(_Claim(start, end, words))
        contents.append(content)
    mentions = [
        m
        for m in numbers(output, low=low, vocabulary=vocabulary)
        if not (m.need == {"1"} and m.text[0].isalpha())  # "one" is a pronoun more than a count
    ]
    for claim, content, claimed in zip(claims, contents, _by_sentence(claims, mentions), strict=True):
        sentence = low[claim.start : claim.end]
        own = [m for m in claimed if m.need.isdisjoint(given)]
        claim.terms = _claim_terms(sentence, claim.words, content, own)
        claim.negated = not claim.words.isdisjoint(_NEGATING) or (
            "no" in claim.words and bool(_NO.search(sentence))
        )
    return claims, mentions


def _by_sentence(claims: Sequence[_Claim], mentions: list[Mention]) -> list[list[Mention]]:
    """``mentions`` (in text order) grouped by the sentence they start in."""
    out: list[list[Mention]] = [[] for _ in claims]
    i = 0
    for m in mentions:
        while i < len(claims) - 1 and m.start >= claims[i].end:
            i += 1
        out[i].append(m)
    return out


def _claim_terms(
    low: str, words: set[str], content: set[str], mentions: list[Mention]
) -> dict[str, int] | None:
    """The weighted terms of a factual sentence, or None when the sentence is not a claim."""
    if low.rstrip().endswith(("?", ":")):
        return None
    terms = dict.fromkeys(terms_of(content), _WEIGHT)
    for light in LIGHT.intersection(terms):
        terms[light] = _LIGHT_WEIGHT
    if not mentions and (
        len(terms) < _CLAIM_FLOOR
        or (len(terms) <= 6 and _NON_CLAIM.match(low))
        or (not words.isdisjoint(_ABSTAIN_WORDS) and _ABSTAIN.search(low))
    ):
        return None
    for mention in mentions:
        terms["#" + "|".join(sorted(mention.need))] = _NUMBER_WEIGHT
    return terms


def _prefixes(claims: Sequence[_Claim]) -> set[str]:
    """The first three letters of every word a claim could be matched on, synonyms included.

    A context word that shares none cannot support any claim, so it is not indexed: stems keep a word's
    first three letters, which makes this a safe and large saving.
    """
    words: set[str] = set()
    terms: set[str] = set()
    for claim in claims:
        if claim.terms is not None:
            words |= claim.words
            terms.update(claim.terms)
    out = {w[:3] for w in words}
    for synonym in SYNONYM_PREFIXES.keys() & terms:
        out |= SYNONYM_PREFIXES[synonym]
    return out


def _has_un_word(words: set[str]) -> bool:
    """Whether ``words`` has a negating "un-" word ("unused", "unpaid"), as sources often negate so."""
    return any(w.startswith("un") and len(w) > 5 and w[:5] not in _UN_WORDS for w in words)


_UN_WORDS = word_set("under until unite union unive uniqu unifo unila unloc")
"""Prefixes of common words that start with "un" but do not negate (under, until, united, university)."""


class _Passage(NamedTuple):
    """What the index needs from one passage, whatever the output: for each sentence its candidate content
    words (as ``(first three letters, term)``) and whether it states a negation; each number's keys and the
    sentence it stands in. Tuples of strings all the way down, which the garbage collector stops tracking."""

    words: tuple[tuple[tuple[str, str], ...], ...]
    negative: tuple[bool, ...]
    mentions: tuple[tuple[int, tuple[str, ...]], ...]


def _read_passage(passage: str) -> _Passage:
    low = lower(passage)
    spans = sentences(passage)
    words_of: list[tuple[tuple[str, str], ...]] = []
    negative: list[bool] = []
    vocabulary: set[str] = set()
    get = TERMS.get
    for a, b in spans:
        words = set(WORDS.findall(low, a, b))
        vocabulary |= words
        words_of.append(tuple((w[:3], get(w) or term(w)) for w in words - STOPWORDS if w[0] > "9"))
        negative.append(
            not words.isdisjoint(_NEGATIVE) or (low.find("un", a, b) >= 0 and _has_un_word(words))
        )
    mentions: list[tuple[int, tuple[str, ...]]] = []
    i = 0
    for mention in numbers(passage, low=low, vocabulary=vocabulary):
        while i < len(spans) - 1 and mention.start >= spans[i][1]:
            i += 1
        mentions.append((i, tuple(mention.keys)))
    return _Passage(tuple(words_of), tuple(negative), tuple(mentions))


_PASSAGES: Recurring[str, _Passage] = Recurring(1024)
_STATED: Recurring[str, frozenset[str]] = Recurring(1024)
_PASSAGE_CHARS = 4096


def _passage(text: str) -> _Passage:
    """:func:`_read_passage`, memoised (for texts up to 4 KB): retrieved passages recur across items (the
    same help-centre article answers many questions), and reading one is most of the cost of indexing the
    context."""
    found = _PASSAGES.get(text)
    if found is None:
        found = _read_passage(text)
        if len(text) <= _PASSAGE_CHARS:
            _PASSAGES.put(text, found)
    return found


class _Source:
    """The context of one item, indexed: which sentences hold which terms, and windows over them.

    Windows run across passage boundaries: retrieved passages are often neighbours, and an answer may join
    the end of one to the start of the next.
    """

    def __init__(self, passages: Sequence[str], wanted: set[str]) -> None:
        self.postings: dict[str, set[int]] = {}
        """For each term (``#key`` for a number), the windows that hold it."""
        self.number_keys: set[str] = set()
        read = [_passage(p) for p in passages]
        units = sum(len(r.words) for r in read)
        # Window k holds sentences [k * _STRIDE, k * _STRIDE + _WINDOW); the last one may be shorter.
        count = max(1, -(-(units - _WINDOW) // _STRIDE) + 1)
        self.windows = [
            range(max(0, -(-(i - _WINDOW + 1) // _STRIDE)), min(i // _STRIDE, count - 1) + 1)
            for i in range(units)
        ]
        """For each context sentence, the windows that hold it."""
        self.negative: list[bool] = []
        """For each context sentence, whether it states a negation."""
        self.terms: list[set[str]] = []
        """For each context sentence, its terms."""
        postings = self.postings
        sid = 0
        for passage in read:
            first = sid
            for words in passage.words:
                windows = self.windows[sid]
                # Only words that could support a claim are indexed (see _prefixes).
                terms = {found for prefix, found in words if prefix in wanted}
                for found in terms:
                    if found in postings:
                        postings[found].update(windows)
                    else:
                        postings[found] = set(windows)
                self.terms.append(terms)
                sid += 1
            self.negative.extend(passage.negative)
            for i, keys in passage.mentions:
                self.number_keys.update(keys)
                for key in keys:
                    postings.setdefault("#" + key, set()).update(self.windows[first + i])
        self.values = [Decimal(k) for k in self.number_keys if _DECIMAL.fullmatch(k)]

    def denies(self, terms: dict[str, int], window: int) -> bool:
        """Whether a sentence of ``window`` that shares two or more of ``terms`` states a negation."""
        return any(
            self.negative[sid] and len(self.terms[sid].intersection(terms)) >= 2
            for sid, windows in enumerate(self.windows)
            if window in windows
        )

    def states(self, mention: Mention) -> bool:
        """Whether some passage states the value of ``mention``."""
        if not mention.need.isdisjoint(self.number_keys):
            return True
        if not mention.approx:
            return False
        # "1.2 million" for a source's 1,234,567: accept a value within the rounding a writer would use.
        tolerance = abs(mention.approx) * Decimal("0.05")
        return any(abs(v - mention.approx) <= tolerance for v in self.values)

    def support(self, terms: dict[str, int]) -> tuple[float, int | None]:
        """The largest share of ``terms``' weight that one window holds, and that window (the first of
        those that hold as much)."""
        total = 0
        hits: dict[int, int] = {}
        postings = self.postings
        for key, weight in terms.items():
            total += weight
            windows: AbstractSet[int]
            if key[0] == "#":
                windows = set()
                for value in key[1:].split("|"):
                    windows |= postings.get("#" + value, _NONE)
            else:
                windows = postings.get(key, _NONE)
            for w in windows:
                hits[w] = hits.get(w, 0) + weight
        if not hits:
            return (0.0 if total else 1.0), None
        most = max(hits.values())
        best = min(w for w, weight in hits.items() if weight == most)
        return most / total, best


_NONE: frozenset[int] = frozenset()
