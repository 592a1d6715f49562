"""`handoff audit verify [--json]`: check the hash chain; exit 1 naming the first bad entry.
`handoff audit tail [-n N] [--json]`: the latest entries."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from handoff.audit.models import AuditEvent
from handoff.audit.services import verify


class Command(BaseCommand):
    help = (
        "The audit log.\n\n"
        "Examples:\n"
        "  handoff audit verify          (exit 0: intact; exit 1: names the first changed, deleted or inserted entry)\n"
        "  handoff audit verify --json   -> {\"ok\": true, \"checked\": n, \"head\": {\"seq\": n, \"hash\": \"...\"}, "
        "\"first_bad\": null}\n"
        "  handoff audit tail -n 20"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="verify the hash chain")
        v.add_argument("--json", action="store_true")
        t = sub.add_parser("tail", help="print the latest entries")
        t.add_argument("-n", type=int, default=20)
        t.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "tail":
            rows = list(AuditEvent.objects.order_by("-seq")[: max(1, options["n"])].values(
                "seq", "at", "actor", "role", "source", "action", "outcome", "object_type", "object_ids"))
            rows.reverse()
            if options["json"]:
                self.stdout.write(json.dumps({"entries": rows}, default=str))
            else:
                for r in rows:
                    self.stdout.write(f"#{r['seq']} {r['at']:%Y-%m-%d %H:%M:%S} {r['actor']} ({r['role'] or '-'}) "
                                      f"from {r['source']}: {r['action']} {r['outcome']} {r['object_type']} "
                                      f"{r['object_ids']}")
            return
        result = verify()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        elif result.ok:
            self.stdout.write(f"Audit log intact: {result.checked} entries, head #{result.head_seq} {result.head_hash}")
        else:
            bad = result.first_bad
            assert bad is not None
            self.stderr.write(f"Audit log BROKEN at entry #{bad.seq} ({bad.problem}): {bad.detail}")
        if not result.ok:
            raise SystemExit(1)
