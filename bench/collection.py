"""Benchmark: what the collection limits cost an import. The same N generated bookings, every one with a place
of birth, imported with the real command into a jail in Los Angeles (California: the limit is uncertain, the
field is kept) and into a jail in Cook County (Illinois, 5 ILCS 805/15(e): the field is dropped and counted),
in the same run and the same fresh SQLite file; then `handoff collection` and `handoff collection purge` over
the result. Prints one JSON object.

    uv run python bench/collection.py            # 20,000 rows per jail
    uv run python bench/collection.py --n 2000   # a quick look

The ratio (Illinois import / the mean of a California import before and one after it, as the database grows
between them) is what reading the limits and dropping the field costs per row; it should stay near 1 (the
limits are read once per facility, not per row).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path

HEADER = ["facility", "booking_number", "booked_at", "last_name", "first_name", "date_of_birth", "sex",
          "country_of_birth"]


def generate(path: Path, facility: str, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    start = datetime(2020, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            booked = start + timedelta(minutes=rnd.randrange(60 * 24 * 365 * 4))
            w.writerow([facility, f"{facility}-{i:07d}", booked.strftime("%Y-%m-%d %H:%M"), f"SURNAME{rnd.randrange(5000)}",
                        f"GIVEN{rnd.randrange(800)}", (date(1950, 1, 1) + timedelta(days=rnd.randrange(365 * 50))).isoformat(),
                        rnd.choice("MF"), rnd.choice(["MEXICO", "GUATEMALA", "POLAND", "INDIA"])])


def setup_django(db_path: Path) -> None:
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["HANDOFF_DEBUG"] = "0"
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(32).hex())
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("HANDOFF_AUDIT_WITNESS", "off")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import add_facility, assign_shipped_policies
    from handoff.policy.registry import registry

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    for state, postal, tz, county, name in (("06", "CA", "America/Los_Angeles", "06037", "Los Angeles County"),
                                            ("17", "IL", "America/Chicago", "17031", "Cook County")):
        st = Jurisdiction.objects.create(fips=state, name=postal, kind="state", parent=us, postal=postal,
                                         default_timezone=tz)
        Jurisdiction.objects.create(fips=county, name=name, kind="county", parent=st, postal=postal,
                                    default_timezone=tz)
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    add_facility("LA-BENCH", "06037", "Benchmark Jail (Los Angeles)", "America/Los_Angeles")
    add_facility("CK-BENCH", "17031", "Benchmark Jail (Cook County)", "America/Chicago")


def command(*args: str) -> tuple[float, dict[str, object]]:
    from django.core.management import call_command

    out = StringIO()
    t0 = time.perf_counter()
    with contextlib.suppress(SystemExit):
        call_command(*args, "--json", stdout=out, stderr=StringIO())
    return time.perf_counter() - t0, json.loads(out.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="rows per jail")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    work = Path(tempfile.mkdtemp(prefix="handoff-bench-collection-"))
    try:
        ca_csv, il_csv, warm_csv = work / "la.csv", work / "cook.csv", work / "warm.csv"
        ca2_csv = work / "la2.csv"
        generate(ca_csv, "LA-BENCH", args.n)
        generate(ca2_csv, "LA-BENCH", args.n, seed=12)
        ca2_csv.write_text(ca2_csv.read_text().replace("LA-BENCH-", "LA-BENCH-B"))
        generate(il_csv, "CK-BENCH", args.n)
        generate(warm_csv, "WARM", 200, seed=3)
        warm_csv.write_text(warm_csv.read_text().replace("WARM", "LA-BENCH").replace("LA-BENCH-0", "LA-BENCH-W"))
        setup_django(work / "db.sqlite3")
        load_before = os.getloadavg()[0]
        command("ingest", "bookings", str(warm_csv), "--rejects", str(work / "r0.csv"))  # caches, registry
        ca_s, ca_report = command("ingest", "bookings", str(ca_csv), "--rejects", str(work / "r1.csv"))
        il_s, il_report = command("ingest", "bookings", str(il_csv), "--rejects", str(work / "r2.csv"))
        # California again, after Illinois: the database grew between the runs; the baseline is their mean
        ca2_s, _ = command("ingest", "bookings", str(ca2_csv), "--rejects", str(work / "r3.csv"))
        # what a jail held before the limit was enforced: the Cook County people with a place of birth again
        from handoff.custody.models import Booking, Person

        Person.objects.filter(pk__in=Booking.objects.filter(facility__code="CK-BENCH").values("person_id")).update(
            country_of_birth="MEXICO")
        # CPU per row, in-process (the machine is shared: CPU seconds, not wall): validating a row as ingest
        # does, against dropping its place of birth (the limits read once per facility, then cached)
        from handoff.casework import collection
        from handoff.custody import services

        with il_csv.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        facilities = services.Facilities()
        c0 = time.process_time()
        cleaned = [services.validate_booking(r, facilities) for r in rows]
        validate_cpu = time.process_time() - c0
        limits = collection.Limits()
        c0 = time.process_time()
        for b in cleaned:
            collection.strip_booking(b, limits)  # type: ignore[arg-type]
        strip_cpu = time.process_time() - c0
        list_s, listing = command("collection")
        purge_s, purged = command("collection", "purge")
        again_s, again = command("collection", "purge")
        print(json.dumps({
            "rows_per_jail": args.n,
            "import_california_before_s": round(ca_s, 3), "import_illinois_s": round(il_s, 3),
            "import_california_after_s": round(ca2_s, 3),
            "ratio_illinois_over_california": round(il_s / ((ca_s + ca2_s) / 2), 3),
            "california_dropped": ca_report.get("dropped"), "illinois_dropped": il_report.get("dropped"),
            "illinois_accepted": il_report.get("accepted"),
            "validate_cpu_us_per_row": round(validate_cpu / len(rows) * 1e6, 2),
            "strip_cpu_us_per_row": round(strip_cpu / len(rows) * 1e6, 2),
            "ratio_strip_over_validate": round(strip_cpu / validate_cpu, 4) if validate_cpu else None,
            "collection_list_s": round(list_s, 3), "enforced_held_after_import": listing.get("enforced_held"),
            "purge_s": round(purge_s, 3), "purge_changed": purged.get("changed"),
            "second_purge_s": round(again_s, 3), "second_purge_changed": again.get("changed"),
            "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0],
        }))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
