"""`handoff report rearrest|custody-time ...`: the evidence reports (issue 11), registered as subcommands of
the one `handoff report` command (handoff.reports.commands.SUBCOMMANDS) when the app is ready.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from handoff.cli import progress_bar
from handoff.core.errors import HandoffError, InvalidInput
from handoff.evidence import render, services
from handoff.evidence.rearrest import RearrestResult


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


REARREST_HELP = "re-arrest after release (BJS definitions, Kaplan-Meier, log-rank)"
CUSTODY_HELP = "days in custody with and without an ICE hold"


def rearrest_arguments(r: argparse.ArgumentParser) -> None:
    r.add_argument("--as-of", type=_date, required=True, help="follow-up ends at the end of this day (UTC)")
    r.add_argument("--from", dest="start", type=_date, help="first release day in the cohort")
    r.add_argument("--to", dest="end", type=_date, help="last release day in the cohort")
    r.add_argument("--jurisdiction", help="FIPS code: releases from facilities in this state or county")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the figures as JSON")
    fmt.add_argument("--csv", action="store_true", help="write rearrest.csv into --out")
    fmt.add_argument("--html", action="store_true", help="write rearrest.html (chart and table) into --out")
    r.add_argument("--out", type=Path, help="directory for --csv / --html")


def custody_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("--facility", required=True, help="facility code")
    c.add_argument("--offence-bookings-only", action="store_true",
                   help="leave out bookings whose most serious charge is a hold or a violation")
    c.add_argument("--json", action="store_true", help="print the figures as JSON")


def handle_rearrest(o: dict[str, Any], stdout: TextIO) -> int:
    if (o["csv"] or o["html"]) and not o["out"]:
        raise InvalidInput("--csv and --html write files: give --out DIR", "out")
    try:
        with progress_bar(not o["json"], steps=5) as step:
            result = services.rearrest_result(as_of=o["as_of"], start=o["start"], end=o["end"],
                                              jurisdiction_fips=o["jurisdiction"], progress=step,
                                              curve=bool(o["html"]))
    except HandoffError as exc:
        raise InvalidInput(str(exc)) from None
    if o["json"]:
        stdout.write(json.dumps(result.as_json()) + "\n")
        return 0
    if o["csv"] or o["html"]:
        out: Path = o["out"]
        out.mkdir(parents=True, exist_ok=True)
        if o["csv"]:
            path = out / "rearrest.csv"
            path.write_text(render.csv_text(result), encoding="utf-8")
        else:
            path = out / "rearrest.html"
            scope = f"jurisdiction {o['jurisdiction']}" if o["jurisdiction"] else "every facility"
            path.write_text(render.html_page(result, scope=scope), encoding="utf-8")
        stdout.write(f"wrote {path}\n")
        return 0
    stdout.write(_text(result))
    return 0


def _text(result: RearrestResult) -> str:
    lines = [f"Re-arrest after release, as of {result.as_of} (Kaplan-Meier, 95% CI)"]
    for g in result.groups:
        lines.append(f"  {g.group}: {g.released:,} released, {g.rearrested:,} re-arrested")
        for p in g.km:
            if p.rearrest_rate is None:
                lines.append(f"    {p.days:>5} days: not estimable (nobody followed that long)")
            else:
                lines.append(f"    {p.days:>5} days: {100 * p.rearrest_rate:5.1f}% "
                             f"({100 * (p.ci_low or 0):.1f}-{100 * (p.ci_high or 0):.1f}%)")
    lines.append(f"  left out: {result.excluded['transferred_to_ice']:,} transferred to ICE, "
                 f"{result.excluded['transferred_other']:,} to another agency")
    lr = result.logrank
    lines.append("  log-rank: not computed" if lr.p_value is None else
                 f"  log-rank: chi2 {lr.statistic} (df {lr.degrees_of_freedom}), p = {lr.p_value:.3g}")
    return "\n".join(lines) + "\n"


def handle_custody_time(o: dict[str, Any], stdout: TextIO) -> int:
    try:
        with progress_bar(not o["json"], steps=3) as step:
            figures = services.custody_time_figures(facility_code=o["facility"],
                                                    offence_bookings_only=o["offence_bookings_only"],
                                                    progress=step)
    except HandoffError as exc:
        raise InvalidInput(str(exc)) from None
    if o["json"]:
        stdout.write(json.dumps(figures) + "\n")
        return 0
    lines = [f"Time in custody at {o['facility']}"
             + (" (offence bookings only)" if o["offence_bookings_only"] else "")]
    for g in figures["groups"]:
        mean = "-" if g["mean_days"] is None else f"{g['mean_days']:.2f}"
        median = "-" if g["median_days"] is None else f"{g['median_days']:.2f}"
        lines.append(f"  {g['group']}: {g['bookings']:,} bookings, mean {mean} days, median {median} days, "
                     f"{g['released_to_ice']:,} released to ICE")
    stdout.write("\n".join(lines) + "\n")
    return 0


def register() -> None:
    """Add the evidence reports to `handoff report` (called from the app's ready())."""
    from handoff.reports.commands import SUBCOMMANDS, Subcommand

    SUBCOMMANDS.setdefault("rearrest", Subcommand(REARREST_HELP, rearrest_arguments, handle_rearrest))
    SUBCOMMANDS.setdefault("custody-time", Subcommand(CUSTODY_HELP, custody_arguments, handle_custody_time))
