"""Secrets for the ``pii`` check: API keys and tokens by their published formats, private key blocks, and
``password=...``-style assignments whose value looks random.

Formats with a fixed prefix (``AKIA``, ``ghp_``, ``xoxb-``, ``sk_live_`` ...) are matched exactly and need no
other evidence. A value after a secret-sounding name is only reported when it is long and random enough to be
a real credential (a Shannon entropy test), so ``password: <your password>`` and ``token=changeme`` in an
answer that explains configuration are not findings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import ahocorasick

_TOKENS = re.compile(
    r"(?<![\w-])(?:"
    r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,255}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{22,255}"
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe secret / restricted
    r"|whsec_[A-Za-z0-9]{24,}"  # Stripe webhook secret
    r"|sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|ya29\.[0-9A-Za-z_\-]{20,}"  # Google OAuth access token
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"  # JWT
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|npm_[A-Za-z0-9]{36}"  # npm
    r"|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"  # SendGrid
    r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"  # Shopify
    r"|sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,}"  # Square
    r"|key-[0-9a-z]{32}"  # Mailgun
    r"|https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"  # Slack webhook
    r")(?![\w-])"
)
# "sk-" is also the start of ordinary hyphenated words; a real key mixes cases and digits.
_WEAK_PREFIX = ("sk-",)

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,\-]*)"
)

# A secret-sounding name: one of these words as a component of the identifier (``DB_PASSWORD``, ``apiKey``,
# ``client-secret``), not a substring (``tokenizer``, ``author``).
_WORDS = frozenset(
    {"password", "passwd", "passphrase", "pwd", "pass", "secret", "secrets", "token", "credential"}
    | {"credentials", "apikey", "passcode", "secretkey", "accesskey", "privatekey", "authtoken", "sas"}
)
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "private", "secret", "signing", "encryption", "license", "master"}
)
_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_VALUE = re.compile(r"""(?::=|=>|[:=])\s*["'`]?(?P<v>[^\s"'`,;<>()\[\]{}]{8,200})""")
_SAYS = re.compile(
    r"(?i:password|passcode|passphrase)\s+(?:is|was)\s*:?\s*[\"'`]?(?P<v>[^\s\"'`,;<>]{8,200})"
    r"|(?i:bearer|basic)\s+(?P<b>[A-Za-z0-9._~+/\-]{16,}=*)"
)
_URL_CREDENTIALS = re.compile(r"://[^\s:/@]+:(?P<v>[^\s:/@]{3,})@[\w.\-]+")
_PLACEHOLDER = re.compile(
    r"your|example|xxx|\*\*\*|\.\.\.|<|>|\$\{|\{\{|%\(|changeme|change_me|redacted|placeholder|dummy|sample"
    r"|password|secret|token|here|env\b|environ|getenv|none|null|true|false|undefined|process\.",
    re.IGNORECASE,
)
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A secret's value in a text (not the name it was assigned to)."""

    start: int
    end: int


def _triggers() -> ahocorasick.Automaton:
    """One automaton, run over the lower-cased text, for every place a secret can start."""
    automaton = ahocorasick.Automaton()
    prefixes = (
        "akia asia abia acca a3t ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ glpat- xoxa- xoxb- xoxp- xoxo- xoxs-"
        " xoxr- sk_live_ sk_test_ rk_live_ rk_test_ whsec_ sk- aiza ya29. eyj hf_ npm_ sg. shpat_ shpss_"
        " shpca_ shppa_ sq0atp- sq0csp- key- https://hooks.slack.com/"
    )
    for word in prefixes.split():
        automaton.add_word(word, ("token", len(word)))
    for word in ("password", "passcode", "passphrase", "bearer", "basic"):
        automaton.add_word(word, ("says", len(word)))
    automaton.add_word(":", ("op", 1))
    automaton.add_word("=", ("op", 1))
    automaton.add_word("-----begin", ("key", 10))
    automaton.add_word("://", ("url", 3))
    automaton.make_automaton()
    return automaton


_TRIGGERS = _triggers()


def find_secrets(text: str) -> list[SecretHit]:
    """Secrets in ``text``: token formats, private key blocks, credentials in URLs and random-looking values
    assigned to secret-sounding names.

    A regex with this many alternatives and no literal prefix tries every position of the text, so one
    Aho-Corasick pass finds the places where a secret can start and the patterns run only there.
    """
    lower = text.lower()
    if len(lower) != len(text):  # a few characters lower-case to two; keep offsets aligned
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    hits: list[SecretHit] = []
    covered = -1
    for last, (kind, size) in _TRIGGERS.iter(lower):
        start = last - size + 1
        if start < covered:
            continue
        m: re.Match[str] | None
        if kind == "op":
            m = _VALUE.match(text, start) if _secret_name(text, start) else None
            group = "v"
        elif kind == "token":
            m = _TOKENS.match(text, start)
            if m and m.group().startswith(_WEAK_PREFIX) and not _mixed(m.group()):
                m = None
            group = ""
        elif kind == "says":
            m = _SAYS.match(text, start)
            group = "v" if m and m.group("v") else "b"
        elif kind == "key":
            m = _PRIVATE_KEY.match(text, start)
            group = ""
        else:
            m = _URL_CREDENTIALS.match(text, start)
            group = "v"
        if m is None:
            continue
        value_start, value_end = m.span(group) if group else m.span()
        value = text[value_start:value_end].rstrip(".")
        if kind == "url":
            if len(value) < 6 or _PLACEHOLDER.search(value):
                continue
        elif group and not _random_enough(value):
            continue
        hits.append(SecretHit(value_start, value_start + len(value)))
        covered = value_start + len(value)
    return hits


def _secret_name(text: str, op: int) -> bool:
    """True when the identifier just before the operator at ``op`` names a secret."""
    end = op
    while end > 0 and text[end - 1] in " \t\"'":
        end -= 1
    start = end
    while start > 0 and end - start < 64 and text[start - 1] in _IDENT_CHARS:
        start -= 1
    if start == end:
        return False
    parts = [p.lower() for p in _PART.findall(text[start:end])]
    if any(p in _WORDS for p in parts):
        return True
    return any(p == "key" and i and parts[i - 1] in _KEY_QUALIFIERS for i, p in enumerate(parts))


def _mixed(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isupper() for c in token)


def _random_enough(value: str) -> bool:
    """True for a value that looks like a generated credential rather than a word, a path or a placeholder."""
    if len(value) < 8 or _PLACEHOLDER.search(value) or value.startswith(("/", "./", "http", "$", "%")):
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    if classes < 2 or value.isdigit():
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    # A random string of n distinct characters has log2(n) bits per character; ask for most of that.
    return entropy >= min(3.0, 0.8 * math.log2(len(value)))
