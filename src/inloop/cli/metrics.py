"""``inloop metrics``: how the loop is doing, from the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from inloop.cli.app import DbOption, app, fail, load_gate, out, reported, time_option


@app.command("metrics")
def metrics(
    db: DbOption,
    since: Annotated[
        str | None, typer.Option("--since", help="From this ISO 8601 time (UTC by default).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this ISO 8601 time.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Only items of this task type.")] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", envvar="INLOOP_POLICY", help="The policy whose costs price the reviews."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Escalation, auto-resolve and block rates, error escape with its 95% interval, review latency (queue
    wait and handling), reviewer throughput, agreement, gold accuracy, SLA breaches, cost per decision and
    the share of human corrections exported."""
    from inloop.services import summary
    from inloop.services.context import Context
    from inloop.storage import open_database

    start, end = time_option("--since", since), time_option("--until", until)
    if start is not None and end is not None and start >= end:
        raise fail("--until must be later than --since")
    gate = load_gate(policy) if policy is not None else None
    with reported():
        ctx = Context(db=open_database(db), gate=gate)
        try:
            result = summary.summary(ctx, start, end, task)
        finally:
            ctx.db.close()
    if as_json:
        print(json.dumps(result))
        return
    _print(result)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _secs(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.1f} s"


def _print(s: dict[str, Any]) -> None:
    scope = f"{s['since'] or 'the start'} to {s['until'] or 'now'}" + (
        f", task {s['task']}" if s["task"] else ""
    )
    rates = Table(title=f"{s['submitted']} items submitted ({scope})")
    for column in ("escalation", "auto-resolve", "block", "error escape (95% CI)", "SLA breaches"):
        rates.add_column(column, justify="right")
    escape = s["error_escape"]
    ci = escape["ci95"]
    escape_text = f"{_pct(escape['rate'])} of {escape['audited']} audits" + (
        f" ({_pct(ci[0])}–{_pct(ci[1])})" if ci else ""
    )
    rates.add_row(
        _pct(s["escalation_rate"]),
        _pct(s["auto_resolve_rate"]),
        _pct(s["block_rate"]),
        escape_text,
        str(s["sla_breaches"]),
    )
    out.print(rates)

    latency = Table(title="review latency")
    for column in ("", "n", "p50", "p95", "p99"):
        latency.add_column(column, justify="right")
    for name, values in s["latency_ms"].items():
        latency.add_row(
            name.replace("_", " "), str(values["n"]), *(_secs(values[p]) for p in ("p50", "p95", "p99"))
        )
    out.print(latency)

    people = Table(title="reviewers")
    for column in ("reviewer", "decisions", "per active hour", "mean handling", "gold accuracy"):
        people.add_column(column, justify="right")
    gold = s["gold"]["reviewers"]
    for r in s["reviewers"]:
        score = gold.get(r["reviewer"])
        gold_text = f"{_pct(score['accuracy'])} of {score['answered']}" if score else "—"
        people.add_row(
            r["reviewer"],
            str(r["decisions"]),
            _num(r["per_active_hour"], 1),
            _secs(r["mean_handling_ms"]),
            gold_text,
        )
    out.print(people)

    agreement = s["agreement"]
    fleiss = agreement["fleiss"]
    out.print(
        f"agreement over {agreement['items']} items reviewed by several people: "
        f"unanimous {_pct(agreement['unanimous_rate'])}, Krippendorff's alpha "
        f"{_num(agreement['krippendorff_alpha'])}, Fleiss' kappa {_num(fleiss['kappa'])} "
        f"({fleiss['items']} items with {fleiss['raters_per_item'] or '—'} reviewers)",
        highlight=False,
    )
    for pair in agreement["cohen"]:
        out.print(
            f"  Cohen's kappa {pair['a']} / {pair['b']}: {_num(pair['kappa'])} over {pair['items']} items",
            highlight=False,
        )
    cost = s["cost"]
    if cost["total"] is None:
        out.print(f"cost: {cost['reviews']} reviews (give --policy to price them)", highlight=False)
    else:
        out.print(
            f"cost: {cost['total']:.2f} {cost['currency']} for {cost['reviews']} reviews, "
            f"{_num(cost['per_decision'], 4)} {cost['currency']} per decision "
            f"({cost['decisions']} decisions)",
            highlight=False,
        )
    corrections = s["corrections"]
    out.print(
        f"human corrections exported for training: {corrections['exported']} of {corrections['total']} "
        f"({_pct(corrections['exported_share'])})",
        highlight=False,
    )
