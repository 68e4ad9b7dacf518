"""``inloop serve`` (the API and the background work) and ``inloop demo`` (a ready-to-try instance)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from inloop.cli.app import DbOption, app, fail, load_gate, out, reported
from inloop.settings import DEFAULT_URL

PolicyOption = Annotated[
    Path, typer.Option("--policy", envvar="INLOOP_POLICY", help="The policy file (YAML).")
]

# Named, not "auto": the C parser and the libuv loop are dependencies, so a missing one fails at start rather
# than falling back silently to h11 and asyncio, which cost the server more CPU per request.
UVICORN_IMPLEMENTATION: dict[str, Any] = {
    "http": "httptools",
    "loop": "asyncio" if sys.platform == "win32" else "uvloop",
    "ws": "none",  # the API and the console use no WebSockets
}


@app.command("serve")
def serve(
    policy: PolicyOption,
    db: DbOption = DEFAULT_URL,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            envvar="INLOOP_ACCESS_LOG",
            help="Log a line per request (off by default: /metrics times every request by route).",
        ),
    ] = False,
) -> None:
    """Run the HTTP API and the background work (SLA timers, lease expiry, webhooks)."""
    import uvicorn

    from inloop.api import create_app
    from inloop.settings import Settings
    from inloop.storage import open_database

    load_gate(policy)  # a bad policy is a one-line error here, not a crash inside the server
    with reported():
        open_database(db).close()
    settings = Settings.from_env(db=db, policy=str(policy), host=host, port=port)
    out.print(
        f"reviewer console: http://{host}:{port}/   API docs: http://{host}:{port}/docs", highlight=False
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        **UVICORN_IMPLEMENTATION,
    )


DEMO_USERS = [
    ("admin", "admin", "specialist", []),
    ("lee", "lead", "specialist", ["finance", "knowledge_base", "security", "medical", "legal"]),
    ("alice", "reviewer", "junior", ["knowledge_base"]),
    ("bob", "reviewer", "senior", ["finance", "knowledge_base"]),
    ("dana", "auditor", None, []),
    ("pipeline", "submitter", None, []),
]
DEMO_PASSWORD = "inloop-demo"  # noqa: S105 - the demo accounts' documented password


@app.command("demo")
def demo(
    policy: PolicyOption = Path("examples/policy.yaml"),
    items: Annotated[Path, typer.Option("--items", help="JSON Lines of items to submit.")] = Path(
        "examples/items.jsonl"
    ),
    db: DbOption = "sqlite:///./demo/inloop.db",
    port: Annotated[int, typer.Option("--port")] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving after the demo.")
    ] = True,
) -> None:
    """Start a fresh demo: users and keys, the server, the example items submitted over HTTP, a summary."""
    import uvicorn

    from inloop.api import create_app
    from inloop.client import Client
    from inloop.services import accounts
    from inloop.services.context import Context
    from inloop.settings import Settings
    from inloop.storage import open_database

    gate = load_gate(policy)
    if db.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    with reported():
        ctx = Context(db=open_database(db), gate=gate)
        keys = {}
        for name, role, tier, skills in DEMO_USERS:
            accounts.add_user(ctx, name, role, tier=tier, skills=skills, password=DEMO_PASSWORD, actor="demo")
            keys[name] = accounts.create_key(ctx, name, actor="demo")[1]
        ctx.db.close()

    settings = Settings.from_env(db=db, policy=str(policy), port=port)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            **UVICORN_IMPLEMENTATION,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(url)

    routes: Counter[str] = Counter()
    with Client(url, keys["pipeline"]) as client:
        for n, line in enumerate(items.read_text().splitlines(), start=1):
            if line.strip():
                item = client.submit(json.loads(line), idempotency_key=f"demo-{n}")
                routes[item.route] += 1
        queues = Client(url, keys["lee"]).queues()

    table = Table(title=f"{sum(routes.values())} items submitted to {url}")
    table.add_column("route")
    table.add_column("items", justify="right")
    for route in ("auto", "audit", "queue", "escalate", "block"):
        table.add_row(route, str(routes[route]))
    out.print(table)
    for q in queues["queues"]:
        out.print(f"queue {q['queue']}: {q['open']} open ({q['by_priority']})", highlight=False)
    out.print(f"\nreviewer console: {url}/   API: {url}/docs   health: {url}/healthz")
    out.print(
        f"log in to the console with password '{DEMO_PASSWORD}' as: alice or bob (reviewers), lee (lead: "
        "adjudication, dashboard), dana (auditor, read-only), admin (users, keys, webhooks)",
        highlight=False,
    )
    out.print(f"users (password '{DEMO_PASSWORD}') and API keys:")
    for name, role, tier, _ in DEMO_USERS:
        out.print(f"  {name:9} {role:9} {tier or '-':10} {keys[name]}", highlight=False)
    out.print(
        f'\ntry: curl -s -H "Authorization: Bearer {keys["bob"]}" -X POST {url}/v1/reviews/claim '
        "-H 'content-type: application/json' -d '{}'",
        highlight=False,
    )
    if serve_after:
        out.print("\nserving; press Ctrl-C to stop")
        try:
            while thread.is_alive():
                thread.join(0.5)
        except KeyboardInterrupt:
            pass
    server.should_exit = True
    thread.join(10)


def _wait_until_up(url: str, timeout: float = 20.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise fail(f"the server did not start on {url}")
