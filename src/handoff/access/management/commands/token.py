"""`handoff token create --user NAME [--json]`, `handoff token list`, `handoff token revoke PREFIX`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.access import services
from handoff.access.actor import Actor
from handoff.access.models import ApiToken
from handoff.core import clock
from handoff.core.errors import HandoffError


class Command(BaseCommand):
    help = (
        "API bearer tokens. A token carries its account's role and places (or fewer) and is printed once.\n\n"
        "Examples:\n"
        "  handoff token create --user ero-sfr --json          -> {\"token\": \"hnd_...\"}\n"
        "  handoff token create --user jms-la --facility LASD-MCJ --days 30\n"
        "  handoff token revoke 1a2b3c4d"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token (printed once)")
        create.add_argument("--user", required=True)
        create.add_argument("--name", default="", help="a label, e.g. the calling system")
        create.add_argument("--days", type=int, default=services.DEFAULT_TOKEN_DAYS, help="lifetime (default 90)")
        create.add_argument("--jurisdiction", action="extend", nargs="+", default=[], metavar="FIPS")
        create.add_argument("--facility", action="extend", nargs="+", default=[], metavar="CODE")
        create.add_argument("--office", action="extend", nargs="+", default=[], metavar="CODE")
        create.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="list tokens (prefixes only)")
        lst.add_argument("--user", default="")
        lst.add_argument("--json", action="store_true")
        rev = sub.add_parser("revoke", help="revoke a token by its prefix")
        rev.add_argument("prefix")
        rev.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("cli:token")
        try:
            with transaction.atomic():
                if options["action"] == "create":
                    token, raw = services.create_token(
                        actor, options["user"], name=options["name"], days=options["days"],
                        jurisdictions=options["jurisdiction"], facilities=options["facility"],
                        offices=options["office"],
                    )
                    result: dict[str, Any] = {"token": raw, "prefix": token.prefix, "role": token.role,
                                              "expires_at": token.expires_at.isoformat()}
                    text = (f"{raw}\n(prefix {token.prefix}, role {token.role}, expires "
                            f"{token.expires_at:%Y-%m-%d}; shown once: store it now)")
                elif options["action"] == "revoke":
                    token = services.revoke_token(actor, options["prefix"])
                    result = {"prefix": token.prefix, "revoked": True}
                    text = f"Revoked token {token.prefix}"
                else:
                    qs = ApiToken.objects.select_related("user").order_by("created_at")
                    if options["user"]:
                        qs = qs.filter(user__username=options["user"])
                    now = clock.now()
                    rows = [{"prefix": t.prefix, "user": t.user.get_username(), "role": t.role, "name": t.name,
                             "expires_at": t.expires_at.isoformat(),
                             "state": "revoked" if t.revoked_at else "expired" if t.expires_at <= now else "live"}
                            for t in qs]
                    result = {"tokens": rows}
                    text = "\n".join(f"{r['prefix']}  {r['user']:<20} {r['role']:<16} {r['state']:<8} "
                                     f"{r['expires_at'][:10]} {r['name']}" for r in rows) or "no tokens"
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result) if options["json"] else text)
