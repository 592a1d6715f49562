"""Jail dashboard server render time at scale: 1,000,000 bookings and 100,000 open requests (issue 6).

Builds (once, then reuses) a SQLite file database var/bench-pages.sqlite3 with bulk inserts, then renders the
jail dashboard for a records clerk of one facility through the whole Django stack (middleware, scoping,
audit record, templates) and prints one JSON object: median and p95 over several renders, against a target
of 300 ms.

Usage: uv run python bench/pages.py [--bookings N] [--open-requests N] [--renders N] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DB = ROOT / "var" / "bench-pages.sqlite3"
TARGET_MS = 300.0
FACILITIES = 20


def _setup(rebuild: bool) -> None:
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(str(DB) + suffix).unlink(missing_ok=True)
    DB.parent.mkdir(parents=True, exist_ok=True)
    os.environ["HANDOFF_DATABASE_URL"] = f"sqlite:///{DB}"
    # production settings: DEBUG off (cached template loader, no debug bookkeeping), as a county would run it
    os.environ.setdefault("HANDOFF_DEBUG", "0")
    os.environ.setdefault("HANDOFF_SECRET_KEY", "bench-" + os.urandom(24).hex())
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ.setdefault("HANDOFF_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _columns(model: Any, explicit: dict[str, Any], now: datetime) -> tuple[list[str], list[Any]]:
    """Every concrete column but the primary key, with the explicit value or the field's default."""
    from django.db import models

    cols: list[str] = []
    defaults: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.attname in explicit or f.name in explicit:
            defaults.append(None)
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif isinstance(f, models.DateTimeField):
            value = now
        elif isinstance(f, (models.CharField, models.TextField)):
            value = ""
        else:
            value = None
        if isinstance(value, (list, dict)):
            value = json.dumps(value)
        defaults.append(value)
    return cols, defaults


def _insert(model: Any, rows: list[dict[str, Any]], now: datetime) -> None:
    from django.db import connection

    if not rows:
        return
    cols, defaults = _columns(model, rows[0], now)
    fields = {f.column: f for f in model._meta.concrete_fields}
    names = [fields[c].attname for c in cols]
    sql = f'INSERT INTO {model._meta.db_table} ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
    values = []
    for row in rows:
        out = []
        for c, name, d in zip(cols, names, defaults, strict=True):
            v = row.get(name, row.get(fields[c].name, d))
            if isinstance(v, (list, dict)):
                v = json.dumps(v)
            out.append(v)
        values.append(out)
    with connection.cursor() as cur:
        cur.executemany(sql, values)


