"""`handoff report <name> ...`: the reports, one subcommand each (see handoff.reports.commands)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.core.errors import InvalidInput
from handoff.reports.commands import SUBCOMMANDS


class Command(BaseCommand):
    help = (
        "Write a report: the statutory filings (il-trust, ca-transfers, ca-truth, or-declined, fl-287g) and others.\n\n"
        "Examples:\n"
        "  handoff report il-trust --year 2026 --out filings/\n"
        "  handoff report rearrest --as-of 2026-12-01 --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        for name, spec in sorted(SUBCOMMANDS.items()):
            spec.add_arguments(sub.add_parser(name, help=spec.help))

    def handle(self, *args: Any, **options: Any) -> None:
        spec = SUBCOMMANDS[options["report"]]
        try:
            code = spec.handle(options, self.stdout)  # type: ignore[arg-type]  # OutputWrapper writes like a TextIO
        except InvalidInput as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if code:
            raise CommandError(f"report {options['report']} failed", returncode=code)
