"""``inloop export``: human decisions as JSON Lines for training and analysis."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from inloop.cli.app import DbOption, app, err, fail, progress_bar, reported, time_option
from inloop.domain.exports import FORMATS


@app.command("export")
def export(
    db: DbOption,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")],
    task: Annotated[str | None, typer.Option("--task", help="Only items of this task type.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Decided at or after this ISO 8601 time (UTC by default).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Decided before this ISO 8601 time.")] = None,
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Write here (whole, only on success); default stdout."),
    ] = None,
) -> None:
    """Export human decisions: sft (approved and edited outputs as chat fine-tuning records), dpo (edits as
    preference pairs), labels (each check's score with the human label) or reviews (every review)."""
    from inloop.services import export as service
    from inloop.services.context import Context
    from inloop.storage import open_database

    request = service.ExportRequest(fmt, task, time_option("--since", since), time_option("--until", until))
    with reported(), ExitStack() as stack:
        ctx = Context(db=open_database(db), gate=None)
        stack.callback(ctx.db.close)
        total = service.count(ctx, request)
        bar = progress_bar(f"export {fmt}", stack)
        job = bar.add_task("export", total=total) if bar is not None else None

        def advance(n: int) -> None:
            if bar is not None and job is not None:
                bar.advance(job, n)

        records = service.stream(ctx, request, actor="cli", progress=advance)
        written = _write(records, out_path) if out_path is not None else _dump(records, sys.stdout)
    if out_path is not None:
        err.print(f"{written} {fmt} records written to {out_path}", highlight=False)


def _dump(records: Iterable[dict[str, Any]], sink: TextIO) -> int:
    from inloop.services.export import jsonl

    n = 0
    for text in jsonl(records):
        sink.write(text)
        n += text.count("\n")
    return n


def _write(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write to a temporary file beside ``path`` and move it into place, so a failed export leaves the old
    file (or none) rather than half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise fail(f"--out: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as sink:
            n = _dump(records, sink)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n
