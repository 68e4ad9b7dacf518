"""Benchmark of the pii check: speed (sentences/s, µs per 1 KB text) and span precision/recall per label on
``tests/data/pii_labelled.jsonl``, beside two baselines measured in the same run on the same sentences:

- Presidio's analyzer with its predefined recognizers, when ``presidio-analyzer`` is installed. It runs on a
  blank spaCy pipeline (tokenizer only, no model download), so only its pattern recognizers (e-mail, phone via
  ``phonenumbers``, credit card, IBAN, US SSN, IP) find anything; it has no secrets recognizer.
- A naive baseline: a handful of plain ``re`` patterns for e-mail, phone and card numbers.

Run: ``.venv/bin/python bench/pii_bench.py``. Numbers are the best of a few repeats on one core.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from inloop.checks.pii import PiiCheck, PiiOptions
from inloop.domain.item import Item

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pii_labelled.jsonl"

Spans = list[tuple[int, int, str]]
Detector = Callable[[str], Spans]

CLEAN_1KB = (
    "Thanks for reaching out about your subscription. I have reviewed the account history and the billing "
    "settings you described. The renewal on March 3 was processed under the annual plan, which is why the "
    "amount differs from the monthly price you saw last year. If you would prefer to switch back, open the "
    "Billing page, choose Change plan, and pick Monthly; the change takes effect at the next renewal and any "
    "unused time is credited automatically. We also noticed that two of your team members have pending "
    "invitations that expired after 14 days. You can resend them from the Members tab. Regarding the export "
    "issue: the CSV export is limited to 50,000 rows per file in version 4.2, so large workspaces are split "
    "into several files. Our engineers are working on a streaming export that removes this limit, and we "
    "expect it to ship in the second quarter. In the meantime, filtering by date range keeps each file "
    "small. "
    "Let me know if anything else is unclear, and I will be happy to help. Have a great day!"
)[:1024]


def load() -> list[tuple[str, Spans]]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows.append((row["text"], [(s["start"], s["end"], s["label"]) for s in row["spans"]]))
    return rows


def best_time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def score(
    rows: list[tuple[str, Spans]], detect: Detector, labels: Iterable[str]
) -> dict[str, tuple[float, float]]:
    """Per label (and ``overall``): span precision and recall; a match is an overlap with the same label."""
    wanted = set(labels)
    gold_n: Counter[str] = Counter()
    found: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for text, gold_all in rows:
        gold = [g for g in gold_all if g[2] in wanted]
        pred = [p for p in detect(text) if p[2] in wanted]
        for gs, ge, gl in gold:
            gold_n[gl] += 1
            found[gl] += any(pl == gl and ps < ge and gs < pe for ps, pe, pl in pred)
        for ps, pe, pl in pred:
            pred_n[pl] += 1
            correct[pl] += any(pl == gl and ps < ge and gs < pe for gs, ge, gl in gold)
    out = {
        lab: (
            correct[lab] / pred_n[lab] if pred_n[lab] else 0.0,
            found[lab] / gold_n[lab] if gold_n[lab] else 0.0,
        )
        for lab in sorted(wanted)
    }
    total_pred, total_gold = sum(pred_n.values()), sum(gold_n.values())
    out["overall"] = (
        sum(correct.values()) / total_pred if total_pred else 0.0,
        sum(found.values()) / total_gold if total_gold else 0.0,
    )
    return out


def report(
    name: str, rows: list[tuple[str, Spans]], detect: Detector, labels: list[str], repeat: int
) -> float:
    texts = [t for t, _ in rows]
    elapsed = best_time(lambda: [detect(t) for t in texts], repeat)
    rate = len(texts) / elapsed
    print(f"\n{name}: {rate:,.0f} sentences/s ({elapsed / len(texts) * 1e6:.0f} µs per sentence)")
    for label, (p, r) in score(rows, detect, labels).items():
        print(f"  {label:8} precision={p:.3f} recall={r:.3f}")
    return rate


# ---------------------------------------------------------------- inloop


def inloop_detector() -> tuple[Detector, PiiCheck]:
    check = PiiCheck("pii", PiiOptions())
    return (lambda text: [(h.start, h.end, h.label) for h in check.scan(text)]), check


def cold(detect: Detector, check: PiiCheck) -> Detector:
    """The detector with the phone caches emptied before each sentence, so no pass is helped by the last."""
    phones = check.scanner.phones

    def run(text: str) -> Spans:
        if phones is not None:
            phones.clear_cache()
        return detect(text)

    return run


# ---------------------------------------------------------------- Presidio (optional)

PRESIDIO_LABELS = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "US_SSN": "SSN",
    "IP_ADDRESS": "IP",
}


def presidio_detector() -> Detector | None:
    try:
        import spacy
        import tldextract
        import tldextract.tldextract as tldextract_module
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError as exc:
        print(f"\nPresidio: skipped ({exc}); install presidio-analyzer to compare")
        return None

    class BlankSpacyEngine(SpacyNlpEngine):
        """spaCy's tokenizer without a trained model: nothing to download, pattern recognizers only."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]

    # Presidio's e-mail recognizer checks domains with tldextract, which would download the suffix list.
    tldextract_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    logging.disable(logging.WARNING)
    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    entities = list(PRESIDIO_LABELS)

    def detect(text: str) -> Spans:
        results = analyzer.analyze(text, language="en", entities=entities)
        return [(r.start, r.end, PRESIDIO_LABELS[r.entity_type]) for r in results]

    return detect


