"""Prompt injection: attempts to take over the model, in what it reads, and their traces in what it wrote.

Three places are scanned, each for what can go wrong there:

* the **input** (every user and tool message of a chat; system, developer and assistant messages are the
  deployer's own and trusted): instruction override, role-play jailbreaks, system-prompt extraction, fake
  chat-role markers and encoded payloads;
* the **context** passages and **tool** results (retrieved data the model reads as if it were trusted): all
  of the above, plus instructions *planted* for the model ("AI assistant: you must...", "when summarising
  this page, tell the user...", "if you are a language model...");
* the **output**: system-prompt leakage ("my system prompt is", "I was instructed to", a long verbatim
  stretch of the system message) and the tell-tale replies of a jailbreak that worked.

It is a weighted signal scorer, not a classifier: each pattern that fires adds evidence (combined as
``1 - prod(1 - weight)``), so a strong signal flags alone and weak ones only together. Over-defense is the
common failure of injection detectors, so no single word is a signal: "ignore", "bypass" or "override"
count only with a target the model obeys (instructions, rules, its prompt), and less when they are not
addressed to the model ("my manager told me to ignore the old instructions") or are quoted.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import Field

from inloop.checks.base import Check, FieldName, Options
from inloop.checks.injection_rules import (
    AI_MENTION,
    CUE_AI_WORDS,
    CUE_DEFEAT_AFTER,
    CUE_DEFEAT_BEFORE,
    CUE_FOLLOW,
    CUE_GOVERNANCE,
    CUE_GOVERNANCE_WORD,
    CUE_IMPERATIVE_OPENERS,
    CUE_LOCATION,
    CUE_NEGATIONS,
    CUE_QUALIFIER,
    CUE_QUANTIFIER,
    CUE_REPORTED,
    CUE_REVEAL,
    CUE_SECRET_SOURCES,
    CUE_YOU,
    DATA_RULES,
    OUTPUT_RULES,
    PROMPT_RULES,
    Rule,
    RuleSet,
)
from inloop.checks.text import WORDS, Recurring, lower, word_starts
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item

_ALL_FIELDS: tuple[FieldName, ...] = ("input", "context", "output")
_LABEL_NAMES = {
    "override": "instruction override",
    "jailbreak": "jailbreak",
    "extraction": "system-prompt extraction",
    "role_marker": "fake role marker",
    "encoded": "encoded payload",
    "planted_instruction": "instruction planted for the model",
    "prompt_leak": "system-prompt leak",
}
_QUOTED_FACTOR = 0.4
"""A signal inside quotes is usually talked about, not meant ("translate 'ignore previous instructions'")."""
_INDIRECT_FACTOR = 0.4
"""An override not in an imperative position is usually reported speech ("he told me to ignore...")."""
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), " ")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_HIDDEN = tuple(map(chr, _INVISIBLE))
"""The invisible characters, looked for with ``in`` (a C search each, 7x faster than one class search)."""
_ODD = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "\uff01-\uff5e]")
"""Whether ``_normalise`` has anything to replace: a search is far cheaper than ``translate`` by dict."""
_COMMON_SINGLES = frozenset("aistdmx0123456789")
_SPACED = re.compile(r"\b(?:\w[ .\-_*]){3,}\w\b")
"""Letters spelled apart to dodge a filter: "i g n o r e", "i.g.n.o.r.e"."""
_VERBATIM_WORDS = 6
"""A stretch of this many words of a system message repeated in the output counts as a possible leak."""


class InjectionOptions(Options):
    """Options of the injection check."""

    fields: list[FieldName] = Field(default_factory=lambda: list(_ALL_FIELDS))
    """Where to look: the input's user and tool messages, the context passages, the output."""
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    """Flag at this score or above."""


@dataclass(frozen=True, slots=True)
class _Hit:
    field: str
    start: int
    end: int
    label: str
    weight: float
    key: str
    """The rule that fired: one rule counts once per text, however often it matches."""


