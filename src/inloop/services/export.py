"""Exports of human decisions as JSON Lines: fine-tuning (``sft``), preference pairs (``dpo``), check labels
(``labels``) and the raw reviews (``reviews``).

An export is a stream: rows are read through a cursor and turned into records one at a time, so memory stays
flat for millions of rows. When the stream has been read to its end, the export is recorded (format, filters,
rows, the latest decision it covered) with an ``export.created`` audit event; the metrics' "share of human
corrections exported" comes from those records. A stream abandoned half-way records nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from inloop.domain.exports import (
    FORMATS,
    dpo_record,
    label_records,
    review_record,
    sft_record,
)
from inloop.errors import InvalidRequest, Problem
from inloop.services.context import Context, record
from inloop.storage import exports as rows

Progress = Callable[[int], None]
"""Told how many source rows were read since it was last called."""
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a format and optional filters (task type, decision time in ``[since, until)``)."""

    format: str
    task: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def validated(self) -> ExportRequest:
        problems = []
        if self.format not in FORMATS:
            problems.append(Problem("format", f"must be one of {', '.join(FORMATS)} (got {self.format!r})"))
        if self.since_ms is not None and self.until_ms is not None and self.since_ms >= self.until_ms:
            problems.append(Problem("until", "must be later than since"))
        if problems:
            raise InvalidRequest(problems)
        return self


def jsonl(records: Iterable[dict[str, Any]], chunk: int = 1000) -> Iterator[str]:
    """Records as JSON Lines, ``chunk`` lines per string: one write per record costs more than encoding it."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    lines: list[str] = []
    for rec in records:
        lines.append(encode(rec))
        if len(lines) == chunk:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


def count(ctx: Context, request: ExportRequest) -> int:
    """How many source rows the export will read (items, or reviews), for a progress bar."""
    r = request.validated()
    with ctx.db.read() as conn:
        if r.format == "reviews":
            return rows.count_reviews(conn, r.task, r.since_ms, r.until_ms)
        return rows.count_items(conn, r.format, r.task, r.since_ms, r.until_ms)


def stream(
    ctx: Context, request: ExportRequest, *, actor: str, progress: Progress | None = None
) -> Iterator[dict[str, Any]]:
    """The export's records, one at a time; the export is recorded once the last has been yielded."""
    r = request.validated()
    written = 0
    covered: int | None = None
    read = 0
    with ctx.db.read() as conn, closing(_records(conn, r)) as source:  # closes the cursor if abandoned
        for decided_ms, records in source:
            read += 1
            if progress is not None and read % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            for rec in records:
                written += 1
                yield rec
            if records and decided_ms is not None:
                covered = decided_ms if covered is None else max(covered, decided_ms)
    if progress is not None:
        progress(read % PROGRESS_EVERY)
    _recorded(ctx, r, actor=actor, written=written, covered=covered)


def _records(conn: Any, r: ExportRequest) -> Generator[tuple[int | None, list[dict[str, Any]]]]:
    """For each source row, its decision time and the records it makes (none, one, or one per check)."""
    if r.format == "reviews":
        for review in rows.stored_reviews(conn, r.task, r.since_ms, r.until_ms):
            yield review.decided_ms, [review_record(review)]
        return
    for item in rows.stored_items(conn, r.format, r.task, r.since_ms, r.until_ms):
        if r.format == "labels":
            yield item.decided_ms, list(label_records(item))
            continue
        made = sft_record(item) if r.format == "sft" else dpo_record(item)
        yield item.decided_ms, [made] if made else []


def _recorded(ctx: Context, r: ExportRequest, *, actor: str, written: int, covered: int | None) -> None:
    now = ctx.clock()
    export_id = uuid.uuid4().hex
    with ctx.db.write() as conn:
        rows.record(
            conn,
            id=export_id,
            format=r.format,
            task_type=r.task,
            since_ms=r.since_ms,
            until_ms=r.until_ms,
            rows=written,
            covered_until_ms=covered,
            created_by=actor,
            created_ms=now,
        )
        record(
            conn,
            ctx,
            "export.created",
            actor=actor,
            now_ms=now,
            data={"id": export_id, "format": r.format, "task": r.task, "rows": written},
        )