def _build(bookings: int, open_requests: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from handoff.custody.models import Booking, Person
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.notices.models import Notice
    from handoff.requests.models import Decision, ImmigrationRequest

    if Booking.objects.count() >= bookings and ImmigrationRequest.objects.count() >= open_requests:
        return {"built": False}
    started = time.perf_counter()
    rng = random.Random(6)
    now = datetime.now(tz=UTC)
    with transaction.atomic():
        nation = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
        state = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=nation, postal="CA",
                                            default_timezone="America/Los_Angeles")
        from handoff.jurisdictions.models import PolicyAssignment

        PolicyAssignment.objects.create(jurisdiction=nation, policy_id="us-federal")
        PolicyAssignment.objects.create(jurisdiction=state, policy_id="us-ca")
        facilities = []
        for i in range(FACILITIES):
            county = Jurisdiction.objects.create(fips=f"06{i * 2 + 1:03d}", name=f"County {i}", kind="county",
                                                 parent=state, postal="CA", default_timezone="America/Los_Angeles")
            facilities.append(Facility.objects.create(code=f"F{i:02d}", name=f"Jail {i}", jurisdiction=county,
                                                      timezone="America/Los_Angeles"))
        office = FederalOffice.objects.create(code="LOS", name="ICE ERO Los Angeles")
        office.covers.set([f.jurisdiction for f in facilities])

    person_id0 = 1
    chunk = 50_000
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous=OFF")
    for start in range(0, bookings, chunk):
        n = min(chunk, bookings - start)
        with transaction.atomic():
            _insert(Person, [{"last_name": f"Last{(start + k) % 9973}", "first_name": f"First{(start + k) % 577}",
                              "date_of_birth": date(1950 + (start + k) % 50, 1 + (start + k) % 12, 1 + (start + k) % 28),
                              "created_at": now, "updated_at": now} for k in range(n)], now)
            rows = []
            for k in range(n):
                idx = start + k
                open_ = idx < open_requests
                booked = now - timedelta(days=rng.randint(1, 3650))
                release = now + timedelta(hours=rng.uniform(-12, 90 * 24)) if open_ else booked + timedelta(days=rng.randint(1, 60))
                rows.append({"facility_id": facilities[idx % FACILITIES].pk, "booking_number": f"B{idx:08d}",
                             "person_id": person_id0 + idx, "booked_at": booked, "scheduled_release_at": release,
                             "release_type": "scheduled", "released_at": None if open_ else release,
                             "release_reason": "" if open_ else "sentence_served", "created_at": now, "updated_at": now})
            _insert(Booking, rows, now)
    booking_ids = dict(Booking.objects.filter(booking_number__lt=f"B{open_requests:08d}").values_list("booking_number", "pk"))
    for start in range(0, open_requests, chunk):
        n = min(chunk, open_requests - start)
        with transaction.atomic():
            reqs = []
            for k in range(n):
                idx = start + k
                reqs.append({"request_id": f"R{idx:08d}", "kind": "detainer", "form": "I-247A", "issued_at": now,
                             "received_at": now - timedelta(days=rng.randint(0, 300)), "office_id": office.pk,
                             "facility_id": facilities[idx % FACILITIES].pk, "booking_number": f"B{idx:08d}",
                             "booking_id": booking_ids[f"B{idx:08d}"], "subject_last_name": f"Last{idx % 9973}",
                             "subject_first_name": f"First{idx % 577}", "status": "review" if idx % 500 == 0 else "matched",
                             "lead_time_hours": 48, "created_at": now, "updated_at": now})
            _insert(ImmigrationRequest, reqs, now)
    req_ids = dict(ImmigrationRequest.objects.values_list("request_id", "pk"))
    for start in range(0, open_requests, chunk):
        n = min(chunk, open_requests - start)
        with transaction.atomic():
            decisions = []
            for k in range(n):
                idx = start + k
                decisions.append({"request_id": req_ids[f"R{idx:08d}"], "evaluated_at": now - timedelta(minutes=idx % 10_000),
                                  "trigger": "received", "policies": ["us-federal@2017-04-02", "us-ca@2018-01-01"],
                                  "notify": idx % 3 != 0, "hold": "prohibited", "transfer": "permitted",
                                  "individual_notice": True, "attorney_notice": True, "lead_time_hours": 48,
                                  "review": idx % 400 == 0, "reasons": [{"policy": "us-ca@2018-01-01", "rule": "ca-7282.5-a-1",
                                                                          "cite": "Cal. Gov. Code 7282.5(a)(1)", "holds": True, "detail": "x"}]})
            _insert(Decision, decisions, now)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {ImmigrationRequest._meta.db_table} SET current_decision_id = "
                    f"(SELECT MAX(d.id) FROM {Decision._meta.db_table} d WHERE d.request_id = {ImmigrationRequest._meta.db_table}.id)")
    bookings_by_req = dict(ImmigrationRequest.objects.values_list("pk", "booking_id"))
    release_of = dict(Booking.objects.filter(pk__in=list(bookings_by_req.values())).values_list("pk", "scheduled_release_at"))
    for start in range(0, open_requests, chunk):
        with transaction.atomic():
            notices = []
            for k in range(min(chunk, open_requests - start)):
                rid = req_ids[f"R{start + k:08d}"]
                release = release_of[bookings_by_req[rid]]
                due = release - timedelta(hours=48)
                notices.append({"uid": __import__("uuid").uuid4().hex, "kind": "release.advance_notice", "request_id": rid,
                                "office_id": office.pk, "booking_id": bookings_by_req[rid],
                                "status": "scheduled" if due > now else "sent", "due_at": due, "release_at": release,
                                "lead_time_hours": 48, "calendar": "clock", "created_at": now, "updated_at": now,
                                "sent_at": None if due > now else due})
            _insert(Notice, notices, now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"built": True, "build_seconds": round(time.perf_counter() - started, 1)}


def _clerk(facility_code: str) -> Any:
    from django.contrib.auth import get_user_model

    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user

    user = get_user_model().objects.filter(username="bench_clerk").first()
    return user or create_user(SYSTEM, "bench_clerk", "jail_clerk", facilities=[facility_code])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--open-requests", type=int, default=100_000)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    _setup(args.rebuild)
    built = _build(args.bookings, args.open_requests)

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = _clerk("F00")
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    timings = []
    queries = 0
    status = 0
    for i in range(args.renders + 2):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get("/jail/", secure=True)
            elapsed = (time.perf_counter() - t0) * 1000
        status = response.status_code
        if i >= 2:  # two warm-up renders
            timings.append(elapsed)
            queries = len(ctx.captured_queries)
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    out = {
        "benchmark": "jail dashboard server render",
        "database": "sqlite",
        "bookings": args.bookings,
        "open_requests": args.open_requests,
        "facilities": FACILITIES,
        "renders": len(timings),
        "status": status,
        "queries_per_render": queries,
        "median_ms": round(median, 1),
        "p95_ms": round(p95, 1),
        "target_ms": TARGET_MS,
        "ok": status == 200 and median <= TARGET_MS,
        **built,
    }
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
