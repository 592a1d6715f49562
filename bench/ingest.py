"""Benchmark: import N generated bookings from CSV into a fresh SQLite file with the real command, and a bare
sqlite3 executemany of the same rows into the same tables, in the same run. Prints one JSON object.

    uv run python bench/ingest.py            # 1,000,000 rows (targets: < 120 s, < 5x executemany, < 400 MB)
    uv run python bench/ingest.py --n 50000  # a quick look

Why both numbers: the import does work executemany does not (parse and validate every field, convert local
times to UTC, match each person, check duplicates, write the release history); the ratio shows what that
costs, and the absolute time what a county would wait.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

HEADER = ["facility", "booking_number", "booked_at", "last_name", "first_name", "middle_name", "date_of_birth", "sex",
          "fbi_number", "state_id", "a_number", "country_of_birth", "scheduled_release_at", "release_type",
          "released_at", "release_reason"]
FACILITY = "BENCH-JAIL"
TZ = "America/Los_Angeles"


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Realistic shapes: most people booked once, some twice (same identifiers, so matching has work to do)."""
    rnd = random.Random(seed)
    surnames = [f"SURNAME{i}" for i in range(5000)]
    given = [f"GIVEN{i}" for i in range(800)]
    start = datetime(2015, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            p = i if rnd.random() > 0.1 or i < 100 else rnd.randrange(i)  # ~10% are a returning person
            prnd = random.Random(p)
            booked = start + timedelta(minutes=rnd.randrange(60 * 24 * 365 * 9))
            scheduled = released = ""
            reason = rtype = ""
            if rnd.random() < 0.5:
                scheduled = (booked + timedelta(hours=rnd.randrange(1, 24 * 200))).strftime("%Y-%m-%d %H:%M")
                rtype = "scheduled"
            if rnd.random() < 0.3:
                released = (booked + timedelta(hours=rnd.randrange(1, 24 * 60))).strftime("%Y-%m-%d %H:%M")
                reason = rnd.choice(["bail_posted", "sentence_served", "charges_dropped", "court_order"])
            w.writerow([
                FACILITY, f"BK{i:08d}", booked.strftime("%Y-%m-%d %H:%M"), prnd.choice(surnames), prnd.choice(given),
                "", (date(1940, 1, 1) + timedelta(days=prnd.randrange(365 * 65))).isoformat(), prnd.choice("MF"),
                f"{p:07d}AB{p % 10}" if prnd.random() < 0.6 else "", "", f"A{p:09d}" if prnd.random() < 0.2 else "",
                prnd.choice(["MEXICO", "UNITED STATES", "GUATEMALA", ""]), scheduled, rtype, released, reason,
            ])


def setup_django(db_path: Path) -> None:
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["HANDOFF_DEBUG"] = "0"  # DEBUG logs every query: not what production pays
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(32).hex())  # a weak key stops start-up (M13)
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import add_facility

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    ca = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                     default_timezone=TZ)
    Jurisdiction.objects.create(fips="06037", name="Los Angeles County", kind="county", parent=ca, postal="CA",
                                default_timezone=TZ)
    add_facility(FACILITY, "06037", "Benchmark Jail", TZ)
    from django.db import connection

    connection.close()


def run_import(csv_path: Path, rejects: Path, batch_size: int) -> tuple[float, dict[str, object]]:
    from django.core.management import call_command

    out = StringIO()
    t0 = time.perf_counter()
    with contextlib.suppress(SystemExit):
        call_command("ingest", "bookings", str(csv_path), "--json", "--rejects", str(rejects),
                     "--batch-size", str(batch_size), stdout=out, stderr=StringIO())
    return time.perf_counter() - t0, json.loads(out.getvalue())


def _utc(local: str, tz: ZoneInfo) -> str | None:
    if not local:
        return None
    return datetime.fromisoformat(local).replace(tzinfo=tz).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _insert_sql(db: sqlite3.Connection, table: str, given: list[str]) -> str:
    """An INSERT naming `given` and, as constants, every other NOT NULL column without a default (blank text,
    zero numbers): fields added to the models later (addresses, keys) must not break the baseline."""
    extra: list[str] = []
    values: list[str] = []
    for _cid, name, kind, notnull, default, pk in db.execute(f"PRAGMA table_info({table})"):
        if name in given or pk or not notnull or default is not None:
            continue
        extra.append(name)
        values.append("''" if any(t in kind.lower() for t in ("char", "text", "clob")) else "0")
    cols = ", ".join(given + extra)
    marks = ", ".join(["?"] * len(given) + values)
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})"


