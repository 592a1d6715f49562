"""Subcommands of `handoff report`: one registry, so every report (statutory ones here, re-arrest and
custody-time from the evidence work) shares one command instead of apps shadowing each other's `report`.

To add one: `SUBCOMMANDS["name"] = Subcommand(help, add_arguments, handle)`, where `add_arguments(parser)`
declares its options and `handle(options, stdout) -> int` runs it and returns the exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from handoff.cli import progress_bar


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handle: Callable[[dict[str, Any], TextIO], int]


SUBCOMMANDS: dict[str, Subcommand] = {}


def _statutory_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, required=True, help="the reporting (calendar) year")
    parser.add_argument("--jurisdiction", help="state or county FIPS code (default: the whole state)")
    parser.add_argument("--out", required=True, help="directory for the CSV and the printable HTML page")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--public", dest="public", action="store_true", default=None,
                       help="counts only, under disclosure control (the default for ca-truth)")
    group.add_argument("--no-public", dest="public", action="store_false",
                       help="records, for the agency's own filing")


def _statutory(name: str) -> Callable[[dict[str, Any], TextIO], int]:
    def handle(options: dict[str, Any], stdout: TextIO) -> int:
        from handoff.reports.statutory import build, write

        with progress_bar(True, 2, f"{name}: reading {options['year']}") as step:
            filing = build(name, options["year"], options.get("jurisdiction"), public=options.get("public"))
            step("writing the filing")
            paths = write(filing, Path(options["out"]))
            step()
        state = filing.certification if filing.zero else f"{len(filing.records)} {'rows' if filing.public else 'records'}"
        stdout.write(f"{filing.title}, {filing.year}: {state}\n")
        for p in paths:
            stdout.write(f"  wrote {p}\n")
        return 0

    return handle


def _florida(options: dict[str, Any], stdout: TextIO) -> int:
    from handoff.reports.statutory import FLORIDA_NOTE

    stdout.write(FLORIDA_NOTE + "\n")
    return 0


for _name, _help in (
    ("il-trust", "Illinois TRUST Act annual report to the Attorney General (5 ILCS 805/25)"),
    ("ca-transfers", "California transfers and the offense that allowed each (Gov. Code 7284.6(c)(2))"),
    ("ca-truth", "California TRUTH Act records of ICE access (Gov. Code 7283.1)"),
    ("or-declined", "Oregon log of declined requests for the Criminal Justice Commission (ORS 181A.826(3))"),
    ("over-detention", "Releases recorded after the hold's end, any state (Form I-247A 48 hours; issue 9)"),
):
    SUBCOMMANDS[_name] = Subcommand(_help, _statutory_arguments, _statutory(_name))
SUBCOMMANDS["fl-287g"] = Subcommand(
    "Florida: explains why no filing exists (Fla. Stat. ch. 908 asks for none)", _statutory_arguments, _florida)
