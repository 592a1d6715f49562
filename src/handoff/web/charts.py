"""Server-drawn SVG bar charts. Why SVG drawn here: the Content-Security-Policy forbids inline styles, and
SVG geometry is attributes, not styles; the page needs no JavaScript to show a chart, and every chart is
followed by the table it was drawn from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]
    axis_y: float
    description: str


def stacked_bars(
    categories: list[str],
    series: list[tuple[str, str, list[int | None]]],
    *,
    description: str,
    width: int = 720,
    height: int = 240,
) -> Chart:
    """`series`: (name, css class, values per category); None = hidden (shown as a gap with a marker)."""
    left, bottom, top = 40.0, 40.0, 16.0
    plot_h = height - bottom - top
    n = max(1, len(categories))
    slot = (width - left - 8) / n
    bar_w = slot * 0.6
    totals = [sum(v or 0 for _, _, vs in series for v in [vs[i]]) for i in range(n)]
    peak = max([1, *totals])
    bars: list[Bar] = []
    labels: list[Label] = []
    axis_y = top + plot_h
    for i, cat in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y = axis_y
        hidden = False
        for name, css, values in series:
            v = values[i]
            if v is None:
                hidden = True
                continue
            h = plot_h * v / peak
            y -= h
            if h > 0:
                bars.append(Bar(round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1), css, f"{cat}: {name} {v:,}"))
        if hidden:
            labels.append(Label(round(x + bar_w / 2, 1), round(y - 4, 1), "*"))
        elif totals[i]:
            labels.append(Label(round(x + bar_w / 2, 1), round(y - 4, 1), f"{totals[i]:,}"))
        labels.append(Label(round(x + bar_w / 2, 1), axis_y + 16, cat))
    return Chart(width, height, bars, labels, axis_y, description)
