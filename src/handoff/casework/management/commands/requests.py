"""`handoff requests recheck [--all] [--json]`: the daily re-check of open requests."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handoff.casework import flow as services


class Command(BaseCommand):
    help = (
        "Re-evaluate open requests whose answer may have changed with time alone: a policy version that took\n"
        "effect since their decision, or a conviction lookback window (5 or 15 years) that rolled over.\n"
        "Run it daily (the notice worker also runs it once a day).\n\n"
        "Example: handoff requests recheck --json\n"
        "         handoff requests recheck --all      # re-evaluate every open request\n\n"
        "Exit codes: 0 done; 1 some requests could not be re-evaluated (listed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recheck = sub.add_parser("recheck", help="re-evaluate open requests whose answer may have changed")
        recheck.add_argument("--all", action="store_true", help="re-evaluate every open request")
        recheck.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.recheck(all_open=options["all"])
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict()))
        else:
            self.stdout.write(
                f"Checked {result.checked} open request(s): re-evaluated {result.redecided}, "
                f"answer changed for {result.changed}, failed {len(result.failed)}."
            )
            for failure in result.failed:
                self.stderr.write(f"  {failure['request_id']}: {failure['error']}")
        if result.failed:
            raise SystemExit(1)
