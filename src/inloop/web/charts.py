"""Charts as data for server-rendered inline SVG: coordinates computed here, drawn by ``charts.html`` macros
with presentation attributes and CSS classes only (no inline styles, no scripts, no external service)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 180
PAD_LEFT = 44
PAD_BOTTOM = 22
PAD_TOP = 10
PAD_RIGHT = 8


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (points, css class)
    areas: list[tuple[str, str]] = field(default_factory=list)  # (path d, css class)
    yticks: list[Tick] = field(default_factory=list)
    xticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, css class)
    empty: bool = False
    title: str = ""
    horizontal: bool = False


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = 10 ** (math.floor(math.log10(value)) - 1)
    for step in (1, 2, 4, 8, 10, 12, 16, 20, 40, 60, 80, 100, 120):
        if value <= step * exp:
            return float(f"{step * exp:.6g}")
    return float(120 * exp)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def _frame(chart: Chart, top: float, labels: Sequence[str]) -> tuple[float, float]:
    plot_w = chart.width - PAD_LEFT - PAD_RIGHT
    plot_h = chart.height - PAD_TOP - PAD_BOTTOM
    for i in range(5):
        value = top * i / 4
        chart.yticks.append(Tick(PAD_TOP + plot_h - plot_h * i / 4, _fmt(value)))
    n = max(1, len(labels))
    step = max(1, n // 6)
    for i in range(0, n, step):
        chart.xticks.append(Tick(PAD_LEFT + plot_w * (i + 0.5) / n, labels[i]))
    return plot_w, plot_h


def stacked_bars(
    series: dict[str, Sequence[float]],
    labels: Sequence[str],
    title: str,
    classes: dict[str, str] | None = None,
) -> Chart:
    """One bar per label, stacked by series (in the order given)."""
    chart = Chart(title=title)
    n = len(labels)
    totals = [sum(s[i] for s in series.values()) for i in range(n)]
    top = nice_max(max(totals, default=0))
    chart.empty = not any(totals)
    plot_w, plot_h = _frame(chart, top, labels)
    bar_w = plot_w / max(1, n)
    for i in range(n):
        y = PAD_TOP + plot_h
        for name, values in series.items():
            v = values[i]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            cls = (classes or {}).get(name, name)
            chart.rects.append(
                Rect(
                    PAD_LEFT + i * bar_w + 1,
                    y,
                    max(1.0, bar_w - 2),
                    h,
                    cls,
                    f"{labels[i]} · {name}: {_fmt(v)}",
                )
            )
    chart.legend = [(name, (classes or {}).get(name, name)) for name in series]
    return chart


def line(values: Sequence[float], labels: Sequence[str], title: str, cls: str = "depth") -> Chart:
    chart = Chart(title=title)
    top = nice_max(max(values, default=0))
    chart.empty = not any(values)
    plot_w, plot_h = _frame(chart, top, labels)
    n = max(1, len(values))
    points = []
    for i, v in enumerate(values):
        x = PAD_LEFT + plot_w * (i + 0.5) / n
        y = PAD_TOP + plot_h - plot_h * v / top
        points.append((x, y))
        chart.rects.append(Rect(x - 2, y - 2, 4, 4, f"{cls} dot", f"{labels[i]}: {_fmt(v)}"))
    if points:
        chart.lines.append((" ".join(f"{x:.1f},{y:.1f}" for x, y in points), cls))
        base = PAD_TOP + plot_h
        d = f"M{points[0][0]:.1f},{base:.1f} " + " ".join(f"L{x:.1f},{y:.1f}" for x, y in points)
        d += f" L{points[-1][0]:.1f},{base:.1f} Z"
        chart.areas.append((d, cls))
    return chart


def hbars(rows: Sequence[tuple[str, float, str]], title: str, unit: str = "") -> Chart:
    """Horizontal bars: ``(label, value, display text)``."""
    height = PAD_TOP + 26 * max(1, len(rows)) + 6
    chart = Chart(height=height, title=title, horizontal=True)
    top = nice_max(max((r[1] for r in rows), default=0))
    chart.empty = not rows or not any(r[1] for r in rows)
    left = 130
    plot_w = chart.width - left - 90
    for i, (label, value, text) in enumerate(rows):
        y = PAD_TOP + i * 26
        w = plot_w * value / top if top else 0
        chart.rects.append(Rect(left, y, max(1.0, w), 18, "hbar", f"{label}: {text}{unit}"))
        chart.yticks.append(Tick(y + 13, label))
        chart.xticks.append(Tick(left + w + 6, text))
    return chart
