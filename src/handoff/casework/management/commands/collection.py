"""`handoff collection [--json]`: per facility, the fields its law forbids collecting or keeping and how many
records still hold each. `handoff collection purge [--include-uncertain] [--json]`: blank them (audited;
idempotent)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from handoff.access.actor import for_command
from handoff.audit import record
from handoff.casework import collection


class Command(BaseCommand):
    help = (
        "Collect only what the law allows (policy setting collection_limits: e.g. 5 ILCS 805/15(e) and\n"
        "RCW 10.93.160 bar keeping a person's place of birth). Lists, per facility, each limit in force with its\n"
        "citation, whether its reading is uncertain (listed for counsel, never enforced alone), and how many\n"
        "records still hold the field. `purge` blanks the enforced fields (and their old values in the record\n"
        "history); a second run changes nothing. Imports already drop these fields on the way in.\n\n"
        "Example: handoff collection --json\n"
        "         handoff collection purge\n"
        "         handoff collection purge --include-uncertain   # counsel decided the uncertain limits too\n\n"
        "Exit codes: 0 done (listing: nothing enforced is held); 1 listing: enforced fields are still held."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "purge"], default="list",
                            help="list (default) or purge")
        parser.add_argument("--include-uncertain", action="store_true",
                            help="purge: blank the fields whose limit is uncertain too (counsel decided)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge":
            self._purge(options)
            return
        held = collection.holdings()
        actor = for_command("", "cli:collection")
        with transaction.atomic():
            record(actor, "collection.read", object_type="facility", object_ids=[h.facility for h in held],
                   detail={"facilities": len(held)})
        still = sum(n for h in held for name, n in h.held.items()
                    if any(lim["field"] == name and lim["enforced"] for lim in h.limits))
        if options["json"]:
            self.stdout.write(json.dumps({"facilities": [h.to_dict() for h in held], "enforced_held": still}))
        else:
            if not held:
                self.stdout.write("No facility's law limits what may be collected.")
            for h in held:
                self.stdout.write(f"{h.facility} ({', '.join(h.policies)})")
                for lim in h.limits:
                    state = "enforced" if lim["enforced"] else "UNCERTAIN, not enforced: counsel decides"
                    self.stdout.write(f"  {lim['field']}: {h.held.get(lim['field'], 0)} held; {state}; {lim['cite']}")
            self.stdout.write(f"Enforced fields still held: {still}" + (" (run `handoff collection purge`)"
                                                                        if still else ""))
        if still:
            raise SystemExit(1)

    def _purge(self, options: dict[str, Any]) -> None:
        actor = for_command("", "cli:collection purge")
        with transaction.atomic():
            result = collection.purge(include_uncertain=options["include_uncertain"])
            record(actor, "collection.purge", object_type="facility", object_ids=sorted(result.by_facility),
                   detail={**result.to_dict(), "include_uncertain": options["include_uncertain"]})
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict()))
            return
        if not result.changed:
            self.stdout.write("Nothing to purge: no record holds a field its facility's law forbids keeping.")
            return
        for code, counts in sorted(result.by_facility.items()):
            self.stdout.write(f"{code}: " + ", ".join(f"{name} blanked in {n} record(s)" for name, n in counts.items()))
        if result.history_scrubbed:
            self.stdout.write(f"Record history: old values blanked in {result.history_scrubbed} entr(ies).")
