"""Card numbers, IBANs and SSNs for the ``pii`` check: candidates by regex, kept only when they validate.

A card must carry the Luhn digit, start with a brand's issuer range, have a length that brand issues, and be
printed the way cards are (in fours, or 4-6-5 / 4-6-4); an IBAN must pass the mod-97 checksum; an SSN must
obey the SSA's rules (no area 000, 666 or 9xx, no group 00, no serial 0000) and, without dashes, needs the
word "SSN" nearby. Words before a number that call it something else (order, invoice, EAN ...) rule out a
card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from stdnum import iban as stdnum_iban


class NumberHit(NamedTuple):
    """A validated number: its span, label and normalised value."""

    start: int
    end: int
    label: str
    key: str


_NON_DIGIT = re.compile(r"\D")

# 12-19 digits, in groups joined by single spaces or dashes.
_CARD = re.compile(r"(?<![\w.,+\-/])\d(?:[ \-]?\d){11,22}(?![\w]|[.,\-]\d)")
# (first digits from, to, lengths): the issuer ranges of every brand that issues 12-19 digit numbers. Prefixes
# are compared as strings of equal width, so a leading zero counts.
_R = range
_CARD_RANGES: tuple[tuple[str, str, frozenset[int]], ...] = tuple(
    (lo, hi, frozenset(lengths))
    for lo, hi, lengths in (
        ("4", "4", (13, 16, 19)),  # Visa
        ("51", "55", (16,)),  # Mastercard
        ("2221", "2720", (16,)),  # Mastercard 2-series
        ("34", "34", (15,)),  # American Express
        ("37", "37", (15,)),
        ("6011", "6011", _R(16, 20)),  # Discover
        ("644", "649", _R(16, 20)),
        ("65", "65", _R(16, 20)),  # Discover, RuPay, Troy
        ("35", "35", _R(16, 20)),  # JCB 3528-3589, and the other 35xx numbers test generators produce
        ("2131", "2131", (15,)),  # JCB, 15 digits
        ("1800", "1800", (15,)),
        ("300", "305", _R(14, 20)),  # Diners Club
        ("3095", "3095", _R(14, 20)),
        ("36", "36", _R(14, 20)),
        ("38", "39", _R(14, 20)),
        ("62", "62", _R(16, 20)),  # UnionPay
        ("81", "82", _R(16, 20)),  # UnionPay 81, RuPay 81/82
        ("50", "50", _R(12, 20)),  # Maestro, Verve, Dankort
        ("56", "69", _R(12, 20)),  # Maestro and the rest of the 6-series
        ("0604", "0604", _R(12, 20)),  # Maestro UK
        ("2200", "2204", _R(16, 20)),  # Mir
        ("1", "1", (15,)),  # UATP
        ("9792", "9792", (16,)),  # Troy
    )
)

# What the words just before a card-shaped number call it; the nearest one decides.
_CARD_CONTEXT = re.compile(
    r"\b(?:(?P<neg>ean|gtin|upc|barcode|isbn|imei|tracking|order|invoice|serial|sku|part|reference|ref"
    r"|transaction|account|acct|iccid|meid|id)|(?P<pos>card|visa|mastercard|amex|american\s+express|discover"
    r"|jcb|diners|unionpay|maestro|mir|rupay|credit|debit|payment|pan|cc))\b"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_IBAN_CODES = (  # the countries of the SWIFT IBAN registry
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI GL GR GT "
    "HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL NO OM PK PL PS PT "
    "QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE"
)
_IBAN_COUNTRIES = frozenset(_IBAN_CODES.split())

_SSN = re.compile(r"(?<![\w\-.])(\d{3})([\- ]?)(\d{2})\2(\d{4})(?![\w]|[\-.]\d)")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|ss#|ss\s?no|social\s+security|social-security|tin\b|taxpayer)")


def luhn(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card(digits: str) -> bool:
    """True when ``digits`` has the length of a brand whose issuer range it starts with and passes Luhn."""
    n = len(digits)
    if not 12 <= n <= 19:
        return False
    for lo, hi, lengths in _CARD_RANGES:
        if n in lengths and lo <= digits[: len(lo)] <= hi:
            return luhn(digits)
    return False


def cards(text: str, windows: Sequence[tuple[int, int]]) -> list[NumberHit]:
    """Card numbers within ``windows`` (the long digit runs of ``text``)."""
    out = []
    for ws, we in windows:
        for m in _CARD.finditer(text, ws, min(len(text), we + 3)):
            raw = m.group()
            digits = _NON_DIGIT.sub("", raw)
            if _nearest(_CARD_CONTEXT, text[max(0, m.start() - 32) : m.start()].lower()) == "neg":
                continue
            if is_card(digits) and _card_grouping(raw):
                out.append(NumberHit(m.start(), m.end(), "CARD", digits))
                continue
            # A card followed by more digits ("4111 1111 1111 1111 1227"): try the leading groups.
            groups = re.split(r"[ \-]", raw)
            for k in range(min(len(groups) - 1, 5), 1, -1):
                head = "".join(groups[:k])
                if is_card(head) and _card_grouping(" ".join(groups[:k])):
                    end = m.start() + len(" ".join(groups[:k]))
                    out.append(NumberHit(m.start(), end, "CARD", head))
                    break
    return out


_CARD_GROUPS = re.compile(r"\d{4}(?:[ \-]\d{4})*(?:[ \-]\d{1,4})?|\d{4}[ \-]\d{6}[ \-]\d{4,5}|\d+")


def _card_grouping(raw: str) -> bool:
    """Cards are printed in fours (the last group shorter), or 4-6-5 / 4-6-4 (Amex, Diners), or unbroken."""
    return _CARD_GROUPS.fullmatch(raw) is not None


def ibans(text: str) -> list[NumberHit]:
    """IBANs, printed in groups or compact."""
    out = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        # The pattern may run into a following word or number; shrink from the right until it validates.
        end = len(raw)
        while end >= 15:
            candidate = raw[:end].rstrip(" -")
            compact = candidate.replace(" ", "").replace("-", "")
            if _valid_iban(compact):
                out.append(NumberHit(m.start(), m.start() + len(candidate), "IBAN", compact))
                break
            cut = max(candidate.rfind(" "), candidate.rfind("-"))
            end = cut if cut > 0 else end - 1
    return out


def ssns(text: str, windows: Sequence[tuple[int, int]]) -> list[NumberHit]:
    """US Social Security numbers within ``windows``."""
    out = []
    for ws, we in windows:
        for m in _SSN.finditer(text, ws, min(len(text), we + 3)):
            area, sep, group, serial = m.group(1), m.group(2), m.group(3), m.group(4)
            if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
                continue
            if sep != "-" and not _SSN_CONTEXT.search(text[max(0, m.start() - 40) : m.start()].lower()):
                continue
            out.append(NumberHit(m.start(), m.end(), "SSN", area + group + serial))
    return out


def _nearest(pattern: re.Pattern[str], before: str) -> str | None:
    """The group (``pos``/``neg``) of the last match of ``pattern`` in ``before``, None without a match."""
    last = None
    for last in pattern.finditer(before):  # noqa: B007 - keep the last one
        pass
    return None if last is None else last.lastgroup


def _valid_iban(compact: str) -> bool:
    """The mod-97 checksum and a country that issues IBANs; the country's BBAN layout is not required, since
    generated and mistyped-but-real IBANs often get it wrong and the checksum alone is 1 in 97."""
    try:
        stdnum_iban.validate(compact, check_country=False)
    except stdnum_iban.InvalidFormat:
        return compact[:2] in _IBAN_COUNTRIES
    except stdnum_iban.ValidationError:
        return False
    return True