class InjectionCheck(Check[InjectionOptions]):
    """Flags prompt injection in the input and context, and system-prompt leakage in the output."""

    kind = "injection"
    cost = 15
    default_on_flag = "escalate"
    options_model = InjectionOptions

    def run(self, item: Item) -> CheckResult:
        hits: list[_Hit] = []
        best = 0.0
        for field, text, rules in _texts(item, self.options.fields):
            if field == "output":
                lowered = lower(text)
                low = _unmask(lowered)
                vocabulary = set(WORDS.findall(low))
                # The leak test reads the words of the lower-cased text: the same unless _unmask changed it.
                plain = vocabulary if low is lowered else None
                found = [*_scan(field, text, rules, low=low, vocabulary=vocabulary)]
                found += _verbatim_leak(item, text, plain)
            else:
                found = _scan_recurring(field, text, rules)
            hits += found
            best = max(best, _combine(found))
        flagged = best >= self.options.threshold
        spans = sorted({Span(h.field, h.start, h.end, h.label) for h in hits}, key=_span_order)
        return self.result(
            score=best,
            flagged=flagged,
            severity=("high" if best >= 0.8 else "medium") if flagged else None,
            explanation=_explain(hits, best, flagged),
            spans=spans,
            details={"signals": sorted({f"{h.field}:{h.label}" for h in hits})},
        )


def _span_order(span: Span) -> tuple[str, int, int, str]:
    return (span.field, span.start, span.end, span.label)


def _texts(item: Item, fields: Sequence[FieldName]) -> Iterator[tuple[str, str, RuleSet]]:
    """The untrusted texts of ``item`` with the rules that apply to each."""
    for name in fields:
        if name == "input":
            if isinstance(item.input, str):
                yield "input", item.input, PROMPT_RULES
            elif item.input is not None:
                for i, message in enumerate(item.input):
                    if message.role == "user":
                        yield f"input[{i}]", message.content, PROMPT_RULES
                    elif message.role == "tool":
                        yield f"input[{i}]", message.content, DATA_RULES
        elif name == "context":
            for i, passage in enumerate(item.context):
                yield f"context[{i}]", passage, DATA_RULES
        else:
            yield "output", item.output, OUTPUT_RULES


_RECURRING: Recurring[tuple[int, str], tuple[_Hit, ...]] = Recurring(1024)
_RECURRING_CHARS = 4096


def _scan_recurring(field: str, text: str, rules: RuleSet) -> list[_Hit]:
    """:func:`_scan` of an input message or context passage, memoised by text (up to 4 KB): questions, tool
    results and retrieved passages recur across items (the same article answers many questions). The hits
    are kept without their field and relabelled."""
    if len(text) > _RECURRING_CHARS:
        return list(_scan(field, text, rules))
    key = (id(rules), text)
    found = _RECURRING.get(key)
    if found is None:
        found = _RECURRING.put(key, tuple(_scan("", text, rules)))
    return [_Hit(field, h.start, h.end, h.label, h.weight, h.key) for h in found]


def _combine(hits: Sequence[_Hit]) -> float:
    """Noisy-OR of the strongest weight of each rule that fired in one text."""
    strongest: dict[str, float] = {}
    for hit in hits:
        strongest[hit.key] = max(strongest.get(hit.key, 0.0), hit.weight)
    miss = 1.0
    for weight in strongest.values():
        miss *= 1.0 - weight
    return 1.0 - miss


def _scan(
    field: str,
    text: str,
    rules: RuleSet,
    depth: int = 0,
    *,
    low: str | None = None,
    vocabulary: set[str] | None = None,
) -> Iterator[_Hit]:
    """Every rule hit in ``text``, with discounts applied; also looks inside obfuscated and base64 text.

    A caller that has them passes ``low`` (``_normalise(text)``) and ``vocabulary`` (its set of ``WORDS``).
    """
    if low is None:
        low = _normalise(text)
    if vocabulary is None:
        vocabulary = set(WORDS.findall(low))
    starts: dict[str, list[int]] = {}
    personas: tuple[int, int] | None = None
    unrestricted = False
    for rule in rules.applicable(low, vocabulary):
        for m in _matches(rule, text, low, vocabulary, starts):
            weight = rule.weight
            if rule.imperative and not _imperative(low, m.start()):
                weight *= _INDIRECT_FACTOR
            if _quoted(low, m.start(), m.end()):
                weight *= _QUOTED_FACTOR
            if rule.label == "role_marker" and _discussed(low, m.end()):
                weight *= _QUOTED_FACTOR
            if weight == rule.weight:  # a quoted or reported persona is talked about, not adopted
                if rule.key == "persona" and personas is None:
                    personas = m.span()
                unrestricted |= rule.key == "unrestricted"
            yield _Hit(field, m.start(), m.end(), rule.label, weight, rule.key)
    if personas and unrestricted:
        # A persona with no rules ("pretend you are an AI without restrictions") is a jailbreak.
        yield _Hit(field, personas[0], personas[1], "jailbreak", 0.8, "persona+unrestricted")
    data = rules is DATA_RULES
    if (
        rules is not OUTPUT_RULES
        and not vocabulary.isdisjoint(CUE_GOVERNANCE)
        and (not data or not vocabulary.isdisjoint(CUE_AI_WORDS))
    ):
        yield from _cues(field, low, data=data)
    if depth == 0:
        yield from _deobfuscated(field, text, low, vocabulary, rules)
        if max(map(len, vocabulary), default=0) >= 20:  # base64 of any length has long runs of letters
            yield from _encoded(field, text, rules)


