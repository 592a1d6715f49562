"""`handoff user add NAME --role ROLE [--jurisdiction FIPS ...] [--facility CODE ...] [--office CODE ...]
[--password-stdin]` and the account chores: list, unlock, disable, enable, disable-inactive, reset-mfa,
password."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.access import services
from handoff.access.actor import Actor
from handoff.access.models import Account, Role
from handoff.core.errors import HandoffError


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise CommandError("--password-stdin: no password on standard input", returncode=2)
    return password


class Command(BaseCommand):
    help = (
        "Accounts: one role each, placed at facilities, jurisdictions or federal offices.\n\n"
        "Examples:\n"
        "  echo 'a long passphrase here' | handoff user add alice --role jail_clerk --facility LASD-MCJ "
        "--password-stdin\n"
        "  handoff user add ero-sfr --role federal_officer --office SFR     (service account for a token)\n"
        "  handoff user unlock alice\n"
        "  handoff user disable-inactive --days 90 --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create an account")
        add.add_argument("name")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--jurisdiction", action="extend", nargs="+", default=[], metavar="FIPS")
        add.add_argument("--facility", action="extend", nargs="+", default=[], metavar="CODE")
        add.add_argument("--office", action="extend", nargs="+", default=[], metavar="CODE")
        add.add_argument("--email", default="")
        add.add_argument("--password-stdin", action="store_true",
                         help="read the password from standard input; without it the account cannot log on "
                              "interactively (API tokens only)")
        add.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="list accounts")
        lst.add_argument("--json", action="store_true")
        for name, text in (("unlock", "clear a log-on lockout"), ("enable", "re-enable a disabled account"),
                           ("reset-mfa", "remove the TOTP device; the next log-on enrols a new one")):
            p = sub.add_parser(name, help=text)
            p.add_argument("name")
            p.add_argument("--json", action="store_true")
        dis = sub.add_parser("disable", help="disable an account and revoke its tokens")
        dis.add_argument("name")
        dis.add_argument("--reason", default="disabled by an administrator")
        dis.add_argument("--json", action="store_true")
        pw = sub.add_parser("password", help="set a password (read from standard input)")
        pw.add_argument("name")
        pw.add_argument("--password-stdin", action="store_true", required=True)
        pw.add_argument("--json", action="store_true")
        ina = sub.add_parser("disable-inactive", help="disable accounts unused for more than N days (default 90)")
        ina.add_argument("--days", type=int, default=None, help="default: HANDOFF_INACTIVE_DAYS (90)")
        ina.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("cli:user")
        action = options["action"]
        try:
            with transaction.atomic():
                result = self._run(actor, action, options)
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        message = result.pop("message", "")
        self.stdout.write(json.dumps(result) if options.get("json") else message or json.dumps(result))

    def _run(self, actor: Actor, action: str, options: dict[str, Any]) -> dict[str, Any]:
        name = options.get("name", "")
        if action == "add":
            password = _read_password() if options["password_stdin"] else None
            user = services.create_user(
                actor, name, options["role"], jurisdictions=options["jurisdiction"],
                facilities=options["facility"], offices=options["office"], password=password, email=options["email"],
            )
            return {"name": user.get_username(), "id": user.pk, "role": options["role"],
                    "interactive": password is not None,
                    "message": f"Added {user.get_username()} ({options['role']})"
                               + ("" if password else "; no password: API tokens only")}
        if action == "list":
            rows: list[dict[str, Any]] = []
            for account in Account.objects.select_related("user").prefetch_related(
                "memberships__jurisdiction", "memberships__facility", "memberships__office"
            ).order_by("user__username"):
                places = [m.jurisdiction.fips if m.jurisdiction else m.facility.code if m.facility else
                          m.office.code if m.office else "" for m in account.memberships.all()]
                rows.append({"name": account.user.get_username(), "role": account.role, "places": places,
                             "active": account.user.is_active and account.disabled_at is None,
                             "last_login": account.user.last_login.isoformat() if account.user.last_login else None})
            text = "\n".join(f"{r['name']:<24} {r['role']:<16} {'active' if r['active'] else 'DISABLED':<9} "
                             f"{', '.join(r['places'])}" for r in rows)
            return {"accounts": rows, "message": text or "no accounts"}
        if action == "unlock":
            cleared = services.unlock(actor, name)
            return {"name": name, "attempts_cleared": cleared, "message": f"Unlocked {name}"}
        if action == "enable":
            services.enable(actor, name)
            return {"name": name, "active": True, "message": f"Enabled {name}"}
        if action == "disable":
            services.disable(actor, name, options["reason"])
            return {"name": name, "active": False, "message": f"Disabled {name}; its tokens are revoked"}
        if action == "reset-mfa":
            removed = services.reset_mfa(actor, name)
            return {"name": name, "devices_removed": removed,
                    "message": f"Removed {removed} device(s); {name} enrols a new one at the next log-on"}
        if action == "password":
            services.set_password(actor, name, _read_password())
            return {"name": name, "message": f"Password set for {name}"}
        if action == "disable-inactive":
            names = services.disable_inactive(actor, options["days"])
            return {"disabled": names, "message": f"Disabled {len(names)} account(s)" +
                    (": " + ", ".join(names) if names else "")}
        raise CommandError(f"unknown action {action}", returncode=2)
