"""`handoff requests recheck [--all] [--json]`: the daily re-check of open requests.
`handoff requests link REQUEST_ID --booking FACILITY/NUMBER --reason TEXT [--as USER] [--json]`: link a request
to a booking by hand (issue 12.1)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.access import scoping
from handoff.access.actor import for_command
from handoff.access.errors import Forbidden
from handoff.audit import record
from handoff.casework import flow as services
from handoff.core.errors import HandoffError


class Command(BaseCommand):
    help = (
        "Re-evaluate open requests whose answer may have changed with time alone: a policy version that took\n"
        "effect since their decision, or a conviction lookback window (5 or 15 years) that rolled over.\n"
        "Run it daily (the notice worker also runs it once a day).\n\n"
        "Example: handoff requests recheck --json\n"
        "         handoff requests recheck --all      # re-evaluate every open request\n"
        "         handoff requests link LOS-2025-0101 --booking LA-MCJ/24-001 \\\n"
        "             --reason 'A-number on the faxed I-213 matches' --as clerk_la\n\n"
        "Exit codes: 0 done; 1 some requests could not be re-evaluated (listed); 2 bad input, or a request or\n"
        "booking not found (another county's booking is not found)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recheck = sub.add_parser("recheck", help="re-evaluate open requests whose answer may have changed")
        recheck.add_argument("--all", action="store_true", help="re-evaluate every open request")
        recheck.add_argument("--json", action="store_true")
        link = sub.add_parser("link", help="link a request to a booking by hand, with a reason (audited)")
        link.add_argument("request_id")
        link.add_argument("--booking", required=True, help="FACILITY/NUMBER, e.g. LA-MCJ/24-001")
        link.add_argument("--reason", required=True, help="why this booking is the request's subject")
        link.add_argument("--as", dest="as_user", default="",
                          help="link as this user, within their facilities (default: the system)")
        link.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "link":
            try:
                self._link(options)
            except HandoffError as exc:
                raise CommandError(str(exc), returncode=2) from exc
            return
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

    def _link(self, options: dict[str, Any]) -> None:
        actor = for_command(options["as_user"], "cli:requests link")
        if not (actor.is_global or (actor.can_write and actor.has_role("jail_clerk", "jail_supervisor", "admin"))):
            raise Forbidden("only jail staff link requests to bookings")
        reason = options["reason"].strip()
        try:
            with transaction.atomic():
                req = scoping.get_request(actor, options["request_id"])
                if not actor.is_global:
                    scoping.writable_facility(actor, req.facility.code)
                booking = scoping.get_booking(actor, options["booking"])
                user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.user_id else None
                services.link_by_hand(req, booking, by=user, reason=reason)
                record(actor, "request.link", object_type="request", object_ids=[req.request_id, booking.pk],
                       detail={"booking": booking.pk, "reason": reason})
        except HandoffError as exc:
            with transaction.atomic():
                record(actor, "request.link", outcome="not_found" if exc.code == "not_found" else "failure",
                       object_type="request", object_ids=[options["request_id"]], detail={"error": exc.code})
            raise
        req.refresh_from_db()
        decision = req.current_decision
        out = {"request_id": req.request_id, "status": req.status, "booking": options["booking"].strip(),
               "decision": decision.pk if decision else None}
        if options["json"]:
            self.stdout.write(json.dumps(out))
        else:
            self.stdout.write(f"Request {req.request_id} linked to booking {booking.booking_number}; "
                              f"status {req.status}, the law applied (decision #{out['decision']}).")

