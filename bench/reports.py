"""The re-arrest and custody-time reports on 1,000,000 bookings (issue 11: each within 30 s).

Builds a SQLite file database (production pragmas, DEBUG off) in a temporary directory and bulk-inserts
generated rows with plain `executemany` (the setup is not what is measured): N bookings of 0.4 N people
spread over four jails in two states (so a re-arrest is often in another jail), one charge per booking
(3% a hold or violation, not an offence), 1% with an ICE hold and a federal request, outcomes recorded for
half of those. Then times, end to end as a user runs them:

- `handoff report rearrest --as-of ... --json` (every booking read; Kaplan-Meier and the log-rank test);
- `handoff report custody-time --facility F --offence-bookings-only --json` for every facility (together
  they cover every booking).

Baseline, in the same run on the same rows: a bare SQL aggregate (`GROUP BY ice_hold` with count and mean
duration over every booking) and reading the same booking columns into pandas. Prints one JSON object;
exit 1 if either report takes more than 30 s.

Run: uv run python bench/reports.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGET_S = 30.0
FACILITIES = (("BENCH-A", "53053"), ("BENCH-B", "53033"), ("BENCH-C", "48201"), ("BENCH-D", "48113"))


def _insert(cursor: Any, model: Any, rows: Iterable[dict[str, Any]], chunk: int = 50_000) -> None:
    """executemany over every concrete column, in chunks (rows are generated lazily: a million dicts at once
    would not fit a small machine): the values given, else the field's default (so columns added by later
    migrations get theirs without this script knowing them)."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in first]
    cols = [f.column for f in fields]
    names = [f.attname for f in fields]
    defaults: dict[str, Any] = {}
    for f in fields:
        v = f.get_default()
        defaults[f.attname] = json.dumps(v) if isinstance(v, list | dict) else v
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    batch = [first]
    for row in it:
        batch.append(row)
        if len(batch) >= chunk:
            cursor.executemany(sql, [tuple(r.get(n, defaults[n]) for n in names) for r in batch])
            batch = []
    if batch:
        cursor.executemany(sql, [tuple(r.get(n, defaults[n]) for n in names) for r in batch])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="bookings to generate")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="handoff-bench-")
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    os.environ["HANDOFF_DEBUG"] = "0"
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(24).hex())
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()
    import numpy as np
    import pandas as pd
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from handoff.custody.models import Booking, Charge, Person
    from handoff.jurisdictions import services as places
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.notices.models import Outcome
    from handoff.requests.models import ImmigrationRequest

    t_setup = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n = args.n
    n_people = max(1, int(n * 0.4))
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
        for st, name, tz in (("53", "Washington", "America/Los_Angeles"), ("48", "Texas", "America/Chicago")):
            Jurisdiction.objects.create(fips=st, name=name, kind="state", parent=us, postal=name[:2].upper(),
                                        default_timezone=tz)
        for code, fips in FACILITIES:
            Jurisdiction.objects.get_or_create(fips=fips, defaults={
                "name": f"County {fips}", "kind": "county", "parent": Jurisdiction.objects.get(fips=fips[:2]),
                "postal": "", "default_timezone": "America/Chicago"})
            places.add_facility(code, fips, f"Bench jail {code}")
        office, _ = places.add_office("BENCH-ICE", "Bench office", email="bench@example.gov",
                                       covers=[f for _, f in FACILITIES])
        fac_ids = [places.get_jurisdiction(f).facilities.get().pk for _, f in FACILITIES]

        with connection.cursor() as cur:
            _insert(cur, Person, ({"id": i + 1, "last_name": "GEN", "first_name": f"P{i}",
                                   "date_of_birth": "1990-01-01", "created_at": now, "updated_at": now}
                                  for i in range(n_people)))
            start = pd.Timestamp("2017-01-01", tz="UTC").value // 1_000_000_000
            span = 8 * 365 * 86_400
            booked = start + rng.integers(0, span, n)
            stay = (rng.exponential(20 * 86_400, n) + 3_600).astype(np.int64)
            released = booked + stay
            open_ = rng.random(n) < 0.02
            person = rng.integers(1, n_people + 1, n)
            facility = np.asarray(fac_ids)[rng.integers(0, len(fac_ids), n)]
            u = rng.random(n)
            reason = np.where(u < 0.01, "transferred_to_ice", np.where(u < 0.04, "transferred_other", "bail_posted"))
            hold = rng.random(n) < 0.01
            booked_l, released_l, open_l = booked.tolist(), released.tolist(), open_.tolist()
            facility_l, person_l, reason_l, hold_l = facility.tolist(), person.tolist(), reason.tolist(), hold.tolist()

            def ts(x: int) -> datetime:
                return datetime.fromtimestamp(x, UTC)

            _insert(cur, Booking, ({"id": i + 1, "facility_id": facility_l[i], "booking_number": f"N{i:08d}",
                                    "person_id": person_l[i], "booked_at": ts(booked_l[i]),
                                    "released_at": None if open_l[i] else ts(released_l[i]),
                                    "release_reason": "" if open_l[i] else reason_l[i], "ice_hold": hold_l[i],
                                    "release_type": "", "created_at": now, "updated_at": now} for i in range(n)))
            offence = (rng.random(n) >= 0.03).tolist()
            _insert(cur, Charge, ({"booking_id": i + 1, "seq": 1, "statute": "GEN 1" if offence[i] else "HOLD",
                                   "level": "felony" if offence[i] else "", "offence": offence[i],
                                   "disposition": "pending", "created_at": now, "updated_at": now} for i in range(n)))
            held = np.flatnonzero(hold).tolist()
            _insert(cur, ImmigrationRequest, [{
                "request_id": f"REQ-{i}", "kind": "detainer", "issued_at": ts(booked_l[i]), "received_at": ts(booked_l[i]),
                "office_id": office.pk, "facility_id": int(facility[i]), "booking_id": i + 1,
                "booking_number": f"N{i:08d}", "status": "matched", "historical": True,
                "created_at": now, "updated_at": now} for i in held])
            _insert(cur, Outcome, [{
                "booking_id": i + 1, "kind": "released_ice_not_present" if reason_l[i] == "bail_posted" else reason_l[i],
                "recorded_at": now, "source": "system"} for i in held[::2] if not open_l[i]])
            cur.execute("PRAGMA foreign_key_check")
            broken = cur.fetchall()
            if broken:
                raise SystemExit(f"generated rows break foreign keys: {broken[:5]}")
    setup_s = time.perf_counter() - t_setup
    connection.close()

    def timed(*argv: str) -> tuple[float, Any]:
        out = io.StringIO()
        t0 = time.perf_counter()
        with redirect_stdout(out):
            call_command(*argv, stdout=out)
        return time.perf_counter() - t0, json.loads(out.getvalue())

    t0 = time.perf_counter()
    import lifelines.statistics  # noqa: F401 (paid once per process; measured apart from the report)

    import_s = time.perf_counter() - t0
    rearrest_s, rearrest = timed("report", "rearrest", "--as-of", "2025-06-30", "--json")
    custody_s = 0.0
    custody: dict[str, Any] = {}
    for code, _ in FACILITIES:
        s, figures = timed("report", "custody-time", "--facility", code, "--offence-bookings-only", "--json")
        custody_s += s
        custody[code] = figures

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT ice_hold, COUNT(*), AVG(julianday(released_at) - julianday(booked_at)) "
                    "FROM custody_booking WHERE released_at IS NOT NULL GROUP BY ice_hold")
        cur.fetchall()
    sql_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT person_id, facility_id, booked_at, released_at, release_reason FROM custody_booking")
        frame = pd.DataFrame.from_records(cur.fetchall())
    pandas_s = time.perf_counter() - t0

    result = {
        "bench": "reports", "bookings": n, "people": n_people, "setup_s": round(setup_s, 1),
        "rearrest_s": round(rearrest_s, 2), "custody_time_all_facilities_s": round(custody_s, 2),
        "lifelines_import_s": round(import_s, 2), "target_s": TARGET_S,
        "baseline_sql_groupby_s": round(sql_s, 2), "baseline_pandas_read_s": round(pandas_s, 2),
        "rearrest_vs_sql": round(rearrest_s / sql_s, 1), "rearrest_vs_pandas_read": round(rearrest_s / pandas_s, 1),
        "custody_time_vs_sql": round(custody_s / sql_s, 1),
        "rearrest_released": sum(g["released"] for g in rearrest["groups"]),
        "rearrest_excluded": rearrest["excluded"],
        "custody_time_bookings": sum(g["bookings"] for f in custody.values() for g in f["groups"]),
        "rows_read_baseline": len(frame),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))
    return 0 if rearrest_s <= TARGET_S and custody_s <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
