"""Model text on a page: split into escaped segments around the spans checks flagged, masked where it holds
PII the viewer may not see, and diffs between two texts.

Model text is untrusted. Nothing here ever marks model text as safe: every piece of it goes through
:func:`markupsafe.escape`, and the only markup produced is our own ``<mark>``, ``<span>``, ``<ins>`` and
``<del>`` with attribute values that are escaped too.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Flag:
    """One flagged span, numbered for the page, tied to the check (by index and name) that reported it."""

    n: int
    check: str
    check_index: int
    field: str
    start: int
    end: int
    label: str
    pii: bool = False


@dataclass
class Flags:
    """All the flagged spans of an item, by field."""

    by_field: dict[str, list[Flag]] = field(default_factory=dict)

    def of(self, name: str) -> list[Flag]:
        return self.by_field.get(name, [])

    @property
    def all(self) -> list[Flag]:
        return sorted((f for fs in self.by_field.values() for f in fs), key=lambda f: f.n)


def collect_flags(checks: Sequence[dict[str, Any]], pii_checks: Iterable[str]) -> Flags:
    """Number every span of every check result; spans of ``pii_checks`` are marked as PII."""
    pii = set(pii_checks)
    out = Flags()
    n = 0
    for index, check in enumerate(checks):
        for span in check.get("spans") or []:
            try:
                start, end = int(span["start"]), int(span["end"])
                name = str(span["field"])
            except (KeyError, TypeError, ValueError):
                continue
            n += 1
            flag = Flag(
                n=n,
                check=str(check.get("name", "")),
                check_index=index,
                field=name,
                start=start,
                end=end,
                label=str(span.get("label", "")),
                pii=check.get("name") in pii,
            )
            out.by_field.setdefault(name, []).append(flag)
    return out


@dataclass
class Node:
    """A flagged stretch ``[start, end)`` of a text and the flagged stretches inside it. ``part`` > 0 marks
    the later pieces of a span that crossed the end of an enclosing one and had to be cut there."""

    flag: Flag | None
    start: int
    end: int
    part: int = 0
    children: list[Node] = field(default_factory=list)


def span_tree(text: str, flags: Sequence[Flag]) -> Node:
    """Nest the spans of ``text``: a span inside another becomes its child, so each span is one element. Spans
    are clamped to the text and empty ones dropped; a span crossing the end of an enclosing one is cut there
    and its rest placed after it (the only case where one span gives two elements)."""
    size = len(text)
    root = Node(None, 0, size)
    heap: list[tuple[int, int, int, int, Flag]] = []
    for f in flags:
        start, end = max(0, min(f.start, size)), max(0, min(f.end, size))
        if start < end:
            heapq.heappush(heap, (start, -end, f.n, 0, f))
    stack = [root]
    while heap:
        start, neg_end, n, part, f = heapq.heappop(heap)
        end = -neg_end
        while len(stack) > 1 and start >= stack[-1].end:
            stack.pop()
        parent = stack[-1]
        if end > parent.end:
            heapq.heappush(heap, (parent.end, -end, n, part + 1, f))
            end = parent.end
        node = Node(f, start, end, part)
        parent.children.append(node)
        stack.append(node)
    return root


def _mask_label(flag: Flag) -> str:
    return f"[{flag.label or 'PII'}]"


def _render(text: str, node: Node, mask_pii: bool, out: list[str]) -> None:
    pos = node.start
    for child in node.children:
        out.append(str(escape(text[pos : child.start])))
        f = child.flag
        assert f is not None
        if mask_pii and f.pii:
            out.append(
                '<span class="masked" data-testid="masked" title="hidden: personal data">'
                f"{escape(_mask_label(f))}</span>"
            )
        else:
            title = f"{f.check}: {f.label}" if f.label else f.check
            testid = "flag" if child.part == 0 else "flag-part"
            out.append(
                f'<mark class="flag c{f.check_index % 8}" data-testid="{testid}" data-n="{f.n}"'
                f' data-check="{escape(f.check)}" title="{escape(title)}">'
            )
            _render(text, child, mask_pii, out)
            out.append("</mark>")
        pos = child.end
    out.append(str(escape(text[pos : node.end])))


def highlight(text: str, flags: Sequence[Flag], *, mask_pii: bool = False) -> Markup:
    """``text`` as HTML: escaped, each flagged span in one ``<mark data-testid="flag">`` naming its check
    (nested where spans nest), and with ``mask_pii`` each PII span replaced by ``[LABEL]``."""
    out: list[str] = []
    _render(text, span_tree(text, flags), mask_pii, out)
    return Markup("".join(out))  # noqa: S704 - every piece of text above went through escape()


def _plain(text: str, node: Node, out: list[str]) -> None:
    pos = node.start
    for child in node.children:
        out.append(text[pos : child.start])
        assert child.flag is not None
        if child.flag.pii:
            out.append(_mask_label(child.flag))
        else:
            _plain(text, child, out)
        pos = child.end
    out.append(text[pos : node.end])


def mask_text(text: str, flags: Sequence[Flag]) -> str:
    """``text`` with its PII spans replaced by ``[LABEL]`` (plain text, for an editor or a diff)."""
    out: list[str] = []
    _plain(text, span_tree(text, flags), out)
    return "".join(out)


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


@dataclass(frozen=True, slots=True)
class DiffPart:
    op: str  # "equal" | "insert" | "delete"
    text: str


def diff(before: str, after: str) -> list[DiffPart]:
    """A word-level diff of two texts."""
    a, b = tokens(before), tokens(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[DiffPart] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = DiffPart(op, out[-1].text + text)
        else:
            out.append(DiffPart(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return out


def render_diff(parts: Sequence[DiffPart]) -> Markup:
    html = []
    for p in parts:
        body = escape(p.text)
        if p.op == "insert":
            html.append(f"<ins>{body}</ins>")
        elif p.op == "delete":
            html.append(f"<del>{body}</del>")
        else:
            html.append(str(body))
    return Markup("".join(html))  # noqa: S704 - every piece of text above went through escape()
