"""The Typer application, its consoles and the error conventions every command follows.

Errors print one line to stderr and exit non-zero, never a traceback. Exit codes: 0 success, 1 a check failed
(e.g. the audit trail does not verify), 2 bad arguments, a bad policy or bad input, 3 some input lines were
malformed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inloop import __version__
from inloop.errors import InloopError, PolicyError
from inloop.gate import Gate

app = typer.Typer(
    help="inloop: route LLM outputs to automation or to people, by policy; review them; learn from it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, soft_wrap=True)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_MALFORMED = 3

DbOption = Annotated[
    str, typer.Option("--db", envvar="INLOOP_DB", help="Database URL (sqlite:///… or postgresql://…).")
]


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


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one error line; raise the returned Exit."""
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def load_gate(policy: Path) -> Gate:
    try:
        return Gate.from_file(policy)
    except PolicyError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/] {escape(f'{exc.source}: {problem}')}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@contextmanager
def reported() -> Iterator[None]:
    """Turn inloop's errors and database connection failures into one-line messages."""
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except InloopError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(f"database error: {str(exc.orig).strip().splitlines()[0]}") from None


def progress_bar(label: str, stack: ExitStack) -> Progress | None:
    """A progress bar on stderr when it is an interactive terminal, so pipes and CI logs stay clean."""
    if not err.is_terminal:
        return None
    progress = Progress(
        TextColumn(f"[bold]{escape(label)}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    return stack.enter_context(progress)


def time_option(option: str, value: str | None) -> int | None:
    """An ISO 8601 option value as epoch milliseconds; a bad one is a one-line error naming the option."""
    from inloop.clock import parse_iso

    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise fail(f"{option}: {exc}") from None
