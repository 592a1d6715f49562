"""Benchmark: `GET /api/v1/requests/{id}` on a SQLite file database with 1,000,000 bookings, and what
authorization, scoping and auditing cost on top of the same call without them. Prints one JSON object.

    uv run python bench/api.py                 # 1,000,000 bookings (built once into var/bench-api.sqlite3)
    uv run python bench/api.py --bookings 20000 --calls 500    # a quick look
    uv run python bench/api.py --rebuild       # rebuild the database

Targets (issue 5): p99 <= 50 ms with 1,000,000 bookings; with/without <= 1.5x, measured in the same run.

How: the database is filled with bulk inserts (raw executemany: people, then bookings), then 300 requests are
received through the real service (matched, decided, notices scheduled), each on a booking of the first jail.
Calls go through Django's full stack in process (the test client: every middleware, URL resolution, the
ninja operation, response validation and JSON rendering), so the figures are the server's own work, not a
network's. Two routes serve the same object with the same response model and the same presenter:
- "on": the product's route - bearer token looked up by digest, role checked against the permission map,
  the actor's places expanded, the request fetched through access.scoping, and an audit entry appended to the
  hash chain in the same (write) transaction, which SQLite commits with a full fsync;
- "off": a bench-only ninja route without authentication, scoping or audit (a plain read, autocommit).
The two are called alternately, request by request, so drift (cache warm-up, the OS) hits both equally.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))  # for api_urls

FACILITY = "BENCH-JAIL"
OTHER = "BENCH-OTHER"


def log(msg: str) -> None:
    print(f"[api] {msg}", file=sys.stderr, flush=True)


def setup_django(db_path: Path) -> None:
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("HANDOFF_DEBUG", "1")
    os.environ.setdefault("HANDOFF_LOG_LEVEL", "ERROR")
    os.environ["DJANGO_SETTINGS_MODULE"] = "handoff.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "api_urls"
    settings.ALLOWED_HOSTS = ["testserver"]


def _columns(model: Any) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def bulk_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Raw executemany: the fastest way to put a million rows into SQLite through Django's connection."""
    from django.db import connection

    fields = _columns(model)
    defaults = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        else:
            defaults[f.attname] = ""
    cols = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f'INSERT INTO "{model._meta.db_table}" ({cols}) VALUES ({marks})'
    values = []
    for row in rows:
        values.append([f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection) for f in fields])
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def build(n_bookings: int, n_requests: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user
    from handoff.casework.flow import receive
    from handoff.custody.models import Booking, NameKey, Person
    from handoff.custody.names import name_keys
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry
    from handoff.requests.inputs import RequestInput, SubjectInput

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")  # building only; the measurement runs with the shipped FULL
    t0 = time.perf_counter()
    with transaction.atomic():
        us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
        ca = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                         default_timezone="America/Los_Angeles")
        la = Jurisdiction.objects.create(fips="06037", name="Los Angeles County", kind="county", parent=ca,
                                         postal="CA", default_timezone="America/Los_Angeles")
        alameda = Jurisdiction.objects.create(fips="06001", name="Alameda County", kind="county", parent=ca,
                                              postal="CA", default_timezone="America/Los_Angeles", confidential=True)
        assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
        jail = Facility.objects.create(code=FACILITY, name="Bench Jail", jurisdiction=la,
                                       timezone="America/Los_Angeles")
        other = Facility.objects.create(code=OTHER, name="Other Jail", jurisdiction=alameda,
                                        timezone="America/Los_Angeles")
        office = FederalOffice.objects.create(code="LOS", name="ICE ERO Los Angeles", email="los@example.gov")
        office.covers.set([la, alameda])
        create_user(SYSTEM, "bench-clerk", "jail_clerk", facilities=[FACILITY])
    now = datetime.now(tz=UTC)
    chunk = 50_000
    rng = random.Random(7)
    for start in range(0, n_bookings, chunk):
        size = min(chunk, n_bookings - start)
        with transaction.atomic():
            first_id = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            people = [{
                "last_name": f"Last{i % 50_000}", "first_name": f"First{i % 997}",
                "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(20_000)), "sex": "M",
                "fbi_number": f"{i:09d}F", "created_at": now, "updated_at": now,
            } for i in range(start, start + size)]
            bulk_insert(Person, people)
            bulk_insert(NameKey, [{"person_id": first_id + k, "key": key} for k, p in enumerate(people)
                                  for key in sorted(name_keys(p["last_name"], p["first_name"], ""))])
            bookings = [{
                "facility_id": (jail.pk if i % 2 == 0 else other.pk), "booking_number": f"B{i:08d}",
                "person_id": first_id + (i - start), "booked_at": now - timedelta(days=rng.randrange(1, 3000)),
                "released_at": (now - timedelta(days=1)) if i % 10 else None,
                "scheduled_release_at": now + timedelta(days=rng.randrange(2, 90)),
                "release_type": "scheduled", "release_reason": "sentence_served" if i % 10 else "",
                "created_at": now, "updated_at": now,
            } for i in range(start, start + size)]
            bulk_insert(Booking, bookings)
        log(f"{start + size:,} bookings")
    log(f"bulk insert: {time.perf_counter() - t0:.1f} s")
    # the requests: on bookings still in custody at the first jail (i % 20 == 0)
    t1 = time.perf_counter()
    in_custody = list(Booking.objects.filter(facility=jail, released_at__isnull=True).select_related("person")
                      .order_by("pk")[:n_requests])
    for n, b in enumerate(in_custody):
        with transaction.atomic():
            receive(RequestInput(
                request_id=f"LOS-B-{n:05d}", kind="detainer", issued_at=now - timedelta(hours=2), office="LOS",
                facility=FACILITY, booking_number=b.booking_number,
                subject=SubjectInput(last_name=b.person.last_name, first_name=b.person.first_name,
                                     date_of_birth=b.person.date_of_birth, fbi_number=b.person.fbi_number),
                form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",),
            ), source="bench")
    log(f"{len(in_custody)} requests received and decided: {time.perf_counter() - t1:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return {"mean_ms": round(statistics.fmean(ordered), 3), "p50_ms": round(pct(50), 3),
            "p95_ms": round(pct(95), 3), "p99_ms": round(pct(99), 3), "max_ms": round(ordered[-1], 3)}