def _matches(
    rule: Rule, text: str, low: str, vocabulary: set[str], starts: dict[str, list[int]]
) -> Iterator[re.Match[str]]:
    """The matches of ``rule``: tried at its lead words when it has them, else searched for everywhere.

    ``starts`` keeps, for each lead word looked up so far, where it stands as a whole word in ``low``.
    """
    if not rule.leads:
        yield from rule.pattern.finditer(text if rule.case_sensitive else low)
        return
    positions: list[int] = []
    for word in rule.leads.intersection(vocabulary):
        found = starts.get(word)
        if found is None:
            found = starts[word] = word_starts(low, word)
        positions += found
    positions.sort()
    end = 0
    for pos in positions:
        if pos >= end and (m := rule.pattern.match(low, pos)):
            end = m.end()
            yield m


def _cues(field: str, low: str, *, data: bool) -> Iterator[_Hit]:
    """Phrasings no pattern foresaw, found by their parts: near a word for what governs the model (its
    instructions, rules, prompt), a word that defeats it ("set them aside", "no rules", "is wrong now")
    or one that asks for it ("copy the instructions at the top"), in a clause that addresses the model.

    In data (context, tool results) "you" is the reader, so only a clause naming an AI addresses the model.
    """
    about_ai = bool(AI_MENTION.search(low))
    for m in CUE_GOVERNANCE_WORD.finditer(low):
        clause_start = max(_last_boundary(low, m.start()), m.start() - 120)
        clause_end = _next_boundary(low, m.end(), m.end() + 120)
        clause = low[clause_start:clause_end]
        words = set(WORDS.findall(clause))
        addressed = not words.isdisjoint(CUE_AI_WORDS) or (
            not data and (not words.isdisjoint(CUE_YOU) or _starts_imperative(clause) or about_ai)
        )
        if not addressed:
            continue
        before = WORDS.findall(low[max(clause_start, m.start() - 50) : m.start()])[-5:]
        after = WORDS.findall(low[m.end() : min(clause_end, m.end() + 60)])[:7]
        weight = 0.0
        label = "override"
        # "doesn't have to follow any guidelines": a refusal to follow, not a word that defeats
        refused = not CUE_FOLLOW.isdisjoint(before) and not CUE_NEGATIONS.isdisjoint(before)
        if refused or not CUE_DEFEAT_BEFORE.isdisjoint(before) or not CUE_DEFEAT_AFTER.isdisjoint(after):
            weight = 0.55
            label = "jailbreak" if refused or not CUE_QUANTIFIER.isdisjoint(before[-2:]) else "override"
        elif (
            m.group() in CUE_SECRET_SOURCES
            and not CUE_REVEAL.isdisjoint(before)
            and (not CUE_QUALIFIER.isdisjoint(before) or not CUE_LOCATION.isdisjoint(after))
        ):
            weight, label = 0.55, "extraction"
        if weight:
            if not words.isdisjoint(CUE_REPORTED):
                weight *= _INDIRECT_FACTOR
            if _quoted(low, m.start(), m.end()):
                weight *= _QUOTED_FACTOR
            yield _Hit(field, m.start(), m.end(), label, weight, f"cue_{label}")


def _last_boundary(low: str, pos: int) -> int:
    return max(low.rfind(c, 0, pos) for c in ".!?;\n") + 1


