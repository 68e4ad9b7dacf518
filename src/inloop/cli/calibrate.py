"""``inloop calibrate``: calibrate confidence on labelled data and recommend a threshold with an error bound.

The labels come from the review history (``--db``) or a JSON Lines file (``--from``); the math is
:mod:`inloop.domain.calibration` (read its docstring for what is fitted on which split and why the guarantee
holds). Exit codes: 0 with or without a recommended threshold (none qualifying is an answer, with its
reason), 2 for bad arguments or a bad input file (the first bad lines named by line number).
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from inloop.cli.app import app, fail, out, reported

if TYPE_CHECKING:
    from inloop.domain.calibration import Analysis
    from inloop.services.context import Context
    from inloop.services.labels import Labels

PLOT_SUFFIXES = (".svg", ".png")


@app.command("calibrate")
def calibrate(
    ctx: typer.Context,
    target_error: Annotated[
        float,
        typer.Option(
            "--target-error", help="The highest acceptable error rate among automated items, e.g. 0.02."
        ),
    ],
    db: Annotated[
        str | None,
        typer.Option("--db", envvar="INLOOP_DB", help="Read labels from this database's review history."),
    ] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="Only items of this task type (with --db).")
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help='Read labels from JSON Lines: {"confidence": 0.93, "correct": true} per line (- for stdin).',
        ),
    ] = None,
    delta: Annotated[
        float, typer.Option("--delta", help="Allowed probability that the guarantee fails (1 - confidence).")
    ] = 0.05,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="isotonic, platt or none. With a method, the calibrator is fitted on part of the items and "
            "the thresholds apply to calibrated confidence on the rest; the equivalent raw threshold (what a "
            "policy compares) is printed too.",
        ),
    ] = "isotonic",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a reliability diagram here (.svg).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    step: Annotated[float, typer.Option("--step", help="Spacing of the threshold grid.")] = 0.01,
    bins: Annotated[int, typer.Option("--bins", help="Bins for ECE and the reliability diagram.")] = 10,
    fit_fraction: Annotated[
        float, typer.Option("--fit-fraction", help="Share of the items the calibrator is fitted on.")
    ] = 0.5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration/held-out split.")] = 0,
) -> None:
    """Calibrate confidence and recommend the lowest threshold whose error rate among automated items is
    below --target-error with probability at least 1 - delta (exact Clopper-Pearson bounds, tested in a
    fixed sequence from the strictest threshold down)."""
    db = _source(ctx, db, from_file, task)
    if plot is not None:
        _check_plot(plot)
    from inloop.domain.calibration import analyse
    from inloop.services import labels as label_service

    with reported():
        if from_file is not None:
            data = _read_file(from_file, label_service.from_jsonl)
        else:
            assert db is not None
            data = label_service.from_database(_context(db), task)
        if data.n == 0:
            raise fail(f"no labelled items in {data.source}{_skipped_text(data)}")
        result = analyse(
            data.confidence,
            data.correct,
            target=target_error,
            delta=delta,
            method=method,
            fit_fraction=fit_fraction,
            seed=seed,
            step=step,
            bins=bins,
        )
    if plot is not None:
        _write_plot(plot, result, data.source)
    if as_json:
        doc: dict[str, Any] = {**result.to_dict(), "source": data.source, "skipped": data.skipped}
        doc["plot"] = str(plot) if plot is not None else None
        print(json.dumps(doc))
        return
    _print(result, data)
    if plot is not None:
        out.print(f"reliability diagram written to {plot}", highlight=False)


def _source(ctx: typer.Context, db: str | None, from_file: Path | None, task: str | None) -> str | None:
    """Exactly one of --db and --from; INLOOP_DB in the environment yields to an explicit --from."""
    source = ctx.get_parameter_source("db")
    db_from_env = source is not None and source.name == "ENVIRONMENT"
    if from_file is not None and db is not None:
        if not db_from_env:
            raise fail("give either --db or --from, not both")
        db = None
    if from_file is None and db is None:
        raise fail("give --db URL (labels from the review history) or --from FILE.jsonl")
    if task is not None and from_file is not None:
        raise fail("--task filters a database's items; it does not apply to --from")
    return db


def _context(db: str) -> Context:
    from inloop.services.context import Context
    from inloop.storage import open_database

    return Context(db=open_database(db), gate=None)


def _read_file(path: Path, parse: Any) -> Labels:
    with ExitStack() as stack:
        if str(path) == "-":
            lines: Any = sys.stdin
            name = "<stdin>"
        else:
            try:
                lines = stack.enter_context(path.open(encoding="utf-8", errors="replace"))
            except FileNotFoundError:
                raise fail(f"{path}: file not found") from None
            except OSError as exc:
                raise fail(f"cannot read {path}: {exc.strerror}") from None
            name = str(path)
        result: Labels = parse(lines, name)
        return result


def _check_plot(plot: Path) -> None:
    suffix = plot.suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise fail(f"--plot {plot}: write a .svg file")
    if suffix == ".png":
        raise fail(
            f"--plot {plot}: PNG needs an image library inloop does not install; write "
            f"{plot.with_suffix('.svg')} and convert it if needed (e.g. rsvg-convert -o out.png diagram.svg)"
        )


def _write_plot(plot: Path, result: Analysis, source: str) -> None:
    from inloop.reports.reliability_svg import analysis_svg

    try:
        plot.write_text(analysis_svg(result, source), encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {plot}: {exc.strerror}") from None


def _skipped_text(data: Labels) -> str:
    if not data.skipped:
        return ""
    parts = ", ".join(f"{n} {reason}" for reason, n in sorted(data.skipped.items()))
    return f" (reviewed items skipped: {parts})"


def _pct(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def _print(result: Analysis, data: Labels) -> None:
    doc = result.to_dict()
    calibrated = result.method != "none"
    if calibrated:
        out.print(
            f"[bold]{data.n:,}[/] labelled items from {data.source}{_skipped_text(data)}; {result.method} "
            f"calibration fitted on {result.n_fit:,} (seed {result.seed}), measured on the other "
            f"{result.n_eval:,}",
            highlight=False,
        )
    else:
        out.print(
            f"[bold]{data.n:,}[/] labelled items from {data.source}{_skipped_text(data)}; raw confidence, "
            "no calibration",
            highlight=False,
        )
    quality = Table(title="calibration", title_justify="left")
    quality.add_column("measure")
    quality.add_column("raw", justify="right")
    if result.after is not None:
        quality.add_column(result.method, justify="right")
    rows = [
        (
            f"ECE, {result.bins} equal-width bins",
            result.before.ece,
            result.after.ece if result.after else None,
        ),
        (
            f"ECE, {result.bins} equal-mass bins",
            result.before.ece_mass,
            result.after.ece_mass if result.after else None,
        ),
        ("Brier score", result.before.brier, result.after.brier if result.after else None),
    ]
    for name, before, after in rows:
        quality.add_row(name, f"{before:.4f}", *([f"{after:.4f}"] if after is not None else []))
    out.print(quality)
    out.print(_threshold_table(result))
    _print_recommendation(result, doc)


def _threshold_table(result: Analysis) -> Table:
    rec = result.recommendation
    table = result.table
    scale = "calibrated confidence, held-out split" if result.method != "none" else "raw confidence"
    conf_level = f"{1 - rec.delta:.0%}"
    out_table = Table(title=f"thresholds ({scale})", title_justify="left")
    out_table.add_column("threshold", justify="right")
    out_table.add_column("error rate", justify="right")
    out_table.add_column(f"{conf_level} upper", justify="right")
    out_table.add_column("escalation", justify="right")
    out_table.add_column("autonomous", justify="right")
    out_table.add_column("")
    marks: dict[int, list[str]] = {}
    for index, mark in (
        (rec.start, "sequence start"),
        (rec.index, "recommended"),
        (rec.naive_index, "naive"),
    ):
        if index is not None:
            marks.setdefault(index, []).append(mark)
    for i in _shown_rows(result):
        row = table.row(i)
        style = "bold green" if i == rec.index else ("yellow" if i == rec.naive_index else None)
        out_table.add_row(
            f"{row['threshold']:g}",
            _pct(row["error_rate"]),
            _pct(row["error_rate_upper"]),
            _pct(row["escalation_rate"], 1),
            f"{row['auto_volume']:,} of {table.n:,}",
            ", ".join(marks.get(i, [])),
            style=style,
        )
    return out_table


def _shown_rows(result: Analysis) -> list[int]:
    """The rows worth a terminal: every 0.05, every 0.01 near the recommended and naive thresholds, and the
    marked rows; a run of thresholds automating the same items shows once (its strictest). The full grid is
    in --json."""
    rec = result.recommendation
    table = result.table
    marked = {i for i in (rec.start, rec.index, rec.naive_index) if i is not None}
    near = [float(table.thresholds[i]) for i in (rec.index, rec.naive_index) if i is not None]
    lo, hi = (min(near) - 0.025, max(near) + 0.035) if near else (2.0, -1.0)
    shown = []
    for i, t in enumerate(table.thresholds):
        hundredths = float(t) * 100
        whole = abs(hundredths - round(hundredths)) < 1e-6
        if i in marked or (whole and (round(hundredths) % 5 == 0 or lo <= t <= hi)):
            shown.append(i)
    kept = []
    for pos, i in enumerate(shown):
        if table.auto[i] == 0:
            continue
        nxt = shown[pos + 1] if pos + 1 < len(shown) else None
        same_as_next = nxt is not None and (table.auto[i], table.errors[i]) == (
            table.auto[nxt],
            table.errors[nxt],
        )
        if same_as_next and i not in marked:
            continue
        kept.append(i)
    return kept


def _print_recommendation(result: Analysis, doc: dict[str, Any]) -> None:
    rec = result.recommendation
    level = f"{1 - rec.delta:.0%}"
    target = _pct(rec.target)
    if result.threshold is None:
        out.print(f"[bold red]no threshold qualifies[/]: {rec.reason}", highlight=False)
    else:
        scale = "calibrated confidence" if result.method != "none" else "confidence"
        raw = result.raw_threshold
        policy = (
            f" (in a policy, which compares raw confidence: threshold {raw:g})"
            if result.method != "none" and raw is not None
            else ""
        )
        out.print(
            f"[bold green]recommended threshold {result.threshold:g}[/] on {scale}{policy}",
            highlight=False,
        )
        out.print(
            f"  error rate among automated items {_pct(doc['error_rate'])}, {level} upper bound "
            f"{_pct(doc['error_rate_upper'])} < target {target}; "
            f"escalation {_pct(doc['escalation_rate'], 1)}; "
            f"autonomous {doc['auto_volume']:,} of {result.table.n:,}",
            highlight=False,
        )
    if rec.start is not None:
        ended = "every one passed" if rec.index == 0 else "stopped at the first failure"
        out.print(
            f"  fixed sequence from {result.table.thresholds[rec.start]:g} (the strictest threshold "
            f"automating at least {rec.min_auto} items) downwards: {rec.tested} tested, {ended}",
            highlight=False,
        )
    naive = result.naive_threshold
    if naive is None:
        out.print(f"naive rule (lowest threshold with observed error ≤ {target}): none", highlight=False)
    else:
        verdict = (
            "the same"
            if naive == result.threshold
            else (
                "more lenient, without a guarantee"
                if result.threshold is None or naive < result.threshold
                else "stricter"
            )
        )
        out.print(
            f"naive rule (lowest threshold with observed error ≤ {target}): {naive:g} — observed "
            f"{_pct(doc['naive_error_rate'])}, {level} upper bound {_pct(doc['naive_error_rate_upper'])} "
            f"({verdict})",
            highlight=False,
        )
    for note in result.notes:
        out.print(f"note: {note}", highlight=False)
