"""`handoff audit verify [--json] [--witness PATH] [--expect-head SEQ:HASH]`: check the hash chain against
itself and against every head witnessed outside the database; exit 1 naming the first bad entry.
`handoff audit witness`: append the current head to the witness now.
`handoff audit tail [-n N] [--json]`: the latest entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.audit import witness
from handoff.audit.models import AuditEvent
from handoff.audit.services import verify


def _head(value: str) -> tuple[int, str]:
    seq, sep, hash_ = value.partition(":")
    if not sep or not seq.isdigit() or len(hash_) != 64:
        raise CommandError(f"--expect-head {value!r}: give SEQ:HASH as `handoff audit verify` printed it")
    return int(seq), hash_.lower()


class Command(BaseCommand):
    help = (
        "The audit log.\n\n"
        "Examples:\n"
        "  handoff audit verify          (exit 0: intact; exit 1: names the first changed, deleted or inserted entry)\n"
        "  handoff audit verify --json   -> {\"ok\": true, \"checked\": n, \"head\": {\"seq\": n, \"hash\": \"...\"}, "
        "\"first_bad\": null}\n"
        "  handoff audit verify --witness /mnt/offsite/audit-witness.log   (a copy shipped off the machine)\n"
        "  handoff audit verify --expect-head 271:3f0c...   (a head noted down earlier)\n"
        "  handoff audit witness         (append the current head to the witness file now)\n"
        "  handoff audit tail -n 20"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="verify the hash chain")
        v.add_argument("--json", action="store_true")
        v.add_argument("--witness", metavar="PATH",
                       help="witness file to hold the chain to (default: HANDOFF_AUDIT_WITNESS)")
        v.add_argument("--no-witness", action="store_true", help="check the chain against itself only")
        v.add_argument("--expect-head", action="append", default=[], metavar="SEQ:HASH",
                       help="a head the chain must still contain (repeatable)")
        sub.add_parser("witness", help="append the current head to the witness file")
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
        if options["action"] == "witness":
            wrote = witness.catch_up()
            self.stdout.write(f"Witnessed the current head in {witness.path()}" if wrote
                              else "Nothing to witness: the head is already witnessed, the log is empty or "
                                   "witnessing is off")
            return
        where: Path | bool = False if options["no_witness"] else (Path(options["witness"]) if options["witness"]
                                                                   else True)
        if isinstance(where, Path) and not where.exists():
            raise CommandError(f"--witness {where}: no such file")
        result = verify(witness_path=where, expect=[_head(v) for v in options["expect_head"]])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        elif result.ok:
            seen = result.witness
            against = (f"; matches {seen['heads']} witnessed heads up to #{seen['newest_seq']} in {seen['path']}"
                       if seen else "; no witness")
            self.stdout.write(f"Audit log intact: {result.checked} entries, head #{result.head_seq} "
                              f"{result.head_hash}{against}")
        else:
            bad = result.first_bad
            assert bad is not None
            self.stderr.write(f"Audit log BROKEN at entry #{bad.seq} ({bad.problem}): {bad.detail}")
        if not result.ok:
            raise SystemExit(1)
