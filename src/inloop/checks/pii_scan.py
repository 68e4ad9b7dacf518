"""The detectors of the ``pii`` check and the scanner that runs them over one text.

Each detector is a precompiled regex for candidates plus a validator that real data has to pass (Luhn and the
issuer ranges for cards, the mod-97 checksum and country format for IBANs, SSA rules for SSNs, ``ipaddress``
for IPs), because precision is what keeps reviewers trusting a flag. Cheap guards (``"@" in text``, a run of
seven digits) skip whole detectors on the ordinary text that makes up most outputs.

When findings overlap, the more specific one wins: secret > IBAN > card > e-mail > SSN > IP > phone, so a card
number is never also a phone number.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from inloop.checks.pii_numbers import cards, ibans, ssns
from inloop.checks.pii_phone import PhoneFinder, PhoneLeniency
from inloop.checks.pii_secrets import find_secrets

Kind = Literal["email", "phone", "card", "iban", "ssn", "ip", "secret"]
KINDS: tuple[Kind, ...] = ("email", "phone", "card", "iban", "ssn", "ip", "secret")
_PRIORITY = {"SECRET": 0, "IBAN": 1, "CARD": 2, "EMAIL": 3, "SSN": 4, "IP": 5, "PHONE": 6}


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding: where it is, what it is, and ``key``, the value normalised for comparison (digits of a
    card or SSN, ``+<country code> <national number>`` of a phone, compact IBAN, lower-case e-mail) so that
    an echo of input PII written another way is still recognised."""

    start: int
    end: int
    label: str
    key: str


_NON_DIGIT = re.compile(r"\D")
_NUM_RUN = re.compile(r"\d[\d\s().\-/\u2010-\u2015]*\d")

# Local part and domain may be internationalised (``björn@müller.de``); the top-level domain is letters.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w%+\-](?:[\w.%+\-]{0,62}[\w%+\-])?@"
    r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w\-]|\.\w)"
)
_LOCAL_RUN = re.compile(r"[\w.%+\-]+\Z")
"""The run of local-part characters that ends at the end of the searched stretch (just before an "@")."""
_LOCAL_MAX = 64
_NOT_TLD = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css", "js"})


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.%])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%\w+)?"
    r"(?![\w:]|\.\d)"
)
_VERSION_BEFORE = re.compile(
    r"(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bpatch|\bfirmware|\bupgrade(?:d)?\s+to|\bupdate(?:d)?\s+to"
    r"|\bsdk|\boid|\bsection|\bchapter|\bclause|\b§)\s*:?\s*$"
)


class Scanner:
    """Runs the enabled detectors over a text; configured once per check, then shared by every item."""

    def __init__(
        self,
        kinds: Collection[Kind] = KINDS,
        regions: tuple[str, ...] = ("US", "GB"),
        phone_leniency: PhoneLeniency = "balanced",
        skip_local_ips: bool = True,
    ) -> None:
        self.kinds = frozenset(kinds)
        self.phones = PhoneFinder(regions, phone_leniency) if "phone" in self.kinds else None
        self.skip_local_ips = skip_local_ips

    def scan(self, text: str) -> list[Hit]:
        """Every finding in ``text``, without overlaps, in text order."""
        hits: list[Hit] = []
        kinds = self.kinds
        if "secret" in kinds:
            hits.extend(Hit(s.start, s.end, "SECRET", text[s.start : s.end]) for s in find_secrets(text))
        if "email" in kinds and "@" in text:
            hits.extend(_emails(text))
        # One pass over the numbers of the text decides which numeric detectors have anything to look at.
        long_runs: list[tuple[int, int, int]] = []
        dotted = False
        maybe_iban = False
        for run in _NUM_RUN.finditer(text):
            start, end = run.span()
            # An IBAN starts with its country code and check digits ("DE89", "QA58"); its BBAN may be letters.
            if start >= 2 and not maybe_iban:
                prefix = text[start - 2 : start]
                maybe_iban = prefix.isupper() and prefix.isalpha() and prefix.isascii()
            if end - start < 7:
                continue
            raw = run.group()
            dotted = dotted or raw.count(".") >= 3
            digits = len(_NON_DIGIT.sub("", raw))
            if digits >= 7:
                long_runs.append((start, end, digits))
        if "iban" in kinds and maybe_iban:
            hits.extend(Hit(*h) for h in ibans(text))
        if long_runs:
            if "card" in kinds:
                hits.extend(Hit(*h) for h in cards(text, [(s, e) for s, e, n in long_runs if n >= 12]))
            if "ssn" in kinds:
                hits.extend(Hit(*h) for h in ssns(text, [(s, e) for s, e, n in long_runs if n >= 9]))
        if "ip" in kinds and (dotted or "::" in text or text.count(":") >= 7):
            hits.extend(self._ips(text, dotted))
        hits = _resolve(hits)
        if long_runs and self.phones is not None:
            taken = [(h.start, h.end) for h in hits]
            windows = [(max(0, s - 2), min(len(text), e + 3)) for s, e, n in long_runs]
            phones = [Hit(p.start, p.end, "PHONE", p.key) for p in self.phones.find(text, windows, taken)]
            hits = _resolve(hits + phones)
        return hits

    def _ips(self, text: str, dotted: bool) -> list[Hit]:
        candidates: list[tuple[re.Match[str], int]] = []
        if dotted:
            candidates.extend((m, 4) for m in _IPV4.finditer(text))
        if "::" in text or text.count(":") >= 7:
            candidates.extend((m, 6) for m in _IPV6.finditer(text))
        out = []
        for m, version in candidates:
            raw = m.group()
            try:
                addr: ipaddress.IPv4Address | ipaddress.IPv6Address = (
                    ipaddress.IPv4Address(raw) if version == 4 else ipaddress.IPv6Address(raw.split("%")[0])
                )
            except ValueError:
                continue
            if self.skip_local_ips and (addr.is_loopback or addr.is_unspecified):
                continue
            if version == 4 and _VERSION_BEFORE.search(text[max(0, m.start() - 24) : m.start()].lower()):
                continue
            out.append(Hit(m.start(), m.end(), "IP", addr.compressed))
        return out


def _emails(text: str) -> list[Hit]:
    """``_EMAIL.finditer(text)``, tried only where a match can start: the start of the run of local-part
    characters before each "@" (the pattern's look-behind rules out any other start). Searching every
    position let the local part's ``{0,62}`` scan ahead from each word of an ordinary text."""
    out = []
    end = 0
    at = text.find("@")
    while at >= 0:
        run = _LOCAL_RUN.search(text, max(end, at - _LOCAL_MAX - 1), at)
        start = at if run is None else run.start()
        if at - start <= _LOCAL_MAX and (m := _EMAIL.match(text, start)):
            value = m.group()
            if value.rsplit(".", 1)[-1].lower() not in _NOT_TLD:
                out.append(Hit(m.start(), m.end(), "EMAIL", value.lower()))
            end = m.end()
        at = text.find("@", max(at + 1, end))
    return out


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Drop findings that overlap a more specific (then longer) one; return the rest in text order."""
    if len(hits) < 2:
        return hits
    starts: list[int] = []  # the kept spans, disjoint and sorted, so only the neighbours can overlap
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (_PRIORITY[h.label], h.start - h.end, h.start)):
        i = bisect.bisect_left(starts, hit.start)
        if i < len(kept) and kept[i].start < hit.end:
            continue
        if i > 0 and kept[i - 1].end > hit.start:
            continue
        starts.insert(i, hit.start)
        kept.insert(i, hit)
    return kept
