"""`handoff holds [--json]`: the live holds, with what each one's clock says now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handoff.core import clock
from handoff.requests.holds import live_holds
from handoff.requests.models import ImmigrationRequest


def _left(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"


class Command(BaseCommand):
    help = (
        "List every hold a decision permits or requires for a person still in custody, with when it ends\n"
        "(release time + 48 clock hours: the I-247A's ceiling binds even where 8 CFR 287.7(d) would count\n"
        "business hours) and its state: upcoming, holding, expired (release now) or no_release_time.\n\n"
        "Example: handoff holds\n"
        "         handoff holds --json\n\n"
        "Exit codes: 0 listed; 1 at least one hold has expired with the person still in custody."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help='print {"now", "holds": [...]}')

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        holds = live_holds(ImmigrationRequest.objects.all(), now)
        if options["json"]:
            self.stdout.write(json.dumps({"now": now.isoformat(), "holds": [h.as_json() for h in holds]}))
        else:
            if not holds:
                self.stdout.write("No live holds.")
            for h in holds:
                self.stdout.write(
                    f"{h.state:16} {h.request_id:24} {h.facility:10} booking {h.booking_number:14} "
                    f"release {h.release_at.isoformat() if h.release_at else '-':26} "
                    f"hold until {h.hold_until.isoformat() if h.hold_until else '-':26} left {_left(h.seconds_left)}"
                    + (f"  ({h.note})" if h.note else ""))
        if any(h.state == "expired" for h in holds):
            raise SystemExit(1)
