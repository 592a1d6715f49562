"""The re-arrest report as CSV and as a printable, accessible HTML page with its chart. Pure.

Why an SVG drawn here (as web/charts.py does): the page must print and be read without JavaScript, and
the chart must carry its own text alternative; every figure it draws is also in the table below it, so a
screen-reader user (or anyone checking the numbers) loses nothing.
"""

from __future__ import annotations

import csv
import io
from html import escape

from handoff.evidence.rearrest import GROUP_LABELS, RearrestResult

COLOURS = {"no_request": "#005ea2", "request_declined": "#d83933", "request_notified_released": "#008817",
           "historical_hold": "#5c5c5c"}
DASHES = {"no_request": "", "request_declined": "6 3", "request_notified_released": "2 3", "historical_hold": "8 2 2 2"}


def _pct(v: float | None) -> str:
    return "not estimable" if v is None else f"{100 * v:.1f}%"


def csv_text(result: RearrestResult) -> str:
    """One row per group and follow-up point, then the exclusions and the log-rank test (one file)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["as_of", "group", "released", "rearrested", "days", "rearrest_rate", "ci_low", "ci_high"])
    for g in result.groups:
        for p in g.km:
            w.writerow([result.as_of.isoformat(), g.group, g.released, g.rearrested, p.days,
                        "" if p.rearrest_rate is None else p.rearrest_rate, "" if p.ci_low is None else p.ci_low,
                        "" if p.ci_high is None else p.ci_high])
    w.writerow([])
    w.writerow(["excluded", "count"])
    for k, v in result.excluded.items():
        w.writerow([k, v])
    w.writerow([])
    lr = result.logrank
    w.writerow(["logrank_groups", "statistic", "degrees_of_freedom", "p_value"])
    w.writerow([" ".join(lr.groups), "" if lr.statistic is None else lr.statistic, lr.degrees_of_freedom,
                "" if lr.p_value is None else f"{lr.p_value:.6g}"])
    return out.getvalue()


def chart_svg(result: RearrestResult, *, width: int = 720, height: int = 320) -> str:
    """Step curves of the estimated share re-arrested by days since release, one per group."""
    left, right, top, bottom = 56.0, 16.0, 16.0, 44.0
    pw, ph = width - left - right, height - top - bottom
    max_days = 1095.0
    peak = max([0.0, *(r for g in result.groups for _, r in g.curve)])
    top_rate = max(0.1, min(1.0, (int(peak * 10) + 1) / 10))

    def x(d: float) -> float:
        return round(left + pw * min(d, max_days) / max_days, 1)

    def y(r: float) -> float:
        return round(top + ph * (1 - r / top_rate), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="km-title km-desc">',
        '<title id="km-title">Share re-arrested by days since release, by the request at release</title>',
        '<desc id="km-desc">Kaplan-Meier estimates; the same figures at 365, 730 and 1,095 days are in the '
        'table that follows the chart.</desc>',
    ]
    steps = 5
    for i in range(steps + 1):
        r = top_rate * i / steps
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(r)}" y2="{y(r)}" stroke="#dfe1e2"/>')
        parts.append(f'<text x="{left - 6}" y="{y(r) + 4}" text-anchor="end" font-size="12">{100 * r:.0f}%</text>')
    for tick in (0, 365, 730, 1095):
        parts.append(f'<text x="{x(tick)}" y="{height - bottom + 18}" text-anchor="middle" font-size="12">{tick}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" font-size="12">'
                 'days since release</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0)}" y2="{y(0)}" stroke="#1b1b1b"/>')
    for g in result.groups:
        if g.released == 0:
            continue
        pts: list[str] = []
        prev = 0.0
        for day, r in g.curve:
            pts.append(f"{x(day)},{y(prev)}")
            pts.append(f"{x(day)},{y(r)}")
            prev = r
        pts.append(f"{x(max_days)},{y(prev)}")
        dash = f' stroke-dasharray="{DASHES[g.group]}"' if DASHES[g.group] else ""
        parts.append(f'<polyline fill="none" stroke="{COLOURS[g.group]}" stroke-width="2"{dash} '
                     f'points="{" ".join(pts)}"><title>{escape(g.label)}</title></polyline>')
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(result: RearrestResult, *, scope: str) -> str:
    rows = []
    for g in result.groups:
        for p in g.km:
            ci = "" if p.ci_low is None else f"{_pct(p.ci_low)} to {_pct(p.ci_high)}"
            rows.append(f"<tr><th scope=\"row\">{escape(g.label)}</th><td>{g.released:,}</td>"
                        f"<td>{g.rearrested:,}</td><td>{p.days:,}</td><td>{_pct(p.rearrest_rate)}</td>"
                        f"<td>{ci}</td></tr>")
    legend = "".join(
        f'<li><svg width="28" height="10" aria-hidden="true"><line x1="0" x2="28" y1="5" y2="5" '
        f'stroke="{COLOURS[g]}" stroke-width="2"{" stroke-dasharray=" + chr(34) + DASHES[g] + chr(34) if DASHES[g] else ""}/>'
        f'</svg> {escape(label)}</li>' for g, label in GROUP_LABELS.items())
    lr = result.logrank
    if lr.p_value is None:
        test = "Log-rank test: not computed (fewer than two groups with releases, or no re-arrest)."
    else:
        test = (f"Log-rank test across {', '.join(lr.groups)}: chi-square {lr.statistic} on "
                f"{lr.degrees_of_freedom} degrees of freedom, p = {lr.p_value:.3g}.")
    period = (f"{result.start or 'the first release'} to {result.end or result.as_of}")
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Re-arrest after release, as of {result.as_of}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}
table{{border-collapse:collapse}}th,td{{border:1px solid #a9aeb1;padding:.3rem .6rem;text-align:right}}
th[scope=row],caption{{text-align:left}}ul.legend{{list-style:none;padding:0}}</style></head>
<body><main>
<h1>Re-arrest after release</h1>
<p>Releases to the community from {escape(scope)}, {escape(period)}, followed to the person's next booking in
any facility Handoff holds, censored at the end of {result.as_of} (Kaplan-Meier, 95% confidence intervals).
Releases to ICE ({result.excluded['transferred_to_ice']:,}) and to another agency's custody
({result.excluded['transferred_other']:,}) are counted and left out, as the Bureau of Justice Statistics does.</p>
<figure>{chart_svg(result)}<figcaption><ul class="legend">{legend}</ul></figcaption></figure>
<table><caption>Estimated share re-arrested (the figures the chart draws)</caption>
<thead><tr><th scope="col">Request at release</th><th scope="col">Released</th><th scope="col">Re-arrested</th>
<th scope="col">Days</th><th scope="col">Re-arrested within</th><th scope="col">95% interval</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>{escape(test)}</p>
<p>"Not estimable": nobody in the group has been followed that long yet.</p>
</main></body></html>
"""