def measure(calls: int, warmup: int) -> dict[str, Any]:
    from django.db import transaction
    from django.test import Client

    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_token
    from handoff.audit.models import AuditEvent
    from handoff.audit.services import verify
    from handoff.custody.models import Booking
    from handoff.requests.models import ImmigrationRequest

    with transaction.atomic():
        _, token = create_token(SYSTEM, "bench-clerk", name="bench", days=1)
    ids = list(ImmigrationRequest.objects.filter(facility__code=FACILITY).values_list("request_id", flat=True))
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    rng = random.Random(11)
    on: list[float] = []
    off: list[float] = []
    audit_before = AuditEvent.objects.count()
    for i in range(warmup + calls):
        rid = rng.choice(ids)
        order = [("on", f"/api/v1/requests/{rid}", auth), ("off", f"/bare/requests/{rid}", {})]
        if i % 2:
            order.reverse()
        for which, path, headers in order:
            t = time.perf_counter()
            response = client.get(path, **headers)
            elapsed = (time.perf_counter() - t) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{which} {path}: {response.status_code} {response.content[:300]!r}")
            if i >= warmup:
                (on if which == "on" else off).append(elapsed)
    same = client.get(f"/api/v1/requests/{ids[0]}", **auth).json() == client.get(f"/bare/requests/{ids[0]}").json()
    audited = AuditEvent.objects.count() - audit_before
    chain = verify()
    on_s, off_s = percentiles(on), percentiles(off)
    return {
        "bookings": Booking.objects.count(),
        "requests": len(ids),
        "calls_each": calls,
        "on": on_s,
        "off": off_s,
        "ratio_p50": round(on_s["p50_ms"] / off_s["p50_ms"], 3),
        "ratio_mean": round(on_s["mean_ms"] / off_s["mean_ms"], 3),
        "same_body": same,
        "audit_entries_written": audited,
        "audit_chain_ok": chain.ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--db", default=str(ROOT / "var" / "bench-api.sqlite3"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    marker = db_path.with_suffix(".built.json")
    wanted = {"bookings": args.bookings, "requests": args.requests, "schema": 1}
    fresh = args.rebuild or not db_path.exists() or not marker.exists() or json.loads(marker.read_text()) != wanted
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    setup_django(db_path)
    if fresh:
        build(args.bookings, args.requests)
        marker.write_text(json.dumps(wanted))
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    result = measure(args.calls, args.warmup)
    result.update({
        "targets": {"p99_ms": 50, "ratio": 1.5},
        "ok": result["on"]["p99_ms"] <= 50 and result["ratio_p50"] <= 1.5 and result["same_body"]
        and result["audit_chain_ok"],
        "database": "sqlite (file, WAL, synchronous=FULL)",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    })
    print(json.dumps(result))
    if not result["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
