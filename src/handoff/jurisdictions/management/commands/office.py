"""`handoff office add CODE --name NAME [--webhook URL --secret SECRET] [--email ADDR] [--covers FIPS ...]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.core.errors import HandoffError
from handoff.jurisdictions import services


class Command(BaseCommand):
    help = (
        "Register a federal office, how it receives notices, and the jurisdictions it covers.\n\n"
        'Example: handoff office add SFR --name "ICE ERO San Francisco" --webhook https://ero.example/hook '
        "--secret whsec_... --email sfr@example.gov --covers 06001 06075"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register or update an office")
        add.add_argument("code")
        add.add_argument("--name", required=True)
        add.add_argument("--webhook", default="")
        add.add_argument("--secret", default="", help="Standard Webhooks secret (whsec_<base64>)")
        add.add_argument("--email", default="")
        add.add_argument("--escalation-email", default="", help="second contact for escalations")
        add.add_argument("--escalation-webhook", default="")
        add.add_argument("--escalation-secret", default="",
                         help="Standard Webhooks secret of the escalation receiver (default: --secret)")
        add.add_argument("--covers", nargs="*", default=[], help="FIPS codes of covered jurisdictions")
        add.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                office, created = services.add_office(
                    options["code"], options["name"], webhook_url=options["webhook"],
                    webhook_secret=options["secret"], email=options["email"],
                    escalation_email=options["escalation_email"],
                    escalation_webhook_url=options["escalation_webhook"],
                    escalation_webhook_secret=options["escalation_secret"], covers=options["covers"],
                )
                covers = sorted(office.covers.values_list("fips", flat=True))
                # who an office covers decides who sees confidential names: a permission change, audited
                # in the same transaction (security review M4); never the secret itself
                record(system_actor("cli:office"), "permission.office_set", object_type="federal_office",
                       object_ids=[office.pk], detail={"code": office.code, "created": created, "covers": covers,
                           "webhook": bool(office.webhook_url), "email": bool(office.email)})
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        covers = sorted(office.covers.values_list("fips", flat=True))
        result = {"code": office.code, "covers": covers, "created": created}
        self.stdout.write(json.dumps(result) if options["json"] else
                          f"{'Added' if created else 'Updated'} office {office.code}; covers {', '.join(covers) or 'nothing yet'}")