def _next_boundary(low: str, pos: int, limit: int) -> int:
    found = [i for i in (low.find(c, pos, limit) for c in ".!?;\n") if i >= 0]
    return min(found, default=min(limit, len(low)))


def _starts_imperative(clause: str) -> bool:
    first = WORDS.search(clause)
    return first is not None and first.group() in CUE_IMPERATIVE_OPENERS


def _normalise(text: str) -> str:
    """Lower-case, with invisible characters as spaces and full-width letters as ASCII; same length."""
    return _unmask(lower(text))


def _unmask(low: str) -> str:
    """``low`` with invisible characters as spaces and full-width letters as ASCII; ``low`` itself when it
    has none."""
    if not low.isascii() and _ODD.search(low):
        return low.translate(_INVISIBLE).translate(_FULLWIDTH)
    return low


def _deobfuscated(field: str, text: str, low: str, vocabulary: set[str], rules: RuleSet) -> Iterator[_Hit]:
    """Scan again with invisible characters dropped and letters spelled apart joined up ("i g n o r e",
    "ig\u200bnore" -> "ignore"); spans are mapped back onto the original text."""
    singles = {w for w in vocabulary if len(w) == 1} - _COMMON_SINGLES
    spaced = list(_SPACED.finditer(low)) if len(singles) >= 3 else []
    hidden = not text.isascii() and _has_hidden(text)
    if not spaced and not hidden:
        return
    kept: list[int] = []
    pos = 0
    for m in spaced:
        kept.extend(range(pos, m.start()))
        kept.extend(i for i in range(m.start(), m.end()) if low[i].isalnum())
        pos = m.end()
    kept.extend(range(pos, len(low)))
    if hidden:
        kept = [i for i in kept if ord(text[i]) not in _INVISIBLE]
    joined = "".join(text[i] for i in kept)
    for hit in _scan(field, joined, rules, depth=1):
        yield _Hit(field, kept[hit.start], kept[hit.end - 1] + 1, hit.label, hit.weight, hit.key)


def _has_hidden(text: str) -> bool:
    """Whether ``text`` has an invisible character."""
    return any(char in text for char in _HIDDEN)


