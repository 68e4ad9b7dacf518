"""``inloop policy adapt``: recalibrate the adaptive thresholds of a policy from the review labels now
(``inloop serve`` also does it on each task's schedule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from inloop.cli.app import DbOption, fail, load_gate, out, reported
from inloop.cli.routing import policy_app
from inloop.settings import DEFAULT_URL


@policy_app.command("adapt")
def policy_adapt(
    policy: Annotated[Path, typer.Option("--policy", "-p", help="The policy file (YAML).")],
    db: DbOption = DEFAULT_URL,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only this task type (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the assessments as JSON.")] = False,
) -> None:
    """Move each adaptive threshold to the lowest one the labels prove safe; store and audit the change."""
    gate = load_gate(policy)
    if not gate.policy.adaptive_tasks():
        out.print(f"{policy}: no task has 'threshold: adaptive'; nothing to do", highlight=False)
        return
    unknown = sorted(set(task or ()) - set(gate.policy.adaptive_tasks()))
    if unknown:
        raise fail(f"--task: {', '.join(unknown)} has no adaptive threshold in {policy}")
    from inloop.services import adaptive
    from inloop.services.context import Context
    from inloop.storage import open_database

    with reported():
        ctx = Context(db=open_database(db), gate=gate)
        try:
            adaptive.refresh(ctx)
            assessments = adaptive.recalibrate(ctx, task, actor="cli")
        finally:
            ctx.db.close()
    if as_json:
        print(
            json.dumps(
                {"policy_version": ctx.policy.version_hash, "tasks": [a.to_dict() for a in assessments]}
            )
        )
        return
    table = Table("task type", "before", "after", "labels", "why")
    for a in assessments:
        after = f"[bold]{a.after:.2f}[/]" if a.changed else f"{a.after:.2f}"
        table.add_row(a.task_type, f"{a.before:.2f}", after, str(a.labels), a.reason)
    out.print(table)
    out.print(f"policy version {ctx.policy.version_hash}", highlight=False)
