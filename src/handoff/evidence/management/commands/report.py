"""`handoff report rearrest|custody-time ...`: the evidence reports (issue 11).

Why subcommands of one `report` command: Django allows one `report` command in the whole project; the
statutory reports (`reports`) are meant to join as further subcommands here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.core.errors import HandoffError
from handoff.evidence import render, services
from handoff.evidence.rearrest import RearrestResult
from handoff.evidence.services import Progress


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


@contextmanager
def progress_bar(enabled: bool, steps: int) -> Iterator[Progress]:
    """A rich progress bar on a terminal (stderr), nothing otherwise: JSON output and pipes stay clean."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
             console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=steps)

        def step(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        yield step


class Command(BaseCommand):
    help = (
        "Evidence reports.\n\n"
        "  handoff report rearrest --as-of 2024-12-31 [--from 2022-01-01 --to 2022-12-31] [--jurisdiction 53053]\n"
        "                          [--json | --csv --out DIR | --html --out DIR]\n"
        "  handoff report custody-time --facility WA-PIERCE [--offence-bookings-only] [--json]\n\n"
        "Exit codes: 0 done; 2 refused input (the reason is printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        r = sub.add_parser("rearrest", help="re-arrest after release (BJS definitions, Kaplan-Meier)")
        r.add_argument("--as-of", type=_date, required=True, help="follow-up ends at the end of this day (UTC)")
        r.add_argument("--from", dest="start", type=_date, help="first release day in the cohort")
        r.add_argument("--to", dest="end", type=_date, help="last release day in the cohort")
        r.add_argument("--jurisdiction", help="FIPS code: releases from facilities in this state or county")
        fmt = r.add_mutually_exclusive_group()
        fmt.add_argument("--json", action="store_true", help="print the figures as JSON")
        fmt.add_argument("--csv", action="store_true", help="write rearrest.csv into --out")
        fmt.add_argument("--html", action="store_true", help="write rearrest.html (chart and table) into --out")
        r.add_argument("--out", type=Path, help="directory for --csv / --html")
        c = sub.add_parser("custody-time", help="days in custody with and without an ICE hold")
        c.add_argument("--facility", required=True, help="facility code")
        c.add_argument("--offence-bookings-only", action="store_true",
                       help="leave out bookings whose most serious charge is a hold or a violation")
        c.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["report"] == "rearrest":
                self._rearrest(options)
            else:
                self._custody_time(options)
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from None

    def _rearrest(self, o: dict[str, Any]) -> None:
        if (o["csv"] or o["html"]) and not o["out"]:
            raise CommandError("--csv and --html write files: give --out DIR", returncode=2)
        with progress_bar(not o["json"], steps=5) as step:
            result = services.rearrest_result(as_of=o["as_of"], start=o["start"], end=o["end"],
                                              jurisdiction_fips=o["jurisdiction"], progress=step,
                                              curve=bool(o["html"]))
        if o["json"]:
            self.stdout.write(json.dumps(result.as_json()))
            return
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
            self.stdout.write(f"wrote {path}")
            return
        self.stdout.write(self._text(result))

    @staticmethod
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

    def _custody_time(self, o: dict[str, Any]) -> None:
        with progress_bar(not o["json"], steps=3) as step:
            figures = services.custody_time_figures(facility_code=o["facility"],
                                                    offence_bookings_only=o["offence_bookings_only"],
                                                    progress=step)
        if o["json"]:
            self.stdout.write(json.dumps(figures))
            return
        lines = [f"Time in custody at {o['facility']}"
                 + (" (offence bookings only)" if o["offence_bookings_only"] else "")]
        for g in figures["groups"]:
            mean = "-" if g["mean_days"] is None else f"{g['mean_days']:.2f}"
            median = "-" if g["median_days"] is None else f"{g['median_days']:.2f}"
            lines.append(f"  {g['group']}: {g['bookings']:,} bookings, mean {mean} days, median {median} days, "
                         f"{g['released_to_ice']:,} released to ICE")
        self.stdout.write("\n".join(lines) + "\n")
