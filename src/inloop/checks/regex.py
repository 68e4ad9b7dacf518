"""Named regular expressions that must not appear (an order id, an internal URL) or must (a disclaimer).

Patterns are named (``patterns: {order_id: "ORD-\\\\d{6}"}``) so spans and explanations tell a reviewer which
rule fired, not a wall of regex.

Python's ``re`` has no timeout, and a policy author can write a pattern that backtracks for minutes on a
crafted text, stalling every item behind it. Three guards, none a proof:

- a pattern longer than 1,000 characters is refused;
- a pattern with a nested quantifier whose repeated body has no fixed part to anchor each repetition
  (``(a+)+``, ``(\\w+\\s?)*``, the classic catastrophic shapes) is refused, with the fix in the message: a
  possessive quantifier (``(?:\\w+\\s?)++``) or an atomic group (``(?>...)``), both in Python >= 3.11;
- only the first ``max_scan_chars`` characters of each field are scanned (100,000 by default), and the result
  says when a text was cut.

Not detected: overlapping alternatives (``(a|aa)+``), overlapping required parts (``(x+x+)+``, ``(.+,)+``),
and anything inside an atomic group or a possessive repeat, which is taken as the author's deliberate fix.
"""

from __future__ import annotations

import importlib
import re
import warnings
from typing import Any, Literal

from pydantic import Field, field_validator

from inloop.checks.base import Check, FieldName, Options, field_texts
from inloop.domain.findings import CheckResult, Span
from inloop.domain.item import Item

MAX_PATTERN_CHARS = 1000
_MAX_SPANS = 100
"""Spans kept per result; counts in ``details`` stay exact. Bounds the size of a routing record."""


class RegexOptions(Options):
    """``patterns`` maps a name to a pattern; ``mode`` says whether a match or its absence is the problem."""

    patterns: dict[str, str] = Field(min_length=1)
    mode: Literal["flag_if_match", "flag_if_missing"] = "flag_if_match"
    fields: tuple[FieldName, ...] = Field(default=("output",), min_length=1)
    ignore_case: bool = False
    max_scan_chars: int = Field(default=100_000, ge=1, strict=True)

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        for name, pattern in patterns.items():
            if not name.strip():
                raise ValueError("a pattern has an empty name")
            problem = pattern_problem(pattern)
            if problem:
                raise ValueError(f"pattern {name!r} ({pattern!r}) {problem}")
        return patterns


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None when it compiles and passes the backtracking guards."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"is longer than {MAX_PATTERN_CHARS} characters"
    with warnings.catch_warnings():
        # "Possible nested set" and friends: the pattern's meaning would change in a future Python.
        warnings.simplefilter("error")
        try:
            re.compile(pattern)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            return f"is not a valid regular expression: {exc.msg}{where}"
        except Warning as exc:
            return f"is ambiguous: {exc}"
    if _has_nested_quantifier(pattern):
        return (
            "has a nested quantifier that can backtrack catastrophically (like '(a+)+'); "
            "make the outer one possessive ('(?:...)++') or use an atomic group '(?>...)'"
        )
    return None


class RegexCheck(Check[RegexOptions]):
    """Flags texts that match (or, in ``flag_if_missing`` mode, lack) the named patterns."""

    kind = "regex"
    cost = 8
    options_model = RegexOptions

    def __init__(self, name: str, options: RegexOptions) -> None:
        super().__init__(name, options)
        flags = re.IGNORECASE if options.ignore_case else 0
        self._patterns = [(key, re.compile(p, flags)) for key, p in options.patterns.items()]
        self._required = {key: required_text(p, flags) for key, p in options.patterns.items()}

    def run(self, item: Item) -> CheckResult:
        limit = self.options.max_scan_chars
        texts = [
            (field, text[:limit], len(text) > limit) for field, text in field_texts(item, self.options.fields)
        ]
        cut = [field for field, _, was_cut in texts if was_cut]
        note = f" (scanned only the first {limit} characters of {', '.join(cut)})" if cut else ""
        if self.options.mode == "flag_if_missing":
            return self._missing(texts, note)
        spans: list[Span] = []
        counts: dict[str, int] = {}
        where: list[str] = []
        required = self._required
        for field, text, _ in texts:
            found: list[Span] = []
            for key, compiled in self._patterns:
                if not _may_match(required[key], text):
                    continue
                for match in compiled.finditer(text):
                    if match.end() == match.start():
                        continue  # an empty match points at nothing
                    counts[key] = counts.get(key, 0) + 1
                    found.append(Span(field, match.start(), match.end(), f"regex:{key}"))
            if found:
                where.append(field)
                spans.extend(sorted(found, key=lambda span: span.start)[: _MAX_SPANS - len(spans)])
        if not counts:
            return self.result(score=0.0, flagged=False, explanation=f"no pattern matched{note}")
        names = ", ".join(f"{key!r} ({n})" if n > 1 else repr(key) for key, n in counts.items())
        noun = "pattern" if len(counts) == 1 else "patterns"
        return self.result(
            score=1.0,
            flagged=True,
            explanation=f"matched {noun} {names} in {', '.join(where)}{note}",
            spans=spans,
            details={"matches": counts},
        )

    def _missing(self, texts: list[tuple[str, str, bool]], note: str) -> CheckResult:
        """Each pattern must be found somewhere in the named fields."""
        missing = [
            key
            for key, compiled in self._patterns
            if not any(_may_match(self._required[key], t) and compiled.search(t) for _, t, _ in texts)
        ]
        fields = ", ".join(self.options.fields)
        if not missing:
            return self.result(score=0.0, flagged=False, explanation=f"every required pattern found{note}")
        noun = "pattern" if len(missing) == 1 else "patterns"
        names = ", ".join(repr(key) for key in missing)
        return self.result(
            score=len(missing) / len(self._patterns),
            flagged=True,
            explanation=f"required {noun} {names} missing from {fields}{note}",
            details={"missing": missing},
        )


