"""`handoff jurisdiction show FIPS` / `handoff jurisdiction set FIPS --confidential on|off`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.core import clock
from handoff.core.errors import HandoffError
from handoff.jurisdictions import services
from handoff.jurisdictions.models import PolicyAssignment


class Command(BaseCommand):
    help = (
        "Show the governing policies of a place, or mark its cooperation confidential.\n\n"
        "Examples: handoff jurisdiction show 06037\n          handoff jurisdiction set 24031 --confidential on"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show")
        show.add_argument("fips")
        show.add_argument("--json", action="store_true")
        set_ = sub.add_parser("set")
        set_.add_argument("fips")
        set_.add_argument("--confidential", choices=["on", "off"], required=True)
        set_.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                if options["action"] == "set":
                    changed = services.set_confidential(options["fips"], options["confidential"] == "on", clock.now())
                    record(system_actor("cli:jurisdiction"), "permission.confidential_set", object_type="jurisdiction",
                           object_ids=[changed.pk], detail={"fips": changed.fips, "confidential": changed.confidential})
                place = services.get_jurisdiction(options["fips"])
                chain = place.chain()
                policies = [
                    {"jurisdiction": j.fips, "name": j.name, "policies": sorted(
                        PolicyAssignment.objects.filter(jurisdiction=j).values_list("policy_id", flat=True))}
                    for j in chain
                ]
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        result = {"fips": place.fips, "name": place.name, "kind": place.kind, "confidential": place.confidential,
                  "chain": policies}
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(f"{place.name} ({place.fips}), {place.kind}" + (" - CONFIDENTIAL cooperation" if place.confidential else ""))
        for level in policies:
            self.stdout.write(f"  {level['jurisdiction']:>6} {level['name']}: {', '.join(level['policies']) or '-'}")