def run_executemany(db_path: Path, csv_path: Path) -> float:
    """The same rows into the same two tables with plain sqlite3: the floor of what inserting costs.
    A person per row (no matching) and a booking per row, in one transaction."""
    tz = ZoneInfo(TZ)
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")  # as Handoff's own connections: the same checks on the same tables
    facility_id = db.execute("SELECT id FROM jurisdictions_facility WHERE code=?", (FACILITY,)).fetchone()[0]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def rows() -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
        with csv_path.open(newline="", encoding="utf-8") as fh:
            r = csv.reader(fh)
            next(r)
            for i, row in enumerate(r, start=1):
                (_, number, booked, last, first, middle, dob, sex, fbi, sid, anum, cob, sched, rtype, rel,
                 reason) = row
                yield ((i, last, first, middle, dob, sex, fbi, sid, anum, cob, False, False, False, now, now),
                       (i, facility_id, number, i, _utc(booked, tz), _utc(sched, tz), rtype, _utc(rel, tz), reason,
                        False, now, now))

    t0 = time.perf_counter()
    db.execute("BEGIN")
    batch_p: list[tuple[object, ...]] = []
    batch_b: list[tuple[object, ...]] = []

    person_cols = ["id", "last_name", "first_name", "middle_name", "date_of_birth", "sex", "fbi_number",
                   "state_id", "a_number", "country_of_birth", "registrant_sex_offender", "registrant_arson",
                   "lawful_status_proven", "created_at", "updated_at"]
    booking_cols = ["id", "facility_id", "booking_number", "person_id", "booked_at", "scheduled_release_at",
                    "release_type", "released_at", "release_reason", "ice_hold", "created_at", "updated_at"]
    person_sql = _insert_sql(db, "custody_person", person_cols)
    booking_sql = _insert_sql(db, "custody_booking", booking_cols)

    def flush() -> None:
        db.executemany(person_sql, batch_p)
        db.executemany(booking_sql, batch_b)
        batch_p.clear()
        batch_b.clear()

    for p, b in rows():
        batch_p.append(p)
        batch_b.append(b)
        if len(batch_p) >= 10000:
            flush()
    flush()
    db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--rerun", action="store_true", help="also time a second run of the same file (all unchanged)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--unpaced", action="store_true",
                    help="HANDOFF_INGEST_TX_SECONDS=0: one transaction per batch, no pause (a first bulk load)")
    args = ap.parse_args()
    if args.unpaced:
        os.environ["HANDOFF_INGEST_TX_SECONDS"] = "0"

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    work = Path(tempfile.mkdtemp(prefix="handoff-bench-ingest-"))
    try:
        csv_path = work / "bookings.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.n)
        generated = time.perf_counter() - t0
        db_path = work / "import.sqlite3"
        setup_django(db_path)
        base_path = work / "executemany.sqlite3"
        shutil.copy(db_path, base_path)

        # The machine may be shared: executemany runs before and after the import (on two copies of the
        # empty database) and the ratio uses their mean; CPU seconds are reported beside wall seconds.
        base_path2 = work / "executemany2.sqlite3"
        shutil.copy(db_path, base_path2)
        c0 = time.process_time()
        base_before = run_executemany(base_path, csv_path)
        base_cpu = time.process_time() - c0
        load_before = os.getloadavg()[0]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        c0 = time.process_time()
        import_s, report = run_import(csv_path, work / "rejects.csv", args.batch_size)
        import_cpu = time.process_time() - c0
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        load_after = os.getloadavg()[0]
        rerun_s = None
        rerun_report = None
        if args.rerun:
            rerun_s, rerun_report = run_import(csv_path, work / "rejects2.csv", args.batch_size)
        base_after = run_executemany(base_path2, csv_path)
        base_s = (base_before + base_after) / 2

        from handoff.custody.models import Booking, Person

        result = {
            "benchmark": "ingest bookings (CSV -> SQLite)",
            "n": args.n,
            "batch_size": args.batch_size,
            "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
            "generate_s": round(generated, 2),
            "import_s": round(import_s, 2),
            "rows_per_s": round(args.n / import_s),
            "import_cpu_s": round(import_cpu, 2),
            "executemany_s": round(base_s, 2),
            "executemany_runs_s": [round(base_before, 2), round(base_after, 2)],
            "executemany_cpu_s": round(base_cpu, 2),
            "ratio_to_executemany": round(import_s / base_s, 2),
            "cpu_ratio_to_executemany": round(import_cpu / base_cpu, 2),
            "load_average_1m": [round(load_before, 2), round(load_after, 2)],
            "peak_rss_mb": round(peak_rss_mb, 1),
            "rss_before_import_mb": round(rss_before, 1),
            "bookings": Booking.objects.count(),
            "people": Person.objects.count(),
            "report": {k: report.get(k) for k in ("accepted", "updated", "unchanged", "rejected")},
            "rerun_s": None if rerun_s is None else round(rerun_s, 2),
            "rerun_report": None if rerun_report is None else {
                k: rerun_report.get(k) for k in ("accepted", "updated", "unchanged", "rejected")},
            "paced": not args.unpaced,
            "targets": {"import_s": 120, "ratio_to_executemany": 5, "peak_rss_mb": 400},
        }
        result["ok"] = bool(import_s < max(120 * args.n / 1_000_000, 5) and import_s / base_s < 5
                            and peak_rss_mb < 400 and report.get("rejected") == 0)
        print(json.dumps(result))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