def _may_match(required: str | None, text: str) -> bool:
    return required is None or required in text


def required_text(pattern: str, flags: int = 0) -> str | None:
    """The longest run of literal characters that every match of ``pattern`` contains, or None.

    A text without it cannot match, and ``str.__contains__`` finds that out far faster than ``re``, which
    tries a pattern opening with ``\\b`` or a group at every character. Only the pattern's top level is
    read (its literals in a row are consumed in a row); under ``IGNORECASE`` only characters without case
    count. Uses the stdlib's private parser, like :func:`_has_nested_quantifier`; None if that fails.
    """
    try:
        constants: Any = importlib.import_module("re._constants")
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(pattern, flags)
        caseless = bool((flags | tree.state.flags) & re.IGNORECASE)
    except Exception:  # pragma: no cover - a future Python whose private parser differs
        return None
    best = run = ""
    for op, av in tree:
        char = chr(av) if op == constants.LITERAL else ""
        if char and (not caseless or (char.isascii() and not char.isalpha())):
            run += char
            continue
        best = max(best, run, key=len)
        run = ""
    best = max(best, run, key=len)
    return best or None


def _has_nested_quantifier(pattern: str) -> bool:
    """True when a repeat's body holds an unbounded repeat and nothing fixed that marks each repetition.

    ``(a+)+`` can split a run of ``a`` across repetitions in exponentially many ways, which ``re`` tries one
    by one when the rest of the pattern fails. A body with a fixed part (``(\\w+\\.)+``, ``(,\\s*)+``) or
    two required parts (``(\\s+\\w+)*``) is taken as safe: each repetition is marked by what it must consume.
    Uses the stdlib's private parser; if that ever changes, the guard is skipped rather than refusing
    policies.
    """
    try:
        constants: Any = importlib.import_module("re._constants")
        parser: Any = importlib.import_module("re._parser")
        return _Guard(constants).dangerous(parser.parse(pattern))
    except Exception:  # pragma: no cover - a future Python whose private parser differs
        return False


class _Guard:
    """A walk over a ``re._parser`` tree, holding the stdlib's opcode constants."""

    def __init__(self, c: Any) -> None:
        self.greedy = (c.MAX_REPEAT, c.MIN_REPEAT)
        self.c = c

    def dangerous(self, seq: Any) -> bool:
        for op, av in seq:
            if op in self.greedy:
                low, high, body = av
                if high > 1 and high != low and self._unbounded(body) and not self._marked(body):
                    return True
            # An atomic group or a possessive repeat is the author's deliberate answer to backtracking.
            if op in (self.c.ATOMIC_GROUP, self.c.POSSESSIVE_REPEAT):
                continue
            if any(self.dangerous(child) for child in self._children(op, av)):
                return True
        return False

    def _children(self, op: Any, av: Any) -> list[Any]:
        """The sub-sequences inside one node of the tree."""
        c = self.c
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            return [av[2]]
        if op == c.SUBPATTERN:
            return [av[3]]
        if op == c.BRANCH:
            return list(av[1])
        if op == c.ATOMIC_GROUP:
            return [av]
        if op in (c.ASSERT, c.ASSERT_NOT):
            return [av[1]]
        if op == c.GROUPREF_EXISTS:
            return [part for part in av[1:] if part is not None]
        return []

    def _unbounded(self, seq: Any) -> bool:
        for op, av in seq:
            if op in self.greedy and av[1] == self.c.MAXREPEAT:
                return True
            if op != self.c.ATOMIC_GROUP and any(self._unbounded(ch) for ch in self._children(op, av)):
                return True
        return False

    def _marked(self, seq: Any) -> bool:
        """True when ``seq`` must consume a fixed-width part, or at least two parts."""
        required = self._required(seq)
        return len(required) >= 2 or (len(required) == 1 and required[0][0] == required[0][1])

    def _required(self, seq: Any) -> list[tuple[int, int]]:
        """Widths of the parts of ``seq`` that must consume at least one character; groups are flattened."""
        widths = []
        for index, (op, av) in enumerate(seq):
            if op == self.c.SUBPATTERN:
                widths.extend(self._required(av[3]))
                continue
            low, high = seq[index : index + 1].getwidth()
            if low > 0:
                widths.append((low, high))
        return widths