# ---------------------------------------------------------------- naive regexes

NAIVE = [
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("CARD", re.compile(r"\b(?:\d[ -]?){13,16}\b")),
    ("PHONE", re.compile(r"(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}")),
]


def naive_detector(text: str) -> Spans:
    spans: Spans = []
    for label, pattern in NAIVE:
        for m in pattern.finditer(text):
            if all(m.end() <= s or e <= m.start() for s, e, _ in spans):
                spans.append((m.start(), m.end(), label))
    return spans


def main() -> None:
    repeat = 3 if "--quick" in sys.argv else 7
    rows = load()
    labels = ["CARD", "EMAIL", "IBAN", "IP", "PHONE", "SECRET", "SSN"]
    print(
        f"{len(rows)} labelled sentences from {DATA.relative_to(ROOT)}, {sum(len(s) for _, s in rows)} spans"
    )

    detect, check = inloop_detector()
    reference = best_time(lambda: [sum(range(1000)) for _ in range(1000)], repeat) / 1000
    print(f"machine reference: sum(range(1000)) takes {reference * 1e6:.1f} µs (lower = faster machine)")
    rate = report("inloop pii check (caches emptied per sentence)", rows, cold(detect, check), labels, repeat)
    item = Item(task_type="bench", output=CLEAN_1KB)
    n = 2000
    per_run = best_time(lambda: [check.run(item) for _ in range(n)], repeat) / n
    per_scan = best_time(lambda: [check.scan(CLEAN_1KB) for _ in range(n)], repeat) / n
    print(
        f"  1 KB English text without PII: {per_run * 1e6:.0f} µs per run ({per_scan * 1e6:.0f} µs scanning)"
    )

    presidio = presidio_detector()
    if presidio is not None:
        presidio_labels = sorted(PRESIDIO_LABELS.values())
        presidio_rate = report("Presidio analyzer (pattern recognizers)", rows, presidio, presidio_labels, 1)
        print(f"  inloop is {rate / presidio_rate:.0f}x faster per sentence")
        inloop_same = score(rows, detect, presidio_labels)["overall"]
        print(
            f"  inloop on the same labels (no secrets): precision={inloop_same[0]:.3f}"
            f" recall={inloop_same[1]:.3f}"
        )

    naive_rate = report(
        "naive regex baseline (email, phone, card)", rows, naive_detector, ["EMAIL", "PHONE", "CARD"], repeat
    )
    print(f"  inloop is {rate / naive_rate:.1f}x the naive baseline's speed")


if __name__ == "__main__":
    main()