def _encoded(field: str, text: str, rules: RuleSet) -> Iterator[_Hit]:
    """Look inside long base64 blocks: an instruction hidden there is an instruction still."""
    for m in _BASE64.finditer(text):
        try:
            decoded = base64.b64decode(m.group() + "=" * (-len(m.group()) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if not decoded.isprintable() and not decoded.replace("\n", " ").isprintable():
            continue
        inner = list(_scan(field, decoded, rules, depth=1))
        strongest = max((h.weight for h in inner), default=0.0)
        # Decodable text is unusual in a prompt, and hidden instructions in it are meant to be missed.
        yield _Hit(field, m.start(), m.end(), "encoded", max(0.2, strongest), "encoded")


def _imperative(low: str, start: int) -> bool:
    """Whether the words before ``start`` make the match a command to the model, not reported speech."""
    return _IMPERATIVE_BEFORE.search(low, max(0, start - 40), start) is not None


_IMPERATIVE_BEFORE = re.compile(
    r"""(?x)(?:
        ^ | [.!?:;\n(\[{"'*>\-–—,…]
      | \b(?:please|kindly|now|just|so|and|then|also|first|simply|immediately|instead|ok|okay|actually|but)
      | \byou\s+(?:must|should|will|shall|need\s+to|have\s+to|are\s+to|can|may)
      | \byou(?:'re|\s+are)\s+(?:now\s+)?(?:allowed|free|permitted|able|authori[sz]ed)\s+to
      | \bi\s+(?:want|need|order|command|instruct|ask|urge)\s+you\s+to
      | \byou\s+are\s+(?:required|instructed|ordered|told)\s+to
      | \b(?:time|it'?s\s+time)\s+to | \bhave\s+to | \bmust
    )\s*$"""
)
"""What may stand right before an imperative verb: a sentence start, "please", "you must", "I want you to"."""


def _discussed(low: str, end: int) -> bool:
    """Whether a role marker ending at ``end`` is asked about ("what does the [INST] token mean?")."""
    rest = _SENTENCE_REST.match(low, end)
    return rest is not None and (rest.group().endswith("?") or bool(_ABOUT_MARKER.match(low, end)))


_SENTENCE_REST = re.compile(r"[^.!?\n]*[.!?]?")
_ABOUT_MARKER = re.compile(r"[`'\"]?\s*(?:token|tag|marker|template|format|syntax|delimiter)s?\b")


def _quoted(low: str, start: int, end: int) -> bool:
    """Whether ``low[start:end]`` sits in a short quotation: a phrase talked about, not a request.

    A long quoted stretch (a JSON string in a tool result, a quoted e-mail) is content and does not count.
    """
    line = low.rfind("\n", 0, start) + 1
    stop = low.find("\n", end)
    before = low[line:start]
    after = low[end : min(len(low) if stop < 0 else stop, end + 60)]
    for opener, closer in _QUOTE_PAIRS:
        if opener == closer:
            marks = _marks(before, opener)
            if len(marks) % 2 == 0:
                continue
            opened = marks[-1]
        else:
            opened = before.rfind(opener)
            if opened < before.rfind(closer):
                continue
        closing = _marks(after, closer)
        if closing and len(before) - opened + (end - start) + closing[0] <= _SHORT_QUOTE:
            return True
    return False


_SHORT_QUOTE = 50
"""A quotation up to this long is a phrase talked about; a longer one (a CSV cell) is content."""
_QUOTE_PAIRS = (('"', '"'), ("`", "`"), ("'", "'"), ("“", "”"), ("‘", "’"), ("«", "»"))


def _marks(text: str, quote: str) -> list[int]:
    """Positions of ``quote`` in ``text``, leaving out apostrophes inside words ("don't")."""
    out = []
    i = text.find(quote)
    while i >= 0:
        if not (quote in "'’" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()):
            out.append(i)
        i = text.find(quote, i + 1)
    return out


def _verbatim_leak(item: Item, output: str, output_words: set[str] | None = None) -> list[_Hit]:
    """A long stretch of a system message repeated in the output: the prompt itself, leaked.

    ``output_words`` is the set of ``WORDS`` of ``lower(output)`` when the caller has it."""
    systems = [m.content for m in item.input_messages() if m.role in ("system", "developer")]
    if not systems:
        return []
    grams: set[tuple[str, ...]] = set()
    vocabulary: set[str] = set()
    for system in systems:
        words = WORDS.findall(lower(system))
        vocabulary.update(words)
        grams.update(zip(*(words[i:] for i in range(_VERBATIM_WORDS)), strict=False))
    low = lower(output)
    common = vocabulary.intersection(WORDS.findall(low) if output_words is None else output_words)
    if len(common) < _VERBATIM_WORDS:
        return []
    tokens = [(m.group(), m.start(), m.end()) for m in WORDS.finditer(low)]
    words = [t[0] for t in tokens]
    shared = [g in grams for g in zip(*(words[i:] for i in range(_VERBATIM_WORDS)), strict=False)]
    hits = []
    i = 0
    while i < len(shared):
        if not shared[i]:
            i += 1
            continue
        first = i
        while i + 1 < len(shared) and shared[i + 1]:
            i += 1
        hits.append(_leak_hit(tokens, first, i + _VERBATIM_WORDS - 1))
        i += 1
    return hits


def _leak_hit(tokens: Sequence[tuple[str, int, int]], first: int, last: int) -> _Hit:
    words = last - first + 1
    # Six shared words may be an echo of what the assistant is for; a dozen is the prompt itself.
    weight = 0.85 if words >= 12 else 0.55 if words >= 9 else 0.3
    return _Hit("output", tokens[first][1], tokens[last][2], "prompt_leak", weight, f"verbatim{first}")


def _explain(hits: Sequence[_Hit], score: float, flagged: bool) -> str:
    if not hits:
        return "no injection signals"
    by_field: dict[str, list[str]] = {}
    for hit in sorted(hits, key=lambda h: -h.weight):
        names = by_field.setdefault(hit.field, [])
        name = _LABEL_NAMES.get(hit.label, hit.label)
        if name not in names:
            names.append(name)
    where = "; ".join(f"{', '.join(names)} in {field}" for field, names in by_field.items())
    verdict = "likely prompt injection" if flagged else "weak injection signals"
    return f"{verdict} (score {score:.2f}): {where}"
