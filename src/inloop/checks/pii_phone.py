"""Phone numbers for the ``pii`` check: cheap candidates, validated by ``phonenumbers``.

``phonenumbers`` is pure Python and a ``PhoneNumberMatcher`` pass costs 100-400 µs per region, so running it
over every text for a dozen regions would dominate the whole cascade. Instead a regex finds digit runs that
could be a phone number (7-17 digits), cheap filters drop dates, times, amounts and numbers labelled as
something else (order, invoice, ISBN ...), the region metadata (possible lengths, general pattern) picks the
few regions where the digits can be a number at all, and only then the matcher runs, on the candidate alone.

Precision rules, because real text is full of long numbers that happen to be dialable somewhere:

- ``+44 ...``, ``0044 ...`` (international) must be a valid number of its country;
- a national number written in groups (``020 7946 0958``, ``(415) 555-2671``) must be valid in one of the
  configured regions; where people always write the trunk prefix (``0`` in GB, DE, FR ...) it must start with
  it, and without a leading ``0`` it must be grouped the way its region groups numbers (``STRICT_GROUPING``:
  where any nine digits are a valid Spanish number, the grouping is the evidence);
- a bare digit run (``4155552671``) also needs a phone word nearby (``call``, ``tel``, ``mobile`` ...), since
  bare runs are mostly order and account numbers; only a run with a trunk ``0`` (``02079460958``) or a Chinese
  mobile (``13910998888``) passes without one;
- a word that names the number as something else (order, invoice, account, ISBN ...) rules it out;
- ``balanced`` leniency also takes numbers that are only *possible* (fictional ``555`` numbers are common in
  LLM text) when written internationally, in the North American ``(ddd) ddd-dddd`` style, or next to a phone
  word; ``strict`` takes valid numbers only, ``lenient`` every possible one.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher

PhoneLeniency = Literal["strict", "balanced", "lenient"]

_SEP = r"[ \t\u00a0.\-\u2010-\u2015/()]"
# A run of digits joined by at most three separator characters, optionally led by "+" or "(".
_RUN = re.compile(rf"(?<![\w@.\-/+$€£¥₹])(?:\+[ \u00a0]?)?\(?\d(?:\d|{_SEP}{{1,3}}(?=\(?\d))*\d")
_SPLIT = re.compile(rf"{_SEP}{{2,}}|/")
_NON_DIGIT = re.compile(r"\D")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}\s?[-/]\s?\d{4}")
_NANP_STYLE = re.compile(r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})")
_NANP_SHAPE = re.compile(r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]?\d{4}")
_HAS_SEP = re.compile(rf"\d{_SEP}+\d")
# Shapes that are not phone numbers whatever the digits: SSNs, EINs, OIDs and versions (one-digit dotted
# groups).
_GROUP_BEFORE = re.compile(r"\d[ .\-]?$")
_GROUP_AFTER = re.compile(r"[ .\-]?\d")
_SHORT_TAIL = re.compile(r"\d[ .\-]\d$")  # "212-472-019-8": no phone number ends in a one-digit group
_NOT_PHONE = re.compile(r"\d{3}-\d{2}-\d{4}|\d{2}-\d{7}|\d+(?:\.\d+)*\.\d(?:\.\d+)+")
# After a number: a currency or percent sign, a time, more decimals, or letters glued on (an extension
# "x1234" is fine).
_AFTER_BAD = re.compile(r"\s?[%€$£¥₹]|:\d|[.,]\d|(?!x\d|ext)[A-Za-z]")
# Bare digit runs that are phone numbers without a phone word: a national number with its trunk 0, a Chinese
# mobile.
_BARE_PHONE = re.compile(r"0[1-9]\d{8,9}|1[3-9]\d{9}")
# The context patterns run on lower-cased text: IGNORECASE makes a Python alternation several times slower.
_BEFORE_BAD = re.compile(r"(?:[#№$€£¥₹]|\bno\.?|\bnr\.?)\s*$")

# Words before a number that say what it is; the nearest one decides. "number" alone says nothing ("phone
# number" is decided by "phone", "order number" by "order").
_CONTEXT = re.compile(
    r"\b(?:(?P<neg>(?:order|invoice|ticket|tracking|ref|reference|account|acct|id|isbn|issn|ean|gtin|upc"
    r"|barcode|sku|serial|case|confirmation|transaction|booking|policy|claim|member|zip|postal|part|model"
    r"|version|build|batch|lot|routing|aba|swift|passport|licen[cs]e|vin|imei|iban|card|receipt|parcel"
    r"|shipment|promo|voucher|coupon|pin|otp|amount|total|price|balance|population|ssn|social\s+security"
    r"|oid|patent|isin|cusip|registration|reg|company|vat|tax|ein|tin|duns)"
    r"\b(?:\s+(?:number|no\b\.?|nr\b\.?|#|id\b|code))?)"
    r"|(?P<pos>phone|tel\b|tel\.|telephone|telefon|t[ée]l[ée]phone|call|dial|ring|mobile|cell|fax"
    r"|whats\s?app|sms|text\s+(?:me|us)|contact|reach|hotline|helpline|landline|m[óo]vil|ph\b|mob\b))",
)
_CONTEXT_BEFORE = 48

# Where numbers are written without the trunk prefix as often as with it (NANP drops the "1"; Indian mobiles,
# Brazilian and Chinese numbers are usually written without the leading 0).
_NANP = frozenset({"US", "CA", "PR", "DO", "JM", "TT", "BS", "BB", "AG", "DM", "GD", "KN", "LC", "VC"})
# Numbers people write without the trunk prefix: everything in NANP countries and Brazil ("(11) 98765-4321"),
# mobiles in India and China ("98765 43210", "139 1099 8888"). Elsewhere a national number starts with it.
_ANY = re.compile(r"\d+")
_TRUNK_OPTIONAL: dict[str, re.Pattern[str]] = dict.fromkeys(_NANP | {"BR"}, _ANY) | {
    "IN": re.compile(r"[6-9]\d{9}"),
    "CN": re.compile(r"1[3-9]\d{9}"),
}


@dataclass(frozen=True, slots=True)
class PhoneHit:
    """A phone number found in a text; ``key`` is ``+<country code> <national number>``."""

    start: int
    end: int
    key: str


@dataclass(frozen=True, slots=True)
class _Region:
    code: str
    trunk: str
    without_trunk: re.Pattern[str] | None
    lengths: frozenset[int]
    pattern: re.Pattern[str]
    idd: re.Pattern[str] | None

    def plausible(self, digits: str) -> bool:
        """True when ``digits`` (a national number) can be a number of this region at all."""
        if self.trunk and digits.startswith(self.trunk):
            nsn = digits[len(self.trunk) :]
            if len(nsn) in self.lengths and self.pattern.fullmatch(nsn):
                return True
        if self.trunk and (self.without_trunk is None or not self.without_trunk.fullmatch(digits)):
            return False
        return len(digits) in self.lengths and self.pattern.fullmatch(digits) is not None


def _region(code: str) -> _Region:
    meta = PhoneMetadata.metadata_for_region(code)
    if meta is None or meta.general_desc is None:
        raise ValueError(f"no phone metadata for region {code!r}")
    desc = meta.general_desc
    idd = meta.international_prefix
    return _Region(
        code=code,
        trunk=meta.national_prefix or "",
        without_trunk=_TRUNK_OPTIONAL.get(code),
        lengths=frozenset(desc.possible_length or ()),
        pattern=re.compile(desc.national_number_pattern or r"\d+"),
        idd=re.compile(idd) if idd else None,
    )


class PhoneFinder:
    """Finds phone numbers in text for a fixed list of regions; built once per check.

    It memoises what it learns about a candidate string (its plausible regions, the matcher's verdict): pure
    functions of the string, so results never depend on what was scanned before.
    """

    def __init__(self, regions: Sequence[str], leniency: PhoneLeniency = "balanced") -> None:
        self.regions = tuple(_region(code) for code in regions)
        self.leniency = leniency
        self._region_cache: dict[str, list[str]] = {}

    def find(
        self,
        text: str,
        windows: Sequence[tuple[int, int]] | None = None,
        taken: Sequence[tuple[int, int]] = (),
    ) -> list[PhoneHit]:
        """Phone numbers in ``text`` (only within ``windows`` when given), skipping any candidate that
        overlaps a ``taken`` span."""
        hits: list[PhoneHit] = []
        taken_sorted = sorted(taken)
        taken_starts = [s for s, _ in taken_sorted]
        runs = (
            _RUN.finditer(text)
            if windows is None
            else (m for ws, we in windows for m in _RUN.finditer(text, ws, we))
        )
        for run in runs:
            start, end = run.span()
            # Taken spans are disjoint: the last one starting before this run ends is the only one to check.
            i = bisect.bisect_left(taken_starts, end)
            if i and taken_sorted[i - 1][1] > start:
                continue
            found = self._candidate(text, start, end)
            if not found:
                # A list ("1) 020 7946 0958", "020 7946 0958 / 0161 496 0000"): try the parts between the
                # wider separators.
                parts = _parts(text, start, end)
                if len(parts) > 1:
                    for ps, pe in parts:
                        found.extend(self._candidate(text, ps, pe))
            hits.extend(found)
        return hits

    def _candidate(self, text: str, cs: int, ce: int) -> list[PhoneHit]:
        raw = text[cs:ce]
        digits = _NON_DIGIT.sub("", raw)
        if not 7 <= len(digits) <= 17 or _AFTER_BAD.match(text, ce) or _DATE.fullmatch(raw.strip("()")):
            return []
        if _NOT_PHONE.fullmatch(raw) or _SHORT_TAIL.search(raw):
            return []
        before = text[max(0, cs - _CONTEXT_BEFORE) : cs].lower()
        if _BEFORE_BAD.search(before):
            return []
        context = _last_context(before)
        plus = raw.startswith("+")
        if context == "neg" and not plus:  # a "+" number is a phone number whatever came before
            return []
        intl = plus or digits.startswith("00")
        if not intl and len(digits) > 12:  # no national number has more (with its trunk prefix)
            return []
        formatted = intl or _HAS_SEP.search(raw) is not None
        if (
            not formatted
            and context != "pos"
            and self.leniency != "lenient"
            and not _BARE_PHONE.fullmatch(raw)
        ):
            return []
        regions = self._regions_for(raw, digits, intl)
        if self.leniency != "lenient":
            # A national number without a leading trunk 0, written in groups, must be grouped the way its
            # region groups numbers: where any 9 or 10 digits are valid (Spain, Mexico) that is the evidence.
            grouped = not intl and not digits.startswith("0") and _HAS_SEP.search(raw) is not None
            found = _match(raw, cs, regions, Leniency.STRICT_GROUPING if grouped else Leniency.VALID)
            if found or self.leniency == "strict":
                return found
            strong = context == "pos" or intl or _NANP_STYLE.fullmatch(raw) is not None
            if not strong:
                return []
        return _match(raw, cs, regions, Leniency.POSSIBLE)

    def clear_cache(self) -> None:
        """Forget what was learnt about candidates (for benchmarks that must measure cold work)."""
        self._region_cache.clear()
        _matches.cache_clear()

    def _regions_for(self, raw: str, digits: str, intl: bool) -> list[str]:
        """The configured regions in which ``raw`` can be a number, in order; remembered per candidate."""
        regions = self._region_cache.get(raw)
        if regions is None:
            if len(self._region_cache) >= 4096:
                self._region_cache.clear()
            regions = self._region_cache[raw] = self._find_regions(raw, digits, intl)
        return regions

    def _find_regions(self, raw: str, digits: str, intl: bool) -> list[str]:
        if not intl:
            regions = [r for r in self.regions if r.plausible(digits)]
            if _NANP_STYLE.fullmatch(raw):
                # "(555) 123-4567" is written the North American way; do not read it as an Italian number.
                regions = [r for r in regions if r.code in _NANP] or regions
            elif not _NANP_SHAPE.fullmatch(raw):
                # and "2792 8775 74" is not a North American number, whatever its digits.
                regions = [r for r in regions if r.code not in _NANP]
            return [r.code for r in regions]
        if not digits.startswith("00"):
            return [self.regions[0].code] if self.regions else ["US"]
        for r in self.regions:
            if r.idd is not None and r.idd.match(digits):
                return [r.code]
        return ["DE"]


def _parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of ``text[start:end]`` between separators of two or more characters or a slash."""
    parts, pos = [], start
    for sep in _SPLIT.finditer(text, start, end):
        parts.append((pos, sep.start()))
        pos = sep.end()
    parts.append((pos, end))
    return [(s, e) for s, e in parts if e > s]


def _last_context(before: str) -> str | None:
    """``pos`` or ``neg``: the kind of the word nearest before a candidate; None if there is none."""
    last = None
    for m in _CONTEXT.finditer(before):
        last = m
    if last is None:
        return None
    return "pos" if last.group("pos") else "neg"


def _match(raw: str, offset: int, regions: Sequence[str], leniency: int) -> list[PhoneHit]:
    """Run the matcher on a candidate for each region in turn; the first region with a match wins."""
    return [PhoneHit(offset + s, offset + e, key) for s, e, key in _matches(raw, tuple(regions), leniency)]


@functools.lru_cache(maxsize=4096)
def _matches(raw: str, regions: tuple[str, ...], leniency: int) -> tuple[tuple[int, int, str], ...]:
    """Cached: a pure function of the candidate, and the same support line recurs across many outputs."""
    for region in regions:
        hits = []
        for m in PhoneNumberMatcher(raw, region, leniency=leniency):
            # A match that is only part of a longer digit group ("1234 5678 9012") is not a phone number.
            if _GROUP_BEFORE.search(raw, 0, m.start) or _GROUP_AFTER.match(raw, m.end):
                continue
            number = m.number
            hits.append((m.start, m.end, f"+{number.country_code} {number.national_number}"))
        if hits:
            return tuple(hits)
    return ()


def is_region(code: str) -> bool:
    """True for a region code ``phonenumbers`` knows (``US``, ``GB`` ...)."""
    return code in phonenumbers.SUPPORTED_REGIONS
