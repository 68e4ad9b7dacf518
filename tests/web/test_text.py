"""Model text on a page: split at span boundaries into escaped pieces, nested, masked, diffed."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from inloop.web.text import Flag, collect_flags, diff, highlight, mask_text, render_diff, span_tree


def flag(
    start: int, end: int, n: int = 1, check: str = "pii", label: str = "EMAIL", pii: bool = True
) -> Flag:
    return Flag(n=n, check=check, check_index=0, field="output", start=start, end=end, label=label, pii=pii)


def strip_tags(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def test_plain_text_is_escaped() -> None:
    out = str(highlight('<script>alert("x")</script> & <b>', []))
    assert out == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;"


def test_a_span_becomes_one_mark_tied_to_its_check() -> None:
    text = "mail <img src=x> to a@b.example now"
    start = text.index("a@b")
    out = str(highlight(text, [flag(start, start + len("a@b.example"))]))
    assert out == (
        'mail &lt;img src=x&gt; to <mark class="flag c0" data-testid="flag" data-n="1" data-check="pii"'
        ' title="pii: EMAIL">a@b.example</mark> now'
    )


def test_attribute_values_are_escaped() -> None:
    evil = Flag(1, 'x" onmouseover="alert(1)', 0, "output", 0, 3, '"><script>', False)
    out = str(highlight("abcdef", [evil]))
    assert 'onmouseover="alert' not in out
    assert "<script>" not in out
    assert 'data-check="x&#34; onmouseover=&#34;alert(1)"' in out


def test_nested_spans_nest_and_each_span_is_one_element() -> None:
    text = "Your order ships today; write to jane@example.com with questions."
    email = text.index("jane")
    sentence = flag(0, len(text), n=1, check="grounding", label="unsupported_sentence", pii=False)
    pii = flag(email, email + len("jane@example.com"), n=2)
    out = str(highlight(text, [pii, sentence]))
    assert out.count('data-testid="flag"') == 2
    assert out.startswith('<mark class="flag c0" data-testid="flag" data-n="1" data-check="grounding"')
    assert out.endswith("jane@example.com</mark> with questions.</mark>")  # the e-mail's mark inside it
    assert strip_tags(out) == text


def test_crossing_spans_are_cut_at_the_enclosing_end() -> None:
    text = "0123456789"
    out = str(highlight(text, [flag(0, 6, n=1, pii=False), flag(4, 9, n=2, pii=False)]))
    assert out.count('data-testid="flag"') == 2
    assert out.count('data-testid="flag-part"') == 1
    assert strip_tags(out) == text
    tree = span_tree(text, [flag(0, 6, n=1), flag(4, 9, n=2)])
    assert [(c.start, c.end, c.part) for c in tree.children] == [(0, 6, 0), (6, 9, 1)]
    assert [(c.start, c.end) for c in tree.children[0].children] == [(4, 6)]


def test_spans_outside_the_text_are_clamped_or_dropped() -> None:
    out = str(highlight("short", [flag(-5, 2, n=1), flag(3, 500, n=2), flag(9, 12, n=3), flag(4, 4, n=4)]))
    assert out.count("<mark") == 2
    assert strip_tags(out) == "short"


def test_pii_is_masked_for_viewers_who_may_not_see_it() -> None:
    text = "Call <b>me</b> at jane@example.com, or 555-0100."
    email = text.index("jane")
    flags = [flag(email, email + 16, n=1), flag(0, 4, n=2, check="keywords", label="kw", pii=False)]
    out = str(highlight(text, flags, mask_pii=True))
    assert "jane@example.com" not in out
    assert '<span class="masked" data-testid="masked" title="hidden: personal data">[EMAIL]</span>' in out
    assert "&lt;b&gt;me&lt;/b&gt;" in out
    assert mask_text(text, flags) == "Call <b>me</b> at [EMAIL], or 555-0100."


def test_collect_flags_numbers_spans_and_marks_pii_checks() -> None:
    checks = [
        {"name": "keywords", "spans": [{"field": "output", "start": 0, "end": 3, "label": "keyword:x"}]},
        {"name": "secret_scan", "spans": [{"field": "input[1]", "start": 1, "end": 2, "label": "TOKEN"}]},
        {"name": "broken", "spans": [{"field": "output"}]},
    ]
    flags = collect_flags(checks, {"secret_scan"})
    assert [(f.n, f.check, f.pii) for f in flags.all] == [(1, "keywords", False), (2, "secret_scan", True)]
    assert flags.of("input[1]")[0].check_index == 1
    assert flags.of("context[0]") == []


def test_diff_marks_words_and_escapes() -> None:
    parts = diff("Ship <b>today</b> to jane", "Ship <b>tomorrow</b>")
    out = str(render_diff(parts))
    assert "<del>today</del><ins>tomorrow</ins>" in out
    assert "&lt;b&gt;" in out
    assert "<b>" not in out
    assert "".join(p.text for p in parts if p.op != "insert") == "Ship <b>today</b> to jane"
    assert "".join(p.text for p in parts if p.op != "delete") == "Ship <b>tomorrow</b>"


spans = st.lists(st.tuples(st.integers(-3, 40), st.integers(-3, 40), st.booleans()), max_size=6)


@given(st.text(alphabet=st.sampled_from(list("ab <>&\"'/=\n\u00e9\U0001f600")), max_size=40), spans)
def test_highlight_is_the_text_escaped_whatever_the_spans(
    text: str, raw: list[tuple[int, int, bool]]
) -> None:
    flags = [flag(s, e, n=i + 1, pii=p) for i, (s, e, p) in enumerate(raw)]
    out = str(highlight(text, flags))
    assert strip_tags(out) == text
    assert re.sub(r"</?mark[^>]*>", "", out) == html.escape(text, quote=True).replace(
        "&#x27;", "&#39;"
    ).replace("&quot;", "&#34;")
    opened = out.count("<mark")
    assert opened == out.count("</mark>")
    masked = highlight(text, flags, mask_pii=True)
    assert "<script" not in str(masked)
