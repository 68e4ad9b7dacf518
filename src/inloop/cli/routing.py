"""``inloop policy check`` and ``inloop route``: the routing engine on files."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.table import Table

from inloop.batch import Malformed, Summary, route_lines
from inloop.cli.app import EXIT_MALFORMED, app, err, fail, load_gate, out, progress_bar
from inloop.domain.routes import Route

policy_app = typer.Typer(help="Validate and inspect policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(policy: Annotated[Path, typer.Argument(help="The policy file (YAML).")]) -> None:
    """Exit 0 if the policy is valid; print every error with its field path and exit 2 otherwise."""
    gate = load_gate(policy)
    tasks = ", ".join(gate.policy.tasks) or "none"
    out.print(
        f"{policy}: valid (version {gate.policy_version}; levels {', '.join(gate.policy.levels)}; "
        f"tasks {tasks}; {len(gate.cascade.steps)} checks)",
        highlight=False,
    )


@app.command("route")
def route(
    items: Annotated[Path, typer.Argument(help="JSON Lines file of items ('-' for standard input).")],
    policy: Annotated[Path, typer.Option("--policy", "-p", help="The policy file (YAML).")],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write one routing per item here (JSON Lines)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Route every item of a JSON Lines file and print a summary."""
    gate = load_gate(policy)
    summary = Summary()
    with ExitStack() as stack:
        source = _open_input(items, stack)
        sink: TextIO | None = None
        if out_file is not None:
            try:
                sink = stack.enter_context(out_file.open("w", encoding="utf-8"))
            except OSError as exc:
                raise fail(f"cannot write {out_file}: {exc.strerror}") from None
        progress = progress_bar(f"routing {items.name}", stack)
        task = progress.add_task("routing", total=None) if progress else None
        for result in route_lines(gate, source):
            if isinstance(result, Malformed):
                summary.malformed += 1
                err.print(
                    f"{items}:{result.line}: skipped: {result.message}",
                    highlight=False,
                    markup=False,
                )
            else:
                summary.add(result.routing)
                if sink is not None:
                    sink.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            if progress is not None and task is not None:
                progress.advance(task)
    if as_json:
        print(json.dumps(summary.to_dict()))
    else:
        _print_summary(summary)
    if summary.malformed:
        raise typer.Exit(EXIT_MALFORMED)


def _open_input(items: Path, stack: ExitStack) -> TextIO:
    if str(items) == "-":
        return sys.stdin
    try:
        return stack.enter_context(items.open(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        raise fail(f"{items}: file not found") from None
    except OSError as exc:
        raise fail(f"cannot read {items}: {exc.strerror}") from None


def _print_summary(summary: Summary) -> None:
    data = summary.to_dict()
    table = Table(title=f"{summary.routed} items routed, {summary.malformed} malformed")
    table.add_column("task type", no_wrap=True)
    for r in Route:
        table.add_column(r.value, justify="right")
    table.add_column("total", justify="right")
    for task_type, routes in data["tasks"].items():
        total = sum(v["count"] for v in routes.values())
        table.add_row(task_type, *(str(routes[r.value]["count"]) for r in Route), str(total))
    table.add_section()
    table.add_row(
        "all",
        *(f"{data['routes'][r.value]['count']} ({data['routes'][r.value]['rate']:.1%})" for r in Route),
        str(summary.routed),
    )
    out.print(table)
    out.print(f"audit-sampled among released: {summary.audit_sampled}")
    reasons = Table(title="top reasons")
    reasons.add_column("count", justify="right")
    reasons.add_column("reason")
    for row in data["top_reasons"]:
        reasons.add_row(str(row["count"]), row["reason"])
    out.print(reasons)
