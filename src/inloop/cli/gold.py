"""``inloop gold``: mark decided items with their known answer, list them, and score reviewers on them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from inloop.cli.app import DbOption, app, fail, load_gate, out, reported
from inloop.clock import parse_window
from inloop.settings import DEFAULT_URL

if TYPE_CHECKING:
    from inloop.services.context import Context

gold_app = typer.Typer(
    help="Gold items: known answers mixed into review queues to score reviewers.", no_args_is_help=True
)
app.add_typer(gold_app, name="gold")

PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        envvar="INLOOP_POLICY",
        help="The policy file, for its categories (default: the built-in categories).",
        exists=True,
        dir_okay=False,
    ),
]


def _context(db: str, policy: Path | None = None) -> Context:
    """Imported here, not at start-up, so ``inloop --help`` stays fast."""
    from inloop.services.context import Context
    from inloop.storage import open_database

    gate = load_gate(policy) if policy is not None else None
    return Context(db=open_database(db), gate=gate)


def _read_output(path: str | None) -> str | None:
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"--output-file {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from None


@gold_app.command("mark")
def mark(
    item_id: Annotated[str, typer.Argument(help="A decided item.")],
    verdict: Annotated[str, typer.Option("--verdict", help="The known answer: approve, reject or edit.")],
    output_file: Annotated[
        str | None,
        typer.Option("--output-file", help="For edit: a file with the correct output ('-': stdin)."),
    ] = None,
    category: Annotated[str | None, typer.Option("--category", help="For reject and edit.")] = None,
    policy: PolicyOption = None,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Mark a decided item as gold with its known answer (marking again replaces the answer)."""
    from inloop.services import gold

    output = _read_output(output_file)
    with reported():
        ctx = _context(db, policy)
        row = gold.mark(ctx, item_id, verdict=verdict, output=output, category=category, actor="cli")
    extra = f", category {row['category']}" if row["category"] else ""
    out.print(f"gold: {item_id} ({row['verdict']}{extra})", highlight=False)


@gold_app.command("unmark")
def unmark(item_id: Annotated[str, typer.Argument(help="A gold item.")], db: DbOption = DEFAULT_URL) -> None:
    """Stop mixing an item into queues; answers already given stay scored."""
    from inloop.services import gold

    with reported():
        gold.unmark(_context(db), item_id, actor="cli")
    out.print(f"unmarked: {item_id}", highlight=False)


@gold_app.command("list")
def list_gold(
    include_inactive: Annotated[bool, typer.Option("--all", help="Include unmarked items.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_URL,
) -> None:
    """The gold items, their known answers and how often each was answered."""
    from inloop.services import gold

    with reported():
        rows = gold.listing(_context(db), include_inactive=include_inactive)
    if as_json:
        print(json.dumps({"gold": rows}))
        return
    table = Table("item", "task type", "verdict", "category", "active", "answered", "marked")
    for r in rows:
        table.add_row(
            r["item_id"],
            r["task_type"],
            r["verdict"],
            r["category"] or "-",
            "yes" if r["active"] else "no",
            str(r["answered"]),
            r["created_at"],
        )
    out.print(table)


def _pct(score: dict[str, Any]) -> str:
    if score["accuracy"] is None:
        return "-"
    return f"{score['accuracy']:.1%} ({score['ci_low']:.1%}-{score['ci_high']:.1%})"


@gold_app.command("accuracy")
def accuracy(
    since: Annotated[str | None, typer.Option("--since", help="ISO 8601, inclusive.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO 8601, exclusive.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Reviewer accuracy on gold items (same verdict as the known answer), with 95% Wilson intervals."""
    from inloop.services import gold

    with reported():
        since_ms, until_ms = parse_window(since, until)
        result = gold.accuracy(_context(db), since_ms, until_ms)
    if as_json:
        print(json.dumps(result))
        return
    table = Table("reviewer", "answered", "correct", "accuracy (95% CI)")
    for name, score in result["reviewers"].items():
        table.add_row(name, str(score["answered"]), str(score["correct"]), _pct(score))
    overall = result["overall"]
    table.add_row("all", str(overall["answered"]), str(overall["correct"]), _pct(overall), style="bold")
    out.print(table)
