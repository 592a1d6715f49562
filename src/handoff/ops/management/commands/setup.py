"""`handoff setup`: create or migrate the database and load reference data. Idempotent."""

from __future__ import annotations

import json
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from handoff.ops import setup as core_setup


class Command(BaseCommand):
    help = "Create or migrate the database; load jurisdictions, shipped policies and offence tables.\n\nExample: handoff setup"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            summary = core_setup.load_reference_data()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            for key, value in summary.items():
                self.stdout.write(f"{key}: {value}")
