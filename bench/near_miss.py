"""Benchmark: near-miss matching and people search on a SQLite file database (issue 12.1). Prints one JSON
object.

    uv run python bench/near_miss.py                     # 200,000 bookings (built into var/bench-near.sqlite3)
    uv run python bench/near_miss.py --bookings 20000    # a quick look

What it measures, on the same database bench/api.py builds (half the bookings in one jail, one in ten still in
custody):
- matching: `requests.matching.find_match` for requests whose subject is a current booking's person written
  upper case with the date of birth one day off (every one a near miss) and for requests that fit nobody
  (they wait): time per request and how many went to review;
- search: `custody.search.search` over the clerk's scope by booking number, by a full name, by a common name
  prefix, by a given name alone, and by name with a date of birth: time per search and the number of bookings
  found, once through the name keys (`indexed`) and once comparing every booking's names in Python (`scan`,
  the way it worked before the keys), with `ratio` = scan / indexed (medians) measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api import FACILITY, build, log, setup_django  # noqa: E402


def _ms(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"median_ms": round(statistics.median(s) * 1000, 2),
            "p95_ms": round(s[min(len(s) - 1, int(len(s) * 0.95))] * 1000, 2), "n": len(s)}


def measure(n: int) -> dict[str, Any]:
    from handoff.access import scoping
    from handoff.access.actor import actor_for_user
    from handoff.custody import search
    from handoff.custody.models import Booking
    from handoff.jurisdictions.models import Facility, FederalOffice
    from handoff.requests import matching
    from handoff.requests.models import ImmigrationRequest

    jail = Facility.objects.get(code=FACILITY)
    office = FederalOffice.objects.get(code="LOS")
    current = list(Booking.objects.filter(facility=jail, released_at__isnull=True).select_related("person")
                   .order_by("pk")[:n])
    out: dict[str, Any] = {"current_bookings_in_jail": Booking.objects.filter(facility=jail,
                                                                              released_at__isnull=True).count(),
                           "bookings": Booking.objects.count()}
    for label, perturb in (("near_miss", True), ("no_fit", False)):
        times, review = [], 0
        for b in current:
            p = b.person
            req = ImmigrationRequest(
                request_id="bench", kind="detainer", facility=jail, office=office, issued_at=b.booked_at,
                received_at=b.booked_at, subject_last_name=p.last_name.upper() if perturb else "Nobody",
                subject_first_name=p.first_name.upper(),
                subject_date_of_birth=(p.date_of_birth + timedelta(days=1)) if perturb else p.date_of_birth)
            t = time.perf_counter()
            result = matching.find_match(req)
            times.append(time.perf_counter() - t)
            review += result.status == "review"
        out[f"match_{label}"] = {**_ms(times), "to_review": review}
    from django.contrib.auth import get_user_model

    clerk = actor_for_user(get_user_model().objects.get(username="bench-clerk"))
    scope = scoping.bookings_for(clerk)
    sample = current[len(current) // 2]
    queries = {
        "booking_number": sample.booking_number,
        "full_name": f"{sample.person.last_name} {sample.person.first_name}",
        "name_prefix": "last12",
        "given_name_only": sample.person.first_name,
        "name_and_dob": f"{sample.person.last_name} {sample.person.date_of_birth.isoformat()}",
    }
    for label, q in queries.items():
        row: dict[str, Any] = {}
        for how, indexed in (("indexed", True), ("scan", False)):
            times, found = [], 0
            for _ in range(5):
                t = time.perf_counter()
                result = search.search(scope, q, indexed=indexed)
                times.append(time.perf_counter() - t)
                found = result.total
            row[how] = {**_ms(times), "found": found}
        if row["indexed"]["found"] != row["scan"]["found"]:
            raise SystemExit(f"{label}: the name keys found {row['indexed']['found']}, the scan {row['scan']['found']}")
        row["ratio"] = round(row["scan"]["median_ms"] / max(row["indexed"]["median_ms"], 0.001), 1)
        out[f"search_{label}"] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="requests matched per kind")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    db = ROOT / "var" / f"bench-near-{args.bookings}.sqlite3"
    db.parent.mkdir(exist_ok=True)
    if args.rebuild and db.exists():
        db.unlink()
    fresh = not db.exists()
    setup_django(db)
    if fresh:
        build(args.bookings, 0)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # a database built before the newest migrations
    log("measuring")
    print(json.dumps(measure(args.requests), indent=2))


if __name__ == "__main__":
    main()
