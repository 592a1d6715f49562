"""`handoff letters list|handover|pdf`: the written notices to the person and to their attorney or designee.

Why a command beside the page and the API: a jail that hands letters over at the cell door records them in
batches from a terminal; every hand-over goes through the same service and lands in the audit log.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.core.errors import HandoffError
from handoff.notices import letters, services
from handoff.notices.models import LETTER_KINDS, Notice, NoticeStatus
from handoff.notices.payloads import iso


def _row(n: Notice) -> dict[str, Any]:
    return {"notice_id": str(n.uid), "kind": n.kind, "to": services.LETTER_ADDRESSEE.get(n.kind, "person"),
            "status": n.status, "request_id": n.request.request_id, "facility": n.request.facility.code,
            "created_at": iso(n.created_at), "handed_over_at": iso(n.sent_at),
            "supersedes": str(n.supersedes.uid) if n.supersedes is not None else None}


def _parse_at(value: str, tz: str) -> datetime:
    """ISO 8601; a time without an offset is the jail's local time (what the clerk's watch says)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--at: not an ISO 8601 time: {value!r}", returncode=2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz or "UTC"))


class Command(BaseCommand):
    help = (
        "The letters to the person and to their attorney or designee (TRUTH Act copy of the request,\n"
        "release-date notices, the notices other states require).\n\n"
        "Examples: handoff letters list --request ICE-2025-0001 --json\n"
        "          handoff letters handover 6f1c...e2 --to person --at 2026-12-05T14:30\n"
        "          handoff letters pdf 6f1c...e2 --lang es --out letter.pdf\n\n"
        "--at without an offset is the jail's local time. A hand-over before the letter existed or in the\n"
        "future is refused with the reason (exit 2)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="letters, newest last; only those not yet handed over with --open")
        ls.add_argument("--request", help="request id")
        ls.add_argument("--open", action="store_true", help="only letters waiting to be handed over")
        ls.add_argument("--json", action="store_true")
        ho = sub.add_parser("handover", help="record that a letter was handed over")
        ho.add_argument("notice_id")
        ho.add_argument("--to", required=True, choices=services.HANDOVER_RECIPIENTS)
        ho.add_argument("--at", help="when (ISO 8601; default now)")
        ho.add_argument("--language", default="en", choices=letters.LANGUAGES)
        ho.add_argument("--recipient", default="", help="who received it (name)")
        ho.add_argument("--note", default="")
        ho.add_argument("--json", action="store_true")
        pdf = sub.add_parser("pdf", help="write a letter as PDF")
        pdf.add_argument("notice_id")
        pdf.add_argument("--lang", default="en", choices=letters.LANGUAGES)
        pdf.add_argument("--out", required=True, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            qs = Notice.objects.filter(kind__in=LETTER_KINDS).select_related(
                "request", "request__facility", "supersedes").order_by("created_at", "pk")
            if options["request"]:
                qs = qs.filter(request__request_id=options["request"])
            if options["open"]:
                qs = qs.filter(status=NoticeStatus.SCHEDULED)
            rows = [_row(n) for n in qs]
            if options["json"]:
                self.stdout.write(json.dumps({"letters": rows}))
                return
            if not rows:
                self.stdout.write("No letters.")
            for r in rows:
                self.stdout.write(f"{r['notice_id']}  {r['kind']:20} to {r['to']:8} {r['status']:10} "
                                  f"{r['request_id']:24} {r['facility']:10} handed over {r['handed_over_at'] or '-'}")
            return
        try:
            notice = services.get_notice(options["notice_id"])
            if action == "pdf":
                Path(options["out"]).write_bytes(letters.render_pdf(notice, options["lang"]))
                self.stdout.write(f"wrote {options['out']}")
                return
            at = _parse_at(options["at"], notice.request.facility.timezone) if options["at"] else None
            with transaction.atomic():
                handover = services.record_handover(
                    notice.uid, to=options["to"], handed_over_at=at, language=options["language"],
                    recipient=options["recipient"], note=options["note"])
                record(system_actor("cli:letters"), "letter.handover", object_type="notice",
                       object_ids=[notice.pk], detail={"request": notice.request.request_id, "kind": notice.kind,
                                                       "to": options["to"], "at": iso(handover.handed_over_at)})
        except HandoffError as exc:
            if action == "handover":
                with transaction.atomic():
                    record(system_actor("cli:letters"), "letter.handover", outcome="failure", object_type="notice",
                           object_ids=[options["notice_id"]], detail={"error": exc.code})
            raise CommandError(str(exc), returncode=2) from exc
        out = {"notice_id": str(notice.uid), "kind": notice.kind, "to": options["to"],
               "handed_over_at": iso(handover.handed_over_at), "recorded_at": iso(handover.recorded_at)}
        if options["json"]:
            self.stdout.write(json.dumps(out))
        else:
            self.stdout.write(f"{notice.get_kind_display()} {notice.uid} handed over to the {options['to']} at "
                              f"{out['handed_over_at']}")
