"""`handoff notices [--status S] [--due-before T] [--kind K] [--office CODE] [--request ID] [--at-risk] [--json]`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.core import clock
from handoff.notices import metrics, services
from handoff.notices.models import Notice, NoticeKind, NoticeStatus


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--due-before: not an ISO 8601 time: {value!r}", returncode=2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "List notices with their deliveries. A time without an offset is read as UTC (the list spans "
        "facilities in several time zones).\n\n"
        "Example: handoff notices --status scheduled --due-before 2025-06-01T12:00:00Z --json\n"
        "         handoff notices --at-risk"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=NoticeStatus.values)
        parser.add_argument("--due-before", type=_when, help="ISO 8601 time")
        parser.add_argument("--kind", choices=NoticeKind.values)
        parser.add_argument("--office", help="office code")
        parser.add_argument("--request", help="request id")
        parser.add_argument("--at-risk", action="store_true", help="release notices that may not reach the office in time (as on the jail dashboard)")
        parser.add_argument("--limit", type=int, default=500)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        qs = Notice.objects.with_at_risk(now).select_related("request", "request__facility", "office", "booking",
                                                                "supersedes")
        if options["status"]:
            qs = qs.filter(status=options["status"])
        if options["due_before"]:
            qs = qs.filter(due_at__lt=options["due_before"])
        if options["kind"]:
            qs = qs.filter(kind=options["kind"])
        if options["office"]:
            qs = qs.filter(office__code=options["office"])
        if options["request"]:
            qs = qs.filter(request__request_id=options["request"])
        if options["at_risk"]:
            qs = qs.at_risk(now)
        total = qs.count()
        rows = [services.notice_summary(n, now)
                for n in qs.prefetch_related("deliveries").order_by("due_at", "pk")[: options["limit"]]]
        with transaction.atomic():  # security review M4: a listing from the command line is a read too
            record(system_actor("cli:notices"), "notice.list", object_type="notice",
                   object_ids=[r["notice_id"] for r in rows[:200]],
                   detail={"shown": len(rows), "total": total, "door": "cli",
                           "filters": {k: str(options[k]) for k in ("status", "due_before", "kind", "office",
                                                                   "request", "at_risk") if options.get(k)}})
        age, overdue = metrics.oldest_overdue(now)
        if options["json"]:
            self.stdout.write(json.dumps({"count": total, "shown": len(rows), "notices": rows,
                                          "oldest_overdue_delivery_seconds": round(age, 3),
                                          "overdue_deliveries": overdue}))
            return
        if not rows:
            self.stdout.write("No notices.")
        for r in rows:
            flags = " ".join(f for f, on in (("SHORT", r["short_notice"]), ("MISSED", r["missed"]),
                                             ("AT-RISK", r["at_risk"])) if on)
            chans = ", ".join(f"{d['channel']}:{d['status']}({d['attempts']})" for d in r["deliveries"]) or "-"
            self.stdout.write(f"{r['notice_id']}  {r['kind']:<24} {r['status']:<12} due {r['due_at'] or '-':<27} "
                              f"release {r['release_at'] or '-':<27} {r['office']:<8} {r['request_id']}  "
                              f"[{chans}] {flags}")
        self.stdout.write(f"{len(rows)} of {total} shown; {overdue} deliveries overdue, oldest {age:.0f} s.")
