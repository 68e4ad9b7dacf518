"""A reliability diagram as a standalone SVG document, drawn by hand (no plotting library).

The top panel plots, for each equal-width confidence bin, the mean confidence (x) against the share of
correct outputs (y) for each series (raw and calibrated confidence), over the diagonal of perfect calibration:
points below the diagonal are over-confident. Hovering a point shows its bin, count, confidence and accuracy.
The bottom panel shows how the items spread over the bins. An optional vertical line marks a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from inloop.domain.calibration import Analysis, Bin

WIDTH = 600
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 80, 100, 440, 400
HIST_Y, HIST_H = PLOT_Y + PLOT_H + 46, 110
HEIGHT = HIST_Y + HIST_H + 58
RAW_COLOUR = "#d95f02"
CALIBRATED_COLOUR = "#1b6ac9"


@dataclass(frozen=True)
class Series:
    """One curve: a legend label, its bins, and a colour."""

    label: str
    bins: Sequence[Bin]
    colour: str


def _x(v: float) -> float:
    return round(PLOT_X + v * PLOT_W, 2)


def _y(v: float) -> float:
    return round(PLOT_Y + (1.0 - v) * PLOT_H, 2)


def _text(x: float, y: float, s: str, *, size: int = 12, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


def reliability_svg(
    series: Sequence[Series],
    *,
    title: str = "Reliability diagram",
    subtitle: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
) -> str:
    """The SVG document (a string) for the given series."""
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" fill="#222">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        _text(WIDTH / 2, 28, title, size=17, extra=' font-weight="bold"'),
    ]
    if subtitle:
        parts.append(_text(WIDTH / 2, 48, subtitle, size=12, extra=' fill="#555"'))
    parts += _axes()
    parts.append(
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="#888" stroke-width="1.2" '
        'stroke-dasharray="6 4"><title>perfect calibration</title></line>'
    )
    if threshold is not None and 0.0 <= threshold <= 1.0:
        tx = _x(threshold)
        parts.append(
            f'<line x1="{tx}" y1="{PLOT_Y}" x2="{tx}" y2="{HIST_Y + HIST_H}" stroke="#2a9d4b" '
            'stroke-width="1.5" stroke-dasharray="3 3"/>'
        )
        anchor = "end" if threshold > 0.5 else "start"
        dx = -4 if threshold > 0.5 else 4
        parts.append(
            _text(
                tx + dx,
                PLOT_Y - 6,
                threshold_label or f"threshold {threshold:g}",
                size=11,
                anchor=anchor,
                extra=' fill="#2a9d4b"',
            )
        )
    for s in series:
        parts += _curve(s)
    parts += _histogram(series)
    parts += _legend(series)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axes() -> list[str]:
    out = [f'<rect x="{PLOT_X}" y="{PLOT_Y}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#444"/>']
    for k in range(6):
        v = k / 5
        out.append(
            f'<line x1="{_x(v)}" y1="{PLOT_Y}" x2="{_x(v)}" y2="{PLOT_Y + PLOT_H}" stroke="#eee"/>'
            f'<line x1="{PLOT_X}" y1="{_y(v)}" x2="{PLOT_X + PLOT_W}" y2="{_y(v)}" stroke="#eee"/>'
        )
        out.append(_text(_x(v), PLOT_Y + PLOT_H + 16, f"{v:.1f}", size=11))
        out.append(_text(PLOT_X - 8, _y(v) + 4, f"{v:.1f}", size=11, anchor="end"))
    out.append(_text(PLOT_X + PLOT_W / 2, PLOT_Y + PLOT_H + 34, "confidence (mean in bin)", size=12))
    cy = PLOT_Y + PLOT_H / 2
    out.append(_text(30, cy, "accuracy (share correct)", size=12, extra=f' transform="rotate(-90 30 {cy})"'))
    return out


def _curve(s: Series) -> list[str]:
    points = [b for b in s.bins if b.n and b.confidence is not None and b.accuracy is not None]
    if not points:
        return []
    path = " ".join(f"{_x(b.confidence or 0)},{_y(b.accuracy or 0)}" for b in points)
    out = [f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>']
    total = sum(b.n for b in points)
    for b in points:
        radius = round(2.5 + 6.0 * math.sqrt(b.n / total), 2)
        tip = (
            f"{s.label}: bin {b.lo:g}–{b.hi:g}, {b.n} items, mean confidence {b.confidence:.3f}, "
            f"accuracy {b.accuracy:.3f}"
        )
        out.append(
            f'<circle cx="{_x(b.confidence or 0)}" cy="{_y(b.accuracy or 0)}" r="{radius}" fill="{s.colour}" '
            f'stroke="#fff" stroke-width="1"><title>{escape(tip)}</title></circle>'
        )
    return out


def _histogram(series: Sequence[Series]) -> list[str]:
    out = [
        f'<rect x="{PLOT_X}" y="{HIST_Y}" width="{PLOT_W}" height="{HIST_H}" fill="none" stroke="#444"/>',
        _text(PLOT_X + PLOT_W / 2, HIST_Y + HIST_H + 34, "confidence bin", size=12),
    ]
    cy = HIST_Y + HIST_H / 2
    out.append(_text(30, cy, "share of items", size=12, extra=f' transform="rotate(-90 30 {cy})"'))
    shares: list[list[float]] = []
    for s in series:
        total = sum(b.n for b in s.bins) or 1
        shares.append([b.n / total for b in s.bins])
    top = max((v for row in shares for v in row), default=0.0) or 1.0
    out.append(_text(PLOT_X - 8, HIST_Y + 10, f"{top:.0%}", size=11, anchor="end"))
    out.append(_text(PLOT_X - 8, HIST_Y + HIST_H + 4, "0%", size=11, anchor="end"))
    for k in range(6):
        out.append(_text(_x(k / 5), HIST_Y + HIST_H + 16, f"{k / 5:.1f}", size=11))
    for j, s in enumerate(series):
        width_each = 1.0 / max(1, len(series))
        for b, share in zip(s.bins, shares[j], strict=True):
            if not b.n:
                continue
            x0 = _x(b.lo + (b.hi - b.lo) * (0.08 + 0.84 * j * width_each))
            w = round((b.hi - b.lo) * 0.84 * width_each * PLOT_W, 2)
            h = round(share / top * (HIST_H - 6), 2)
            tip = f"{s.label}: bin {b.lo:g}–{b.hi:g}, {b.n} items ({share:.1%})"
            out.append(
                f'<rect x="{x0}" y="{round(HIST_Y + HIST_H - h, 2)}" width="{w}" height="{h}" '
                f'fill="{s.colour}" fill-opacity="0.75"><title>{escape(tip)}</title></rect>'
            )
    return out


def _legend(series: Sequence[Series]) -> list[str]:
    """One row under the subtitle, outside the plot, so it never hides a point."""
    entries = [("perfect calibration", "#888", ' stroke-dasharray="6 4"')] + [
        (s.label, s.colour, ' stroke-width="2"') for s in series
    ]
    widths = [36 + 6.2 * len(label) for label, _, _ in entries]
    x = (WIDTH - sum(widths)) / 2
    y = 72
    out = []
    for (label, colour, style), width in zip(entries, widths, strict=True):
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4}" x2="{x + 22:.1f}" y2="{y - 4}" stroke="{colour}"{style}/>'
        )
        out.append(_text(round(x + 28, 1), y, label, size=11, anchor="start"))
        x += width
    return out


def analysis_svg(analysis: Analysis, source: str) -> str:
    """The reliability diagram of an :func:`inloop.domain.calibration.analyse` result: raw confidence and,
    with a calibration method, calibrated confidence, both on the held-out split."""
    series = [Series(f"raw confidence (ECE {analysis.before.ece:.3f})", analysis.before.bins, RAW_COLOUR)]
    if analysis.after is not None:
        series.append(
            Series(
                f"{analysis.method} calibrated (ECE {analysis.after.ece:.3f})",
                analysis.after.bins,
                CALIBRATED_COLOUR,
            )
        )
    held_out = "held-out split" if analysis.method != "none" else "all items"
    subtitle = f"{source}: {analysis.n_eval:,} labelled items ({held_out}), {analysis.bins} equal-width bins"
    threshold = analysis.threshold
    label = ""
    if threshold is not None:
        scale = "calibrated" if analysis.method != "none" else "raw"
        label = f"recommended threshold {threshold:g} ({scale})"
    return reliability_svg(series, subtitle=subtitle, threshold=threshold, threshold_label=label)
