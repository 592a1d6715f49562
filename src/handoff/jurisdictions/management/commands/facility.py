"""`handoff facility add CODE --jurisdiction FIPS --name NAME [--timezone TZ]`."""

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
        "Register a jail.\n\nExample: handoff facility add CA-LA-MCJ --jurisdiction 06037 "
        '--name "Men\'s Central Jail" --timezone America/Los_Angeles'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register or update a facility")
        add.add_argument("code")
        add.add_argument("--jurisdiction", required=True, help="5-digit county FIPS code")
        add.add_argument("--name", required=True)
        add.add_argument("--timezone", help="IANA zone; default: the state's")
        add.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                facility, created = services.add_facility(
                    options["code"], options["jurisdiction"], options["name"], options.get("timezone"),
                )
                record(system_actor("cli:facility"), "facility.set", object_type="facility",
                       object_ids=[facility.pk], detail={"code": facility.code, "created": created, "jurisdiction": facility.jurisdiction.fips})  # security review M4
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        result = {"code": facility.code, "jurisdiction": facility.jurisdiction.fips, "timezone": facility.timezone,
                  "created": created}
        self.stdout.write(json.dumps(result) if options["json"] else
                          f"{'Added' if created else 'Updated'} facility {facility.code} in {facility.jurisdiction} ({facility.timezone})")
