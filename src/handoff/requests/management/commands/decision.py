"""`handoff decision show REQUEST_ID [--json]`: the current decision for a request, with its reasons."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.requests.models import ImmigrationRequest
from handoff.requests.presenters import decision_json, decision_text


class Command(BaseCommand):
    help = (
        "Show the current decision for a request: the request, the facts, the policies consulted with their\n"
        "versions, the outcome, and every rule evaluated with its citation.\n\n"
        "Example: handoff decision show ICE-2025-000123\n"
        "         handoff decision show ICE-2025-000123 --json\n\n"
        "Exit codes: 0 shown; 1 the request has no decision yet (not matched to a booking); 2 unknown request."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print the current decision for a request")
        show.add_argument("request_id")
        show.add_argument("--json", action="store_true", help="print the decision as JSON (the API's decision object)")
        show.add_argument("--office", default="", help="the office's code, when several requests carry the id")
        show.add_argument("--facility", default="", help="the facility's code, when several requests carry the id")

    def handle(self, *args: Any, **options: Any) -> None:
        request_id = options["request_id"]
        qs = (
            ImmigrationRequest.objects.select_related(
                "facility__jurisdiction", "office", "booking", "current_decision__override_by",
                "current_decision__overrides",
            )
            .filter(request_id=request_id)
        )
        # ids are unique per office and facility (review M8): --office and --facility tell them apart
        if options.get("office"):
            qs = qs.filter(office__code=options["office"])
        if options.get("facility"):
            qs = qs.filter(facility__code=options["facility"])
        found = list(qs.order_by("pk")[:2])
        if len(found) > 1:
            raise CommandError(f"several requests carry the id {request_id!r}: give --office and --facility",
                               returncode=2)
        req = found[0] if found else None
        # a read of a decision (and the person's facts in it) from the command line is audited like one
        # through the API or a page (security review M4)
        with transaction.atomic():
            record(system_actor("cli:decision"), "decision.read", outcome="success" if req else "not_found",
                   object_type="request", object_ids=[req.pk] if req else [],
                   detail={"request_id": str(request_id)[:80], "door": "cli"})
        if req is None:
            raise CommandError(f"unknown request {request_id!r}", returncode=2)
        if options["json"]:
            if req.current_decision is None:
                self.stdout.write(json.dumps({
                    "request_id": req.request_id, "status": req.status, "decision": None,
                    "match_note": req.match_note, "match_candidates": list(req.match_candidates),
                    "error": "no_decision",
                }))
                raise SystemExit(1)
            self.stdout.write(json.dumps(decision_json(req.current_decision, req)))
            return
        self.stdout.write(decision_text(req), ending="")
        if req.current_decision is None:
            raise SystemExit(1)
