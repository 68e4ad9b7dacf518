"""Labelled confidences for calibration: (confidence, correct) pairs from the review history or from a file.

**From the database**, every item at least one person reviewed is a candidate, labelled by
:func:`inloop.domain.labels.label_of` (approved unchanged is correct; edited, rejected or found wrong by an
audit is not). Items are skipped, and counted by reason, when they carry no confidence, are still pending
(not decided, or released by an SLA fallback and not yet reviewed), or were finalised by an SLA fallback
rather than by a person. Items nobody reviewed are never labels.

Mind the selection: the review history holds every item the current policy sent to people (mostly low
confidence) but only an audit *sample* of the released ones. Error rates above the current threshold come
from the audit sample alone and are unbiased if the sampling is; below it, the released items are
under-represented, so the table's escalation and volume columns describe the labelled set, not traffic.
Seed 003's advice applies: review everything for a while before calibrating from history.

**From a file**, each line is ``{"confidence": float, "correct": bool}`` (other keys are ignored), read as a
stream into compact arrays (about 9 bytes per line).
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from inloop.domain.labels import label_of
from inloop.errors import InvalidRequest, Problem
from inloop.services.context import Context
from inloop.storage import labels as label_rows

MAX_PROBLEMS = 5
"""Bad lines reported by line number before the rest are only counted."""


@dataclass(frozen=True)
class Labels:
    """Parallel arrays of confidences and labels, and how many candidates were skipped and why."""

    confidence: NDArray[np.float64]
    correct: NDArray[np.bool_]
    source: str
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.confidence.size)


def from_database(ctx: Context, task_type: str | None = None) -> Labels:
    """The labels of every reviewed item (of ``task_type`` if given), in item-id order."""
    conf = array("d")
    right = bytearray()
    skipped: Counter[str] = Counter()
    with ctx.db.read() as conn:
        for facts in label_rows.reviewed(conn, task_type):
            verdict = label_of(facts)
            if isinstance(verdict, str):
                skipped[verdict] += 1
                continue
            assert facts.confidence is not None
            conf.append(facts.confidence)
            right.append(verdict)
    source = "database" if task_type is None else f"database, task {task_type}"
    return _labels(conf, right, source, dict(skipped))


def from_jsonl(lines: Iterable[str], source: str) -> Labels:
    """Parse JSON Lines of ``{"confidence": number in [0, 1], "correct": true|false}``; blank lines are
    skipped. Any bad line raises :class:`InvalidRequest` naming the first few by ``source:line``."""
    conf = array("d")
    right = bytearray()
    problems: list[Problem] = []
    bad = 0
    loads = json.loads
    for number, line in enumerate(lines, 1):
        try:
            obj = loads(line)
            c = obj["confidence"]
            y = obj["correct"]
        except (ValueError, KeyError, TypeError, IndexError):
            if not line.strip():
                continue
            c = y = None
        if y.__class__ is bool and c.__class__ in (float, int) and 0.0 <= c <= 1.0:
            conf.append(c)
            right.append(y)
            continue
        bad += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(f"{source}:{number}", _line_problem(line)))
    if bad:
        if bad > len(problems):
            problems.append(Problem("", f"and {bad - len(problems)} more bad lines"))
        raise InvalidRequest(problems)
    return _labels(conf, right, source, {})


def _line_problem(line: str) -> str:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at column {exc.colno})"
    except ValueError:
        return "not JSON"
    if not isinstance(obj, dict):
        return 'expected an object {"confidence": ..., "correct": ...}'
    if "confidence" not in obj:
        return "missing confidence"
    if "correct" not in obj:
        return "missing correct"
    c, y = obj["confidence"], obj["correct"]
    if isinstance(c, bool) or not isinstance(c, int | float) or not 0.0 <= c <= 1.0:
        return f"confidence must be a number between 0 and 1 (got {json.dumps(c)[:40]})"
    return f"correct must be true or false (got {json.dumps(y)[:40]})"


def _labels(conf: array[float], right: bytearray, source: str, skipped: dict[str, int]) -> Labels:
    return Labels(
        confidence=np.frombuffer(conf, dtype=np.float64).copy() if conf else np.zeros(0),
        correct=np.frombuffer(right, dtype=np.uint8).astype(np.bool_),
        source=source,
        skipped=skipped,
    )
