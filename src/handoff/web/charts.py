"""Server-drawn SVG bar charts. Why SVG drawn here: the Content-Security-Policy forbids inline styles, and
SVG geometry is attributes, not styles; the page needs no JavaScript to show a chart, and every chart comes
with a table of the figures it draws (`Chart.rows`).

Why every month is labelled, zero included, over a drawn scale: a chart whose months are all 0 or hidden
drew nothing at all and read as broken (the first transparency screenshot); a reader must be able to tell
"nothing happened" and "not published" from "not drawn".
"""

from __future__ import annotations

from dataclasses import dataclass

HIDDEN = "hidden"


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
    css: str = ""


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class TableRow:
    category: str
    values: list[int | None]  # None: hidden
    total: int | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    bars: list[Bar]
    labels: list[Label]
    ticks: list[Tick]
    axis_y: float
    description: str
    series: list[str]
    rows: list[TableRow]
    message: str = ""  # shown across the plot when there is no bar to draw
    message_x: float = 0.0
    message_y: float = 0.0

    @property
    def tick_x(self) -> float:
        return self.left - 6


def nice_step(peak: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals up to `peak`."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    power = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power  # pragma: no cover (the loop always returns)


def _empty_message(rows: list[TableRow]) -> str:
    hidden = any(v is None for r in rows for v in r.values)
    if hidden:
        return "No bar to draw: every month is 0 or hidden to protect small counts (see the table)."
    return "No bar to draw: 0 in every month."


def stacked_bars(
    categories: list[str],
    series: list[tuple[str, str, list[int | None]]],
    *,
    description: str,
    width: int = 720,
    height: int = 260,
) -> Chart:
    """`series`: (name, css class, values per category); None = hidden (labelled "hidden", never drawn)."""
    left, right, bottom, top = 48.0, 8.0, 40.0, 20.0
    plot_h = height - bottom - top
    n = max(1, len(categories))
    slot = (width - left - right) / n
    bar_w = slot * 0.6
    rows = []
    for i, cat in enumerate(categories):
        values = [values[i] for _, _, values in series]
        total = None if any(v is None for v in values) else sum(v or 0 for v in values)
        rows.append(TableRow(cat, values, total))
    visible_totals = [sum(v or 0 for v in r.values) for r in rows]
    step = nice_step(max([0, *visible_totals]))
    top_value = max(step, -(-max([0, *visible_totals]) // step) * step)
    axis_y = top + plot_h
    ticks = [Tick(round(axis_y - plot_h * v / top_value, 1), f"{v:,}") for v in range(0, top_value + 1, step)]
    bars: list[Bar] = []
    labels: list[Label] = []
    for i, row in enumerate(rows):
        x = left + i * slot + (slot - bar_w) / 2
        y = axis_y
        for (name, css, _), v in zip(series, row.values, strict=True):
            if v is None or v == 0:
                continue
            h = plot_h * v / top_value
            y -= h
            bars.append(Bar(round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1), css, f"{row.category}: {name} {v:,}"))
        centre = round(x + bar_w / 2, 1)
        if any(v is None for v in row.values):
            labels.append(Label(centre, round(y - 4, 1), HIDDEN, css="chart-hidden"))
        else:
            labels.append(Label(centre, round(y - 4, 1), f"{row.total:,}"))
        labels.append(Label(centre, axis_y + 16, row.category))
    message = "" if bars else _empty_message(rows)
    return Chart(width, height, left, bars, labels, ticks, axis_y, description, [name for name, _, _ in series], rows,
                 message, round((left + width - right) / 2, 1), round(top + plot_h / 2, 1))
