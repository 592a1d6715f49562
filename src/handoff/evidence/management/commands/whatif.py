"""`handoff whatif --chain us-federal,us-<st>[@DATE] --from --to --jurisdiction FIPS [--json]`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.core.errors import HandoffError
from handoff.evidence.cli import _date, progress_bar
from handoff.evidence.whatif import parse_chain, replay


class Command(BaseCommand):
    help = (
        "Replay a period's real requests under another policy chain (or the law as it stood on a date) and\n"
        "show, request by request and in totals, how notices, holds and transfers would differ.\n\n"
        "Example: handoff whatif --chain us-federal,us-ca --from 2025-01-01 --to 2025-12-31 --jurisdiction 53053\n"
        "         handoff whatif --chain us-federal,us-wa@2019-01-01 --jurisdiction 53 --json\n\n"
        "Exit codes: 0 done; 2 refused input (the reason is printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", required=True, help="policy ids, nation first; @DATE pins their versions")
        parser.add_argument("--from", dest="start", type=_date, help="first day a request was received")
        parser.add_argument("--to", dest="end", type=_date, help="last day a request was received")
        parser.add_argument("--jurisdiction", help="FIPS code of the state or county whose requests to replay")
        parser.add_argument("--json", action="store_true", help="print the replay as JSON")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            spec = parse_chain(o["chain"])
            with progress_bar(not o["json"], steps=1) as step:
                seen: set[int] = set()

                def tick(i: int, n: int) -> None:
                    if n and (i * 20) // n not in seen:
                        seen.add((i * 20) // n)
                        step(f"replaying {i:,} of {n:,} requests")

                result = replay(spec, start=o["start"], end=o["end"], jurisdiction_fips=o["jurisdiction"],
                                progress=tick)
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if o["json"]:
            self.stdout.write(json.dumps(result.as_json()))
            return
        t = result.totals()
        period = f"{o['start'] or date.min} to {o['end'] or 'now'}" if (o["start"] or o["end"]) else "all time"
        lines = [f"What-if: {result.chain} over requests received {period}"
                 + (f" in {o['jurisdiction']}" if o["jurisdiction"] else ""),
                 f"  {t['requests']:,} requests replayed, {t['changed']:,} would be decided differently"
                 + (f", {t['not_replayed']} could not be replayed" if t["not_replayed"] else ""),
                 f"  notify before release: {t['notify']['actual']:,} on record -> {t['notify']['whatif']:,}"]
        for v, c in t["hold"].items():
            lines.append(f"  hold {v}: {c['actual']:,} -> {c['whatif']:,}")
        for v, c in t["transfer"].items():
            lines.append(f"  transfer {v}: {c['actual']:,} -> {c['whatif']:,}")
        changed = [r for r in result.requests if r.differs]
        if changed:
            lines.append("  request            facility      day         notify    hold                  transfer")
        for r in changed:
            a, w = r.actual, r.whatif
            lines.append(f"  {r.request_id:<18} {r.facility:<13} {r.at}  {a.notify!s:>5}->{w.notify!s:<5} "
                         f"{a.hold:>10}->{w.hold:<10} {a.transfer:>10}->{w.transfer}")
        for e in result.errors:
            lines.append(f"  not replayed: {e['request_id']}: {e['reason']}")
        self.stdout.write("\n".join(lines) + "\n")
