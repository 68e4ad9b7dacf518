"""``inloop users``, ``inloop keys``, ``inloop db`` and ``inloop audit``: administration on a database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from inloop.cli.app import EXIT_FAILED, DbOption, app, fail, out, reported
from inloop.settings import DEFAULT_URL

if TYPE_CHECKING:
    from inloop.services.context import Context

users_app = typer.Typer(
    help="Manage users (reviewers, leads, admins, auditors, submitters).", no_args_is_help=True
)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


def _context(db: str) -> Context:
    """The services are imported here, not at start-up, so ``inloop --help`` stays fast."""
    from inloop.services.context import Context
    from inloop.storage import open_database

    return Context(db=open_database(db), gate=None)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="admin, lead, reviewer, auditor or submitter.")],
    tier: Annotated[str | None, typer.Option("--tier", help="junior, senior, specialist, …")] = None,
    skills: Annotated[str, typer.Option("--skills", help="Comma-separated, e.g. finance,legal.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password from stdin.")
    ] = False,
    db: DbOption = DEFAULT_URL,
) -> None:
    """Add a user."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    from inloop.services import accounts

    with reported():
        user = accounts.add_user(
            _context(db), name, role, tier=tier, skills=skills.split(","), password=password, actor="cli"
        )
    out.print(
        f"added {user.name} ({user.role.value}, tier {user.tier or '-'}, skills "
        f"{', '.join(sorted(user.skills)) or '-'})",
        highlight=False,
    )


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Option("--user", help="The user the key authenticates.")],
    db: DbOption = DEFAULT_URL,
) -> None:
    """Create an API key and print it, alone on stdout, once; only its hash is stored."""
    from inloop.services import accounts

    with reported():
        _, key = accounts.create_key(_context(db), user, actor="cli")
    print(key)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = DEFAULT_URL) -> None:
    """Apply pending migrations (also done automatically by every command that opens the database)."""
    from inloop.storage import open_database

    with reported():
        open_database(db)
    out.print("schema is up to date")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = DEFAULT_URL,
    since_checkpoint: Annotated[
        Path | None, typer.Option("--since-checkpoint", help="A checkpoint saved from an earlier verify.")
    ] = None,
    checkpoint_out: Annotated[
        Path | None, typer.Option("--checkpoint-out", help="Save this run's checkpoint here.")
    ] = None,
) -> None:
    """Exit 0 when every audit chain is intact; exit 1 naming the first bad event."""
    since = None
    if since_checkpoint is not None:
        try:
            since = json.loads(since_checkpoint.read_text())
            since = since.get("checkpoint", since)
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read checkpoint {since_checkpoint}: {exc}") from None
    from inloop.services import audit_trail

    with reported():
        result = audit_trail.verify(_context(db), since=since)
    if checkpoint_out is not None:
        checkpoint_out.write_text(json.dumps(result["checkpoint"], indent=2))
    if not result["ok"]:
        bad = result["first_bad"]
        raise fail(
            f"audit trail broken: chain {bad['chain']} event {bad['seq']}"
            f"{' (row id ' + str(bad['event_id']) + ')' if bad['event_id'] else ''}: {bad['problem']}",
            EXIT_FAILED,
        )
    out.print(f"audit trail intact: {result['events']} events")
    print(json.dumps({"checkpoint": result["checkpoint"]}))
