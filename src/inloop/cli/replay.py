"""``inloop replay``: what a candidate policy would have done with the stored items, against the current one.

The current side is the routes the items actually took unless ``--current FILE`` names a policy to route them
through as well (see :mod:`inloop.services.replay` for why, and :mod:`inloop.domain.replay` for how escapes,
hours and cost are estimated). Exit codes: 0 with a report, 2 for a bad policy, date, database or option.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from inloop.cli.app import DbOption, app, fail, load_gate, out, progress_bar, reported, time_option
from inloop.settings import DEFAULT_URL

if TYPE_CHECKING:
    from inloop.domain.replay import ReplayReport, Side


@app.command("replay")
def replay(
    policy: Annotated[Path, typer.Option("--policy", "-p", help="The candidate policy file (YAML).")],
    db: DbOption = DEFAULT_URL,
    current: Annotated[
        Path | None,
        typer.Option(
            "--current",
            help="Route the items through this policy too and compare with it (default: the routes the "
            "items actually took).",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only items created at or after this ISO 8601 time (UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only items created before this ISO 8601 time (UTC).")
    ] = None,
    task: Annotated[str | None, typer.Option("--task", help="Only items of this task type.")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes routing the items (checks are CPU-bound).")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Replay the stored items through a candidate policy: route counts, expected escaped errors, review
    hours and cost against the current one."""
    since_ms = time_option("--since", since)
    until_ms = time_option("--until", until)
    if since_ms is not None and until_ms is not None and since_ms >= until_ms:
        raise fail(f"--until {until} must be later than --since {since}")
    _check_sqlite_file(db)
    candidate = load_gate(policy)
    now = load_gate(current) if current is not None else None
    from sqlalchemy.exc import ArgumentError

    from inloop.services import replay as replay_service
    from inloop.services.context import Context
    from inloop.storage import open_database

    with reported(), ExitStack() as stack:
        try:
            database = open_database(db)
        except ArgumentError as exc:
            raise fail(f"--db {db}: not a database URL ({exc})") from None
        stack.callback(database.close)
        # a bar only on a terminal: never into a pipe or around --json
        bar = None if as_json or not sys.stdout.isatty() else progress_bar("replaying", stack)
        step = None
        if bar is not None:
            job = bar.add_task("replay", total=None)

            def step(done: int, total: int) -> None:
                bar.update(job, completed=done, total=total)

        report = replay_service.replay(
            Context(db=database, gate=candidate),
            candidate,
            now,
            since_ms=since_ms,
            until_ms=until_ms,
            task=task,
            progress=step,
            workers=workers,
            candidate_source=str(policy),
            current_source=None if current is None else str(current),
        )
    if as_json:
        window = {"since": since, "until": until, "task": task}
        print(json.dumps({**report.to_dict(), "filters": window}))
        return
    _print(report)


def _check_sqlite_file(db: str) -> None:
    """A replay only reads: a SQLite path that does not exist is a typo, not a database to create."""
    if db.startswith("sqlite:///") and db not in ("sqlite:///:memory:",):
        path = Path(db.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.exists():
            raise fail(f"--db {db}: no database at {path}")


def _num(value: float | None, digits: int = 0, signed: bool = False) -> str:
    if value is None:
        return "-"
    sign = "+" if signed else ""
    return f"{value:{sign},.{digits}f}"


def _print(report: ReplayReport) -> None:
    cur, cand = report.current, report.candidate
    skipped = "".join(f", {n:,} skipped ({why})" for why, n in report.skipped.items())
    out.print(
        f"[bold]{report.items:,}[/] items replayed{skipped}; {report.labelled:,} with a human label "
        f"({report.labelled_errors:,} errors)",
        highlight=False,
    )
    table = Table(title="current vs candidate", title_justify="left")
    table.add_column("")
    table.add_column(_title(cur), justify="right")
    table.add_column(_title(cand), justify="right")
    table.add_column("change", justify="right")
    delta = report.delta
    for route, n in cur.routes.items():
        table.add_row(route, _num(n), _num(cand.routes[route]), _num(delta["routes"][route], signed=True))
    table.add_section()
    rows: list[tuple[str, float | None, float | None, float | None, int]] = [
        ("audit samples", cur.audit_sampled, cand.audit_sampled, delta["audit_sampled"], 0),
        ("items a person reviews", cur.reviewed_items, cand.reviewed_items, delta["reviewed_items"], 0),
        ("reviews", cur.reviews, cand.reviews, delta["reviews"], 0),
        ("expected escaped errors", cur.escaped_errors, cand.escaped_errors, delta["escaped_errors"], 1),
        ("  of them labelled", cur.escaped_labelled, cand.escaped_labelled, None, 0),
        ("  of them estimated", cur.escaped_estimated, cand.escaped_estimated, None, 1),
        ("review hours", cur.review_hours, cand.review_hours, delta["review_hours"], 1),
        (f"cost ({cand.currency})", cur.cost, cand.cost, delta["cost"], 2),
    ]
    for name, a, b, d, digits in rows:
        table.add_row(name, _num(a, digits), _num(b, digits), _num(d, digits, signed=True))
    out.print(table)
    if report.changes:
        changes = Table(title="items that change route", title_justify="left")
        changes.add_column("from")
        changes.add_column("to")
        changes.add_column("items", justify="right")
        for before, after, count in report.changes:
            changes.add_row(before, after, f"{count:,}")
        out.print(changes)
    else:
        out.print("no item changes route", highlight=False)
    for note in report.notes:
        out.print(f"note: {note}", highlight=False)


def _title(side: Side) -> str:
    """The policy file's name (the full path is in --json) and version, or "stored routes"."""
    if side.policy_version is None:
        return side.source
    return f"{escape(Path(side.source).name)}\n{side.policy_version}"
