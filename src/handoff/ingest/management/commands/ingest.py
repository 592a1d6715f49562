"""`handoff ingest bookings|charges|convictions|requests|withdrawals PATH [...]`."""

from __future__ import annotations

import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.audit import record
from handoff.audit.services import system_actor
from handoff.cli import progress_bar
from handoff.core.errors import HandoffError
from handoff.ingest.contract import Handler
from handoff.ingest.handlers import BookingHandler, ChargeHandler, ConvictionHandler
from handoff.ingest.mapping import load_mapping
from handoff.ingest.runner import BATCH_SIZE, MAX_TX_ROWS, Committed, run_ingest

HANDLERS: dict[str, str] = {
    "bookings": "handoff.ingest.handlers:BookingHandler",
    "charges": "handoff.ingest.handlers:ChargeHandler",
    "convictions": "handoff.ingest.handlers:ConvictionHandler",
    "requests": "handoff.ingest.request_handlers:RequestHandler",
    "withdrawals": "handoff.ingest.request_handlers:WithdrawalHandler",
}
_LOCAL: dict[str, type[Handler]] = {"bookings": BookingHandler, "charges": ChargeHandler, "convictions": ConvictionHandler}


def make_handler(kind: str, source: str) -> Handler:
    """Custody's handlers directly; the requests app's lazily (it may not be installed yet)."""
    if kind in _LOCAL:
        return _LOCAL[kind](source=source)  # type: ignore[call-arg]
    module, _, name = HANDLERS[kind].partition(":")
    try:
        cls = getattr(import_module(module), name)
    except (ImportError, AttributeError):
        raise CommandError(f"importing {kind} is not available yet ({HANDLERS[kind]} is missing)",
                           returncode=2) from None
    handler: Handler = cls(source=source)
    return handler


class Command(BaseCommand):
    # An import needs the database, not the URL configuration or templates: checks of those belong to serve.
    requires_system_checks: list[str] = []
    help = (
        "Import a jail export or federal requests from CSV or JSON Lines (optionally gzip-compressed).\n\n"
        "Accepted rows are committed in batches even when others are rejected; every problem is written to the "
        "rejects CSV (row, field, value, reason). Running the same file again changes nothing.\n"
        "Exit codes: 0 all rows accepted; 1 some rows rejected; 2 usage error or unreadable input.\n"
        "--json prints {accepted (created), updated, unchanged, rejected, rejects_path, rows, skipped, repeated, ...}.\n\n"
        "Examples:\n"
        "  handoff ingest bookings export.csv --rejects rejects.csv\n"
        "  handoff ingest charges allholds.csv.gz --mapping examples/mappings/pierce-county-wa.yaml --json\n"
        "  handoff ingest requests requests.jsonl"
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(HANDLERS), help="what the file holds")
        parser.add_argument("path", help="the file (.csv, .jsonl, optionally .gz)")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the mapping or the file name")
        parser.add_argument("--mapping", help="YAML column map for a foreign export (see examples/mappings/)")
        parser.add_argument("--rejects", help="where to write rejected rows (default: PATH.rejects.csv)")
        parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed from the header line)")
        parser.add_argument("--encoding", help="text encoding (default: UTF-8, Latin-1 per line as a fallback)")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows read and checked for repeats together "
                            f"(a write transaction holds at most {MAX_TX_ROWS:,} of them)")
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        path = Path(options["path"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        try:
            mapping = load_mapping(options["mapping"]) if options.get("mapping") else None
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        delimiter = options.get("delimiter")
        if delimiter in ("\\t", "tab"):
            delimiter = "\t"
        if delimiter is not None and len(delimiter) != 1:
            raise CommandError("--delimiter must be one character", returncode=2)
        handler = make_handler(kind, f"ingest {kind} {path.name}"[:200])
        as_json = options["json"]

        def warn(msg: str) -> None:
            self.stderr.write(f"warning: {msg}")

        actor = system_actor("cli:ingest")

        def journal(part: Committed) -> None:
            # one entry per write transaction, committed with its rows: an import killed halfway still
            # leaves in the log what it wrote (security review M4 and M11)
            record(actor, f"ingest.{kind}.part"[:60], object_type="ingest",
                   detail={"file": path.name[:200], "rows": [part.first_row, part.last_row],
                           "created": part.created, "updated": part.updated, "unchanged": part.unchanged,
                           "rejected": part.rejected})

        with progress_bar(not as_json, None, f"importing {kind}") as step:
            report = run_ingest(path, handler, fmt=options.get("format"), mapping=mapping,
                                rejects_path=options.get("rejects"), delimiter=delimiter,
                                encoding=options.get("encoding"), batch_size=options["batch_size"], warn=warn,
                                progress=step, journal=journal)
        # one audit entry per import, with its counts (security review M4); the rows' own changes are in
        # the record-change tables, the names never in the log
        with transaction.atomic():
            record(actor, f"ingest.{kind}"[:60],
                   outcome="failure" if report.error is not None else "success", object_type="ingest",
                   detail={"file": path.name[:200], "rows": report.rows, "created": report.accepted,
                           "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected,
                           "skipped": report.skipped, "error": str(report.error)[:300] if report.error else ""})
        if as_json:
            self.stdout.write(json.dumps(report.as_json()))
        else:
            self.stdout.write(
                f"{kind}: {report.rows} rows read; {report.accepted} created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {report.rejected} rejected"
                + (f", {report.skipped} skipped by the mapping" if report.skipped else "")
                + (f", {report.repeated} repeated rows merged" if report.repeated else "")
            )
            if report.rejects_path:
                self.stdout.write(f"rejected rows and reasons: {report.rejects_path}")
        if report.error is not None:
            raise CommandError(f"{path}: {report.error}", returncode=2)
        if report.exit_code:
            # Django's CommandError prints "CommandError: ..."; a rejected row is a result, not a crash.
            self.stderr.write(f"{report.rejected} row(s) rejected; see {report.rejects_path}")
            sys.stdout.flush()
            raise SystemExit(report.exit_code)
