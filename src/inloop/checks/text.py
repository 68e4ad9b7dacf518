"""Small, dependency-free text tools for the lexical checks: sentences, content terms, numbers and dates.

Offsets always point into the original text, so a check can show a reviewer the exact stretch it judged.
Speed matters more than linguistic finesse (a check runs on every item, in front of people waiting for
it): the work is done by a few compiled patterns and set operations. Two things are kept between calls,
both bounded memos of pure functions: word -> term (stemming the same words again and again was the largest
single cost of the grounding check) and the keys of a parsed number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from decimal import Decimal
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recurring(Generic[K, V]):
    """A bounded memo for work on texts that may recur across items (a retrieved passage, a question).

    A value is kept only for a key seen before: most outputs, and many passages, occur once, and keeping
    them would cost memory and, worse, garbage-collector passes over everything kept. Emptied when full.
    Safe to share between threads: the worst a race does is compute a value twice.
    """

    __slots__ = ("_limit", "_seen", "_values", "get")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: dict[K, V] = {}
        self._seen: set[int] = set()
        self.get: Callable[[K], V | None] = self._values.get
        """The value kept for a key, or None: the dict's own ``get``, as a lookup runs for every text."""

    def clear(self) -> None:
        """Forget everything (for benchmarks that must measure cold work, and for tests)."""
        self._values.clear()
        self._seen.clear()

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` if ``key`` was offered before; return ``value``."""
        mark = hash(key)
        if mark not in self._seen:
            if len(self._seen) >= 4 * self._limit:
                self._seen.clear()
            self._seen.add(mark)
        else:
            if len(self._values) >= self._limit:
                self._values.clear()
            self._values[key] = value
        return value


def word_set(text: str) -> frozenset[str]:
    """A word list written as one string, so a long list reads as prose."""
    return frozenset(text.split())


# --- sentences ---------------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"[.!?…\n](?:(?<=\n)|[.!?…]*[\"'”’)\]]*(?=\s))")
r"""Sentence ends (``[.!?…]+[\"'”’)\]]*(?=\s)|\n``), written to open with a character class so that
``re`` skips to candidates in C instead of trying both branches at every character."""
_ABBREVIATIONS = word_set(
    """e.g i.e etc vs mr mrs ms dr prof st no nos approx dept inc ltd co corp jr sr fig al est min max
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k p.m a.m ca cf"""
)


def sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences and lines, each ``(start, end)`` with surrounding space trimmed.

    A line break always ends a sentence (bullets and headings are separate claims); a full stop after a
    common abbreviation or a single initial ("J. Smith") does not.
    """
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        dot = m.start()
        if text[dot] == "." and dot > start and text[dot - 1].isalpha():
            word = text[text.rfind(" ", start, dot) + 1 : dot].lstrip("(\"'“‘").lower()
            if len(word) == 1 or word in _ABBREVIATIONS:
                continue
        _append_trimmed(text, start, m.end(), out)
        start = m.end()
    _append_trimmed(text, start, len(text), out)
    return out


def _append_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        start += len(piece) - len(piece.lstrip())
        out.append((start, start + len(stripped)))


def lower(text: str) -> str:
    """``text.lower()`` with the same length, so offsets into one are offsets into the other."""
    low = text.lower()
    if len(low) != len(text):  # a few characters (Turkish dotted I) lower-case to two
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


# --- content terms -----------------------------------------------------------------------------------------

WORDS = re.compile(r"\w+")
"""Raw tokens of lower-cased text; ``don't`` is ``don`` + ``t``, both stop words."""

STOPWORDS = word_set(
    """a about above after again against all also am an and any are aren as at be because been before
    being below between both but by can cannot could couldn did didn do does doesn doing don down
    during each either etc few for from further had hadn has hasn have haven having he her here hers
    herself him himself his how however i if in into is isn it its itself just let may me might more
    most much must mustn my myself neither nor of off on once one only or other ought our ours
    ourselves out over own per please quite rather really same shall shan she should shouldn so some
    such than that the their theirs them themselves then there therefore these they this those
    though through thus to too under until up upon us very via was wasn we were weren what when
    where whether which while who whom whose why will with within without won would wouldn yes yet
    you your yours yourself yourselves already always still even ever every many several not no
    nothing everything anything something everywhere anywhere around roughly approximately nearly
    almost about now plus whole like percent cent cents dollar dollars euro euros usd eur gbp go
    goes going gone went get gets got getting s t ll re ve d m"""
)

_SUFFIXES: dict[str, tuple[str, ...]] = {}
for _suffix in sorted(
    word_set(
        "ational ations ation iness ments ment ness ingly ings ing edly ied ies ily ed ly als al es s e y"
    ),
    key=len,
    reverse=True,
):
    _SUFFIXES.setdefault(_suffix[-1], ())
    _SUFFIXES[_suffix[-1]] += (_suffix,)


def stem(word: str) -> str:
    """Strip up to two common English suffixes: ``refunds``, ``refunded``, ``refunding`` become ``refund``.

    Both sides of a comparison go through the same function, so it has to be consistent, not correct.
    """
    for _ in range(2):
        if len(word) <= 3:
            break
        for suffix in _SUFFIXES.get(word[-1], ()):
            if suffix == "s" and word[-2] in "siu":
                break  # class, bus, analysis
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                if word[-1] == word[-2] and word[-1] not in "lsaeiou":
                    word = word[:-1]
                break
        else:
            break
    if len(word) >= 6 and word.endswith("ll"):
        word = word[:-1]  # cancelled/cancel, travelling/travel, installed/install
    return word


_SYNONYMS: dict[str, str] = {}
SYNONYM_PREFIXES: dict[str, frozenset[str]] = {}
"""For the first term of each synonym group, the first three letters of every word in the group."""
for _group in (
    "buy purchase",
    "get receive obtain",
    "start begin commence",
    "end finish conclude",
    "help assist support",
    "need require",
    "show display",
    "big large",
    "small little",
    "fast quick rapid",
    "use utilize utilise employ",
    "allow permit let enable",
    "cost price fee charge",
    "cancel terminate",
    "send ship dispatch",
    "customer client",
    "employee staff worker hire",
    "car vehicle automobile",
    "doctor physician",
    "medicine medication drug",
    "rise increase grow climb",
    "fall decrease decline drop reduce cut lower",
    "say state",
    "tell inform notify",
    "choose select pick",
    "try attempt",
    "cause reason",
    "make create",
    "answer reply respond",
    "house home",
    "job position role",
    "company firm business organization organisation",
    "mistake error",
    "keep retain",
    "refund reimburse",
    "repair fix",
    "contact reach",
    "call phone",
    "children kids",
    "annual yearly",
    "resident inhabitant",
    "tired fatigue",
    "center centre central",
    "color colour",
    "day daily",
):
    _stems = [stem(w) for w in _group.split()]
    for _s in _stems:
        _SYNONYMS[_s] = _stems[0]
    SYNONYM_PREFIXES[_stems[0]] = frozenset(w[:3] for w in _group.split())

LIGHT = frozenset(
    _SYNONYMS.get(stem(w), stem(w))
    for w in word_set(
        """make made come take give put need want use hope way thing item product people person new
    able sure well actual usual typical general day time"""
    )
)
"""Terms that carry little of a claim: a check may count them for less than a content word."""


def word_starts(low: str, word: str) -> list[int]:
    """Where ``word`` (a run of word characters) stands as a whole token in ``low``: the starts of the
    ``WORDS`` matches equal to it.

    A few ``str.find`` calls in C, where indexing every token of the text is a Python step per word. An
    occurrence overlapping the one before cannot be a token (a word character would precede it), so the
    search goes on from the end of each.
    """
    out: list[int] = []
    size = len(word)
    at = low.find(word)
    while at >= 0:
        end = at + size
        if (at == 0 or not _is_word_char(low[at - 1])) and (end == len(low) or not _is_word_char(low[end])):
            out.append(at)
        at = low.find(word, end)
    return out


def _is_word_char(char: str) -> bool:
    """Whether ``re``'s ``\\w`` matches ``char`` (it tests ``str.isalnum`` and the underscore)."""
    return char.isalnum() or char == "_"


def content_words(low: str) -> tuple[set[str], set[str]]:
    """All words of lower-cased text, and its content words (stop words and bare numbers dropped)."""
    vocabulary = set(WORDS.findall(low))
    content = {w for w in vocabulary - STOPWORDS if w[0] > "9"}  # no bare numbers
    return vocabulary, content


TERMS: dict[str, str] = {}
"""Memo of :func:`term`, shared by all checks and threads (a lost race only repeats pure work). Read it
with ``TERMS.get(word) or term(word)`` on a hot path."""
_TERMS_MAX = 100_000
"""The memo is emptied when it reaches this many words (a few MB), so odd inputs cannot grow it."""


def term(word: str) -> str:
    """The term of one lower-cased content word: stemmed, with common synonyms merged (memoised)."""
    found = TERMS.get(word)
    if found is None:
        base = stem(word)
        found = _SYNONYMS.get(base, base)
        if len(TERMS) >= _TERMS_MAX:
            TERMS.clear()
        TERMS[word] = found
    return found


def terms_of(words: Iterable[str]) -> list[str]:
    """The terms (stemmed, synonyms merged) of ``words``."""
    get = TERMS.get
    return [get(word) or term(word) for word in words]


def term_set(text: str) -> set[str]:
    """The content terms of ``text``: lower-cased, stop words dropped, stemmed, common synonyms merged."""
    return set(terms_of(content_words(text.lower())[1]))


# --- numbers, amounts and dates ----------------------------------------------------------------------------

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[6-9]\d\d|2[01]\d\d)"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_SCALE = r"\s?(?:thousand|million|billion|trillion)|(?:bn|k|m|b)(?!\w)"

# The patterns run on lower-cased text and, for speed, only where they can start: at a digit or currency
# sign (_AT_DIGIT), at a month name (_MONTH_FIRST) or at a number word (_NUMBER_WORD); a text without month
# names or number words never runs the last two.
_ANCHOR = re.compile(r"[\d$€£¥₹](?<!\w\d)")
"""Where a match of ``_AT_DIGIT`` can start: every branch refuses a digit right after a word character.
Opening with a character class lets ``re`` skip in C to the next digit or currency sign."""
_AT_DIGIT = re.compile(
    rf"""(?x)
    (?P<iso>(?<![\w.]){_YEAR}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?!\w))
  | (?P<slash>(?<![\w./])(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|[12]\d|3[01])[/.](?:{_YEAR}|\d\d)(?![\w/]))
  | (?P<dotted>(?<![\w.])\d+(?:\.\d+){{2,}}(?!\w|\.\d))
  | (?P<dmy>(?<![\w.]){_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?(?!\w))
  | (?P<time>(?<![\w.:])(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:[ap]m|[ap]\.m\.)(?!\w)
      | (?<![\w.:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\w:]))
  | (?P<num>
        (?:(?P<cur>[$€£¥₹])\s?)?
        (?<![\w.,])(?P<value>{_NUM})(?:st|nd|rd|th)?
        (?P<scale>{_SCALE})?
        (?:\s?(?P<pct>%|percent|per\s?cent|pct)(?!\w))?
        (?:\s(?P<cents>cents?)\b|\s?(?P<curs>dollars?|euros?|pounds|usd|eur|gbp|rupees?|yen)\b)?
        (?!\w|[.,]\d)
    )
    """
)
# (?=[adfjmnos]): the first letters of the month names, so that ``re`` skips in C to where one can start.
_MONTH_FIRST = re.compile(
    rf"(?=[adfjmnos])(?<!\w){_MONTH}(?:\s+(?P<day>{_DAY})(?:,?\s+{_YEAR})?|,?\s+{_YEAR})(?!\w)"
)
_DAY_BEFORE = re.compile(rf"{_DAY}\s+(?:of\s+)?$")
_CURRENCY_CODES = word_set("usd eur gbp chf jpy cad aud inr")
_MONTH_WORDS = word_set(
    """january jan february feb march mar april apr may june jun july jul august aug september sep sept
    october oct november nov december dec"""
)

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORDS.update(
    {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
)
_NUMBER_WORDS.update({"hundred": 100, "thousand": 1000, "dozen": 12})
_NUMBER_WORD = re.compile(
    "(?=[" + "".join(sorted({w[0] for w in _NUMBER_WORDS})) + "])"  # skips in C to where a word can start
    r"(?<![\w-])(?P<word>(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")(?:\s+(?P<pct>percent|per\s?cent))?(?![\w-])"
)
_SCALES = {
    "thousand": 1000,
    "k": 1000,
    "million": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
}


class Mention:
    """A number, amount, date or time found in a text.

    ``keys`` are the normalised values the mention states, so a source's "March 3, 2024" states the date,
    its month and its year; ``need`` are the alternatives of which a source must state at least one to
    support it (a full date needs the full date, "3/4/2024" either reading of it).
    """

    __slots__ = ("approx", "end", "keys", "kind", "need", "start", "text")

    def __init__(
        self,
        text: str,
        start: int,
        end: int,
        kind: str,
        keys: frozenset[str],
        need: frozenset[str] | None = None,
        approx: Decimal | None = None,
    ) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.kind = kind
        self.keys = keys
        self.need = keys if need is None else need
        self.approx = approx
        """The value when it was stated with a scale word ("1.2 million"): matched within rounding."""


def _canon(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(year: int | None, month: int, day: int | None) -> tuple[set[str], str]:
    """The keys a date states and the one key a source must state to support it."""
    keys = set()
    if day is not None:
        keys.add(f"md:{month:02d}-{day:02d}")
    if year is not None:
        keys.add(f"m:{year:04d}-{month:02d}")
        keys.add(str(year))
        if day is not None:
            keys.add(f"d:{year:04d}-{month:02d}-{day:02d}")
    if day is None:
        need = f"m:{year:04d}-{month:02d}"
    elif year is None:
        need = f"md:{month:02d}-{day:02d}"
    else:
        need = f"d:{year:04d}-{month:02d}-{day:02d}"
    return keys, need


def numbers(
    text: str, *, words: bool = True, low: str | None = None, vocabulary: set[str] | None = None
) -> list[Mention]:
    """Every number, amount, percentage, date and time in ``text``, normalised so equal values share keys.

    ``$1,200``, ``1200`` and ``1,200.00 dollars`` share the key ``1200``; ``15%`` and ``15 percent`` share
    ``15``; ``March 3, 2024`` and ``2024-03-03`` share ``d:2024-03-03``; ``15 cents`` is ``0.15``. Numbers
    spelled as words count when ``words`` is true. A list marker at the start of a line is not a number.
    A caller that has them passes ``low`` (``text.lower()``) and ``vocabulary`` (its set of ``WORDS``).
    """
    if low is None:
        low = lower(text)
    if vocabulary is None:
        vocabulary = set(WORDS.findall(low))
    out: list[Mention] = []
    months = vocabulary & _MONTH_WORDS
    if months:
        for m in _matches_at(_MONTH_FIRST, low, months):
            if _DAY_BEFORE.search(low, max(0, m.start() - 9), m.start()):
                continue  # "14 June 1998": the day-first pattern reads it whole
            keys, need = _date(*_named_date(m.group()))
            shown = text[m.start() : m.end()]
            out.append(Mention(shown, m.start(), m.end(), "date", frozenset(keys), frozenset({need})))
    named = [(x.start, x.end) for x in out]  # in text order, disjoint
    k = 0
    pos = 0
    for anchor in _ANCHOR.finditer(low):
        at = anchor.start()
        if at < pos:
            continue
        if named:
            while k < len(named) and named[k][1] <= at:
                k += 1
            if k < len(named) and named[k][0] <= at:  # inside a date read by its month name
                pos = named[k][1]
                continue
        found = _AT_DIGIT.match(low, at)
        if found is None:
            continue
        pos = found.end()
        if pos - at > 2 or low[pos : pos + 1] not in (".", ")") or not _is_list_marker(low, at):
            out.append(_mention(text, low, found))
    if named:
        out.sort(key=lambda x: x.start)
    _spread_units(low, out)
    spelled = vocabulary & _NUMBER_WORDS.keys() if words else None
    if spelled:
        for m in _matches_at(_NUMBER_WORD, low, spelled):
            key = _canon(_word_value(m.group("word")))
            shown = text[m.start() : m.end()]
            if m.group("pct"):
                typed = _typed("percent", key)
                both = frozenset({key, typed})
                out.append(Mention(shown, m.start(), m.end(), "percent", both, frozenset({typed})))
            else:
                out.append(Mention(shown, m.start(), m.end(), "number", frozenset({key})))
    return out


def _matches_at(pattern: re.Pattern[str], low: str, words: Iterable[str]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(low)`` for a pattern whose every match starts with one of ``words`` as a whole
    word: tried only where those words stand ("may" is a common verb, and a month pattern tried at every
    letter costs more than the rest of :func:`numbers`)."""
    starts = []
    for word in words:
        at = low.find(word)
        while at >= 0:
            starts.append(at)
            at = low.find(word, at + 1)
    end = 0
    for at in sorted(starts):
        if at >= end and (m := pattern.match(low, at)):
            end = m.end()
            yield m


_RANGE = re.compile(r"\s*(?:-|–|—|to)\s*")


def _spread_units(text: str, mentions: list[Mention]) -> None:
    """Give both ends of a range the unit one end has: "$10-20" states $20, "10-15%" states 10%."""
    for left, right in itertools.pairwise(mentions):
        if left.kind == right.kind or not _RANGE.fullmatch(text, left.end, right.start):
            continue
        for a, b in ((left, right), (right, left)):
            if a.kind in ("amount", "percent") and b.kind == "number":
                b.kind = a.kind
                b.keys = b.keys | {_typed(a.kind, k) for k in b.keys}
                b.need = frozenset(_typed(a.kind, k) for k in b.need)


def _typed(kind: str, key: str) -> str:
    """The key of a value with its unit: an amount or a percentage is only supported by one."""
    return f"{kind[0]}:{key}"


def _word_value(word: str) -> Decimal:
    if word in _NUMBER_WORDS:
        return Decimal(str(_NUMBER_WORDS[word]))
    tens, _, unit = word.replace(" ", "-").partition("-")
    return Decimal(_NUMBER_WORDS[tens] + _NUMBER_WORDS.get(unit, 0))


def _is_list_marker(text: str, start: int) -> bool:
    """Whether the short number followed by "." or ")" at ``start`` opens its line ("1. Do this")."""
    return not text[text.rfind("\n", 0, start) + 1 : start].strip()


_Parsed = tuple[int, str, frozenset[str], frozenset[str], Decimal | None]
_PARSED: Recurring[tuple[tuple[str | None, ...], str], _Parsed] = Recurring(20_000)
"""Memo of :func:`_parse_mention` by what it reads: the match's groups and the four characters before it
(a currency code). Amounts, dates and phone-like runs recur across items and within one (an answer quotes
its sources), and building their keys is most of the cost of :func:`numbers`."""


def _mention(text: str, low: str, m: re.Match[str]) -> Mention:
    start, end = m.span()
    key = (m.groups(), low[max(0, start - 4) : start])
    parsed = _PARSED.get(key)
    if parsed is None:
        fresh = _parse_mention(text, low, m)
        _PARSED.put(key, (start - fresh.start, fresh.kind, fresh.keys, fresh.need, fresh.approx))
        return fresh
    back, kind, keys, need, approx = parsed
    return Mention(text[start - back : end], start - back, end, kind, keys, need, approx)


def _parse_mention(text: str, low: str, m: re.Match[str]) -> Mention:
    kind = m.lastgroup
    shown = text[m.start() : m.end()]
    if kind == "num":
        return _amount(text, low, m)
    if kind == "dotted":
        return Mention(shown, m.start(), m.end(), "number", frozenset({"v:" + m.group()}))
    if kind == "time":
        return Mention(shown, m.start(), m.end(), "time", frozenset({_time_key(m.group())}))
    if kind == "iso":
        year, month, day = (int(p) for p in m.group().split("-"))
        readings: list[tuple[int | None, int, int | None]] = [(year, month, day)]
    elif kind == "slash":
        a, b, c = (int(p) for p in re.split(r"[/.]", m.group()))
        year = c + 2000 if c < 100 else c
        readings = [(year, m_, d) for m_, d in ((b, a), (a, b)) if m_ <= 12]
    else:
        readings = [_named_date(m.group())]
    keys: set[str] = set()
    need: set[str] = set()
    for reading in readings:
        stated, needed = _date(*reading)
        keys |= stated
        need.add(needed)
    return Mention(shown, m.start(), m.end(), "date", frozenset(keys), frozenset(need))


def _named_date(text: str) -> tuple[int | None, int, int | None]:
    month = day = year = None
    for part in re.findall(r"[a-z]+|\d+", text.lower()):
        if part[0].isalpha():
            if month is None and part in _MONTHS:
                month = _MONTHS[part]
        elif int(part) >= 1600:
            year = int(part)
        else:
            day = int(part)
    assert month is not None  # the pattern always has a month name
    return year, month, day


def _time_key(text: str) -> str:
    low = text.lower().replace(".", "").replace(" ", "")
    hour_text, _, minute = low.rstrip("apm").partition(":")
    hour = int(hour_text)
    if low.endswith("m"):
        hour = hour % 12 + (12 if low.endswith("pm") else 0)
    return f"t:{hour:02d}:{int(minute or 0):02d}"


def _amount(text: str, low: str, m: re.Match[str]) -> Mention:
    raw, cur, scale, pct, cents, curs = m.group("value", "cur", "scale", "pct", "cents", "curs")
    plain = _canon_literal(raw)
    keys = {plain}
    need = keys
    approx = None
    if scale or cents:
        value = Decimal(plain)
        if scale:
            value = approx = value * _SCALES[scale.strip()]
        if cents:
            value /= 100
        need = {_canon(value)}
        keys = keys | need
    start, end = m.span()
    currency_word = False
    if not cur and start >= 3:
        before = low[max(0, start - 4) : start].rstrip()
        if before[-3:] in _CURRENCY_CODES and not before[-4:-3].isalpha():
            start = low.rindex(before[-3:], 0, start)
            currency_word = True
    kind = "percent" if pct else "amount" if cur or curs or currency_word or cents else "number"
    if kind != "number":
        keys = keys | {f"{kind[0]}:{k}" for k in keys}
        need = {f"{kind[0]}:{k}" for k in need}
    return Mention(text[start:end], start, end, kind, frozenset(keys), frozenset(need), approx)


def _canon_literal(raw: str) -> str:
    """``1,200.00`` -> ``1200``, ``.5`` -> ``0.5``: the common case of ``_canon`` without a Decimal."""
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    value = value.lstrip("0")
    return "0" + value if not value or value[0] == "." else value
