"""The ``inloop`` command. Errors print one line to stderr and exit non-zero; never a traceback.

Exit codes: 0 success, 2 bad arguments or a bad policy, 3 some input lines were malformed.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from inloop import __version__
from inloop.batch import Malformed, Summary, route_lines
from inloop.domain.routes import Route
from inloop.errors import PolicyError
from inloop.gate import Gate

app = typer.Typer(
    help="inloop: route LLM outputs to automation or to people, by policy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
policy_app = typer.Typer(help="Validate and inspect policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, soft_wrap=True)

EXIT_BAD_INPUT = 2
EXIT_MALFORMED = 3


def _version(value: bool) -> None:
    if value:
        out.print(f"inloop {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Route LLM outputs to automation or to people, by policy."""


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _load_gate(policy: Path) -> Gate:
    try:
        return Gate.from_file(policy)
    except PolicyError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/] {escape(f'{exc.source}: {problem}')}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@policy_app.command("check")
def policy_check(policy: Annotated[Path, typer.Argument(help="The policy file (YAML).")]) -> None:
    """Exit 0 if the policy is valid; print every error with its field path and exit 2 otherwise."""
    gate = _load_gate(policy)
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
    gate = _load_gate(policy)
    summary = Summary()
    with ExitStack() as stack:
        source = _open_input(items, stack)
        sink: TextIO | None = None
        if out_file is not None:
            try:
                sink = stack.enter_context(out_file.open("w", encoding="utf-8"))
            except OSError as exc:
                raise _fail(f"cannot write {out_file}: {exc.strerror}") from None
        progress = _progress(items, stack)
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
        raise _fail(f"{items}: file not found") from None
    except OSError as exc:
        raise _fail(f"cannot read {items}: {exc.strerror}") from None


def _progress(items: Path, stack: ExitStack) -> Progress | None:
    """A progress bar on an interactive terminal only, so pipes and CI logs stay clean."""
    if not err.is_terminal:
        return None
    progress = Progress(
        TextColumn("[bold]routing[/] " + items.name),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    return stack.enter_context(progress)


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


def main() -> None:
    """Console-script entry point."""
    app()
