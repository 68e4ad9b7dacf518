"""``inloop drift``: compare the recent window with the reference window now, as the server's drift job does
every ``drift.every`` (this command stores and announces nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from inloop.cli.app import EXIT_FAILED, DbOption, app, load_gate, out, reported
from inloop.settings import DEFAULT_URL


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@app.command("drift")
def drift_command(
    policy: Annotated[
        Path,
        typer.Option("--policy", "-p", help="The policy file (YAML); its 'drift' section sets the limits."),
    ],
    db: DbOption = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 1 when anything drifted (for cron and CI).")
    ] = False,
) -> None:
    """Population stability index of confidence and of each check's score, and the escalation rate's change:
    the recent window against the reference window before it."""
    gate = load_gate(policy)
    from inloop.services import drift
    from inloop.services.context import Context
    from inloop.storage import open_database

    with reported():
        ctx = Context(db=open_database(db), gate=gate)
        try:
            report = drift.check(ctx)
        finally:
            ctx.db.close()
    data = drift.to_json(report)
    if as_json:
        print(json.dumps(data))
    else:
        limits = gate.policy.drift
        out.print(
            f"reference {data['reference']['since']} to {data['reference']['until']}, "
            f"recent {data['recent']['since']} to {data['recent']['until']} "
            f"(signals with fewer than {limits.min_items} items in a window are skipped)",
            highlight=False,
        )
        table = Table("signal", "measure", "limit", "reference n", "recent n", "status")
        for s in report.signals:
            status = "skipped" if s.skipped else "[bold red]drifted[/]" if s.drifted else "stable"
            psi = "—" if s.psi is None else f"PSI {s.psi:.3f}"
            table.add_row(escape(s.name), psi, f"{s.limit:g}", str(s.n_reference), str(s.n_recent), status)
        e = report.escalation
        status = "skipped" if e.skipped else "[bold red]drifted[/]" if e.drifted else "stable"
        change = "—" if e.change is None else f"{e.change * 100:+.1f} points"
        table.add_row(
            "escalation rate",
            f"{_rate(e.reference_rate)} → {_rate(e.recent_rate)} ({change})",
            f"±{e.limit * 100:g} points",
            str(e.n_reference),
            str(e.n_recent),
            status,
        )
        out.print(table)
        out.print("[bold red]drift detected[/]" if report.drifted else "no drift", highlight=False)
    if fail_on_drift and report.drifted:
        raise typer.Exit(EXIT_FAILED)
