"""`handoff people link|export|review|confirm|reject`: the same person across jails; `handoff people search`:
find people and their bookings (issue 12.1)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handoff.access import scoping
from handoff.access.actor import Actor, for_command
from handoff.audit import record
from handoff.cli import progress_bar
from handoff.core.errors import HandoffError
from handoff.custody import search as custody_search
from handoff.linkage import engine, services

#: the steps of a link run, for the progress bar (services.link and engine.score announce them in this order)
LINK_STEPS = 10


class Command(BaseCommand):
    help = (
        "The same person across jails: deterministic links by identifier, then probabilistic linkage (Splink)\n"
        "on names, date of birth, sex and address; a review list for the pairs in between.\n\n"
        "Examples:\n"
        "  handoff people link                       # progress bar on a terminal, summary at the end\n"
        "  handoff people link --json                # quiet; one JSON object\n"
        "  handoff people link --threshold 8 --review-floor 2\n"
        "  handoff people export --out people.csv    # facility, booking_number, person_id, match_weight\n"
        "  handoff people review --json              # the open review list\n"
        "  handoff people confirm 12 --reason 'same tattoo and booking photo'\n"
        "  handoff people reject 13 --reason 'twins: different SSNs on the jail record'\n"
        "  handoff people search 'garcia jose 1985-03-04'   # name, date of birth, booking, A- or FBI number\n"
        "  handoff people search A012345678 --as clerk_la --json   # as that clerk sees it\n\n"
        "Exit codes: 0 done; 2 bad input (a message says which)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        search = sub.add_parser("search", help="find people and bookings by name, date of birth, booking number, "
                                               "A-number or FBI number")
        search.add_argument("query", help='e.g. "garcia jose 1985-03-04", LA-MCJ booking number, A012345678')
        search.add_argument("--as", dest="as_user", default="",
                            help="search as this user, within their facilities (default: every facility)")
        search.add_argument("--limit", type=int, default=custody_search.LIMIT)
        search.add_argument("--json", action="store_true")
        link = sub.add_parser("link", help="link people across jails and refresh the review list")
        link.add_argument("--json", action="store_true", help="print one JSON object; no progress bar")
        link.add_argument("--threshold", type=float, default=engine.THRESHOLD,
                          help=f"match weight that joins two people (default {engine.THRESHOLD})")
        link.add_argument("--review-floor", type=float, default=engine.REVIEW_FLOOR,
                          help=f"lowest match weight sent to review (default {engine.REVIEW_FLOOR})")
        train = link.add_mutually_exclusive_group()
        train.add_argument("--train", dest="train", action="store_const", const=True, default=None,
                           help="re-estimate the model on this data (default: when there are "
                                f"{engine.TRAIN_MIN_RECORDS:,} people or more)")
        train.add_argument("--no-train", dest="train", action="store_const", const=False,
                           help="use the shipped model")
        export = sub.add_parser("export", help="write every booking with its cross-jail person id")
        export.add_argument("--out", required=True, help="the CSV file to write")
        export.add_argument("--json", action="store_true")
        review = sub.add_parser("review", help="list the pairs waiting for a person's decision")
        review.add_argument("--status", default="open", choices=["open", "confirmed", "rejected"])
        review.add_argument("--json", action="store_true")
        for name, what in (("confirm", "the two are the same person"), ("reject", "the two are different people")):
            p = sub.add_parser(name, help=f"decide a review pair: {what}")
            p.add_argument("pair", type=int)
            p.add_argument("--reason", required=True)
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            actor = for_command(options.get("as_user") or "", f"cli:people {action}")
            if action == "search":
                self._search(actor, options)
            elif action == "link":
                self._link(actor, options)
            elif action == "export":
                n = services.export_csv(options["out"], actor=actor)
                self._say(options, {"rows": n, "out": options["out"]}, f"Wrote {n} booking(s) to {options['out']}.")
            elif action == "review":
                self._review(actor, options)
            else:
                rp = services.decide(actor, options["pair"], confirm=action == "confirm", reason=options["reason"])
                self._say(options, {"pair": rp.pk, "status": rp.status},
                          f"Pair {rp.pk}: {rp.status}. It takes effect at the next `handoff people link`.")
        except HandoffError as exc:
            raise CommandError(str(exc), returncode=2) from exc

    def _search(self, actor: Actor, options: dict[str, Any]) -> None:
        if not actor.is_global and not actor.has_role("jail_clerk", "jail_supervisor", "admin"):
            raise CommandError("only jail staff search people", returncode=2)
        found = custody_search.search(scoping.bookings_for(actor), options["query"],
                                      limit=max(1, min(options["limit"], 500)))
        with transaction.atomic():
            record(actor, "person.search", object_type="booking", object_ids=[h.booking.pk for h in found.hits],
                   detail={"kinds": found.kinds, "results": found.total})
        rows: list[dict[str, Any]] = [{
            "booking": f"{h.booking.facility.code}/{h.booking.booking_number}",
            "last_name": h.booking.person.last_name, "first_name": h.booking.person.first_name,
            "date_of_birth": h.booking.person.date_of_birth.isoformat() if h.booking.person.date_of_birth else None,
            "a_number": h.booking.person.a_number, "fbi_number": h.booking.person.fbi_number,
            "booked_at": h.booking.booked_at.isoformat(),
            "released_at": h.booking.released_at.isoformat() if h.booking.released_at else None,
            "found_by": h.why,
        } for h in found.hits]
        if options["json"]:
            self.stdout.write(json.dumps({"total": found.total, "shown": len(rows), "results": rows}))
            return
        if not rows:
            self.stdout.write("No booking found.")
            return
        for r in rows:
            custody = "released " + r["released_at"][:10] if r["released_at"] else "in custody"
            self.stdout.write(f"{r['booking']}  {r['last_name']}, {r['first_name']}  born {r['date_of_birth'] or '?'}"
                              f"  {r['a_number'] or '-'}  {r['fbi_number'] or '-'}  {custody}"
                              f"  [{', '.join(r['found_by'])}]")
        if found.total > len(rows):
            self.stdout.write(f"... {found.total - len(rows)} more; narrow the search (add a date of birth).")

    def _say(self, options: dict[str, Any], data: dict[str, Any], text: str) -> None:
        self.stdout.write(json.dumps(data) if options.get("json") else text)

    def _link(self, actor: Actor, options: dict[str, Any]) -> None:
        with progress_bar(not options["json"], LINK_STEPS, "linking") as step:
            report = services.link(actor=actor, threshold=options["threshold"],
                                   review_floor=options["review_floor"], train=options["train"], step=step)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        self.stdout.write(
            f"Linked {report.people} people: {report.identities} identities hold {report.linked_people} of them "
            f"({report.deterministic_links} links by identifier, {report.probabilistic_links} by match weight >= "
            f"{report.threshold}, {report.manual_links} confirmed by reviewers). {report.review_open} pair(s) "
            f"wait for review (weight {report.review_floor} to {report.threshold}). Model "
            f"{'trained on this data' if report.trained else 'shipped'}; {report.seconds:.1f} s.")

    def _review(self, actor: Actor, options: dict[str, Any]) -> None:
        pairs = services.review_list(actor, status=options["status"])
        if options["json"]:
            self.stdout.write(json.dumps({"pairs": pairs}))
            return
        if not pairs:
            self.stdout.write(f"No {options['status']} review pairs.")
            return
        for p in pairs:
            a, b = p["people"]
            self.stdout.write(
                f"#{p['pair']}  weight {p['match_weight']:+.2f}  "
                f"{a['last_name']}, {a['first_name']} ({a['date_of_birth'] or 'DOB unknown'}) {' '.join(a['bookings'])}"
                f"  ~  {b['last_name']}, {b['first_name']} ({b['date_of_birth'] or 'DOB unknown'}) "
                f"{' '.join(b['bookings'])}")
