"""Benchmark: notice delivery on PostgreSQL with 4 `handoff worker` processes and a local webhook receiver.
Prints one JSON object (EXPLAIN plans go to stderr as well).

    uv run python bench/deliver.py              # 100,000 notices (targets: >= 500/s, p99 due->attempt <= 2 s,
                                                #   claim cost 1,000,000 vs 10,000 pending <= 1.5x)
    uv run python bench/deliver.py --n 10000 --claim-sizes 10000,100000   # a quick look

Phases, each on the database `handoff_bench_deliver` (dropped and re-created):
1. sustained: --n notices come due at --rate per second (default 550/s, above the 500/s target) while
   4 workers run. Figures: deliveries/s over the run (first due time to last delivery), and the gap from each
   notice's due time to its first attempt (p50/p99/max). If the workers could not keep up, the gap would
   grow through the run and the p99 would show it.
2. burst: --burst notices all due at the same instant: how fast a backlog drains (the ceiling).
3. claim cost: the worker's own two claim statements (lease an endpoint; lease its due rows), run in a
   transaction that is rolled back, 300 times each, with 100 due rows among 10,000 pending, then among
   1,000,000 pending (the rest scheduled over the coming month). EXPLAIN (ANALYZE, BUFFERS) plans for both.

The receiver is a separate process (asyncio, HTTP/1.1 keep-alive) that verifies every Standard Webhooks
signature with the `standardwebhooks` library and answers 200. Rows are seeded with INSERT ... SELECT
generate_series (1,000 requests shared by the notices; the payload differs per notice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DBNAME = "handoff_bench_deliver"
SECRET = "whsec_" + "YmVuY2gtc2VjcmV0LWZvci1oYW5kb2ZmLWRlbGl2ZXJ5"


def log(msg: str) -> None:
    print(f"[deliver] {msg}", file=sys.stderr, flush=True)


# --- receiver (own process) ------------------------------------------------------------------------------

def _receiver(port: int, ready: Any, counts: Any) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    hook = Webhook(SECRET)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("GET"):
                    payload = json.dumps({"ok": counts[0], "bad": counts[1]}).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(payload), payload))
                else:
                    try:
                        hook.verify(body, headers)
                        counts[0] += 1
                        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    except WebhookVerificationError:
                        counts[1] += 1
                        writer.write(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- database --------------------------------------------------------------------------------------------

def pg_url(base: str, db: str) -> str:
    return urlunparse(urlparse(base)._replace(path="/" + db, query=""))


def recreate(base: str) -> None:
    import psycopg

    with psycopg.connect(pg_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{DBNAME}"')  # type: ignore[arg-type]


def child_env(url: str) -> dict[str, str]:
    return {**os.environ, "HANDOFF_DATABASE_URL": url, "HANDOFF_SECRET_KEY": os.environ["HANDOFF_SECRET_KEY"],
            "HANDOFF_DEBUG": "0", "HANDOFF_BASE_URL": "http://127.0.0.1:8000", "PYTHONPATH": str(ROOT / "src"),
            "HANDOFF_WEBHOOK_ALLOW_LOCAL": "1"}  # the bench's receiver is on this machine (review L7)


def setup_world(offices: int, port: int, requests: int) -> list[int]:
    """Offices (one webhook endpoint each), one jail, `requests` decided requests. Returns request ids."""
    from handoff.core import clock
    from handoff.custody.models import Booking, Person
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.notices.models import Endpoint
    from handoff.requests.models import Decision, ImmigrationRequest

    now = clock.now()
    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    ca = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                     default_timezone="America/Los_Angeles")
    county = Jurisdiction.objects.create(fips="06001", name="Alameda County", kind="county", parent=ca,
                                         postal="CA", default_timezone="America/Los_Angeles")
    facility = Facility.objects.create(code="BENCH", name="Bench Jail", jurisdiction=county,
                                       timezone="America/Los_Angeles")
    offs = [FederalOffice.objects.create(code=f"B{i:02d}", name=f"Bench office {i}",
                                         webhook_url=f"http://127.0.0.1:{port}/hook", webhook_secret=SECRET)
            for i in range(offices)]
    for o in offs:
        o.covers.add(county)  # an office covers only the places it has a row for (review H1)
        Endpoint.objects.create(office=o, channel="webhook")
    person = Person.objects.create(last_name="Bench", first_name="Pat", date_of_birth=datetime(1990, 1, 1).date())
    bookings = Booking.objects.bulk_create([
        Booking(facility=facility, booking_number=f"BB{i:06d}", person=person, booked_at=now,
                scheduled_release_at=now + timedelta(days=30)) for i in range(requests)])
    reqs = ImmigrationRequest.objects.bulk_create([
        ImmigrationRequest(request_id=f"BENCH-{i:06d}", kind="detainer", form="I-247A", issued_at=now,
                           received_at=now, office=offs[i % offices], facility=facility,
                           booking_number=b.booking_number, booking=b, subject_last_name="Bench",
                           subject_first_name="Pat", status="matched")
        for i, b in enumerate(bookings)])
    decisions = Decision.objects.bulk_create([
        Decision(request=r, evaluated_at=now, trigger="bench", policies=["us-federal@2017-04-02"], notify=True,
                 hold="permitted", transfer="permitted", individual_notice=False, attorney_notice=False,
                 lead_time_hours=48, calendar="clock", review=False,
                 reasons=[{"rule": "federal-notify", "cite": "8 CFR 287.7", "holds": True}])
        for r in reqs])
    for r, d in zip(reqs, decisions, strict=True):
        r.current_decision = d
    ImmigrationRequest.objects.bulk_update(reqs, ["current_decision"])
    return [r.pk for r in reqs]


def seed(tag: str, n: int, t0: datetime, rate: float | None, request_ids: list[int], *, start: int = 0) -> float:
    """n notices (and one webhook delivery each) due from t0 at `rate` per second (None: all at t0)."""
    from django.db import connection, transaction

    started = time.perf_counter()
    step = "(g.i / %(rate)s) * interval '1 second'" if rate else "interval '0 second'"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO notices_notice (uid, kind, request_id, decision_id, office_id, booking_id, status,
                short_notice, missed, due_at, release_at, lead_time_hours, calendar, supersedes_id, "trigger",
                escalate_at, escalated_at, escalation_reason, first_attempt_at, sent_at, lag_ms, acknowledged_at,
                acknowledged_by_id, acknowledged_via, cancelled_at, cancel_reason, created_at, updated_at)
            SELECT gen_random_uuid(), 'release.advance_notice', r.id, r.current_decision_id, r.office_id,
                r.booking_id, 'scheduled', false, false, %(t0)s + {step},
                %(t0)s + {step} + interval '48 hours', 48, 'clock', NULL, %(tag)s, NULL, NULL, '', NULL, NULL,
                NULL, NULL, NULL, '', NULL, '', now(), now()
            FROM generate_series(%(start)s, %(start)s + %(n)s - 1) AS g(i)
            JOIN requests_immigrationrequest r ON r.id = (%(ids)s::bigint[])[(g.i %% %(nreq)s) + 1]
        """, {"t0": t0, "rate": rate, "tag": tag, "n": n, "start": start, "ids": request_ids,
              "nreq": len(request_ids)})
        cur.execute("""
            INSERT INTO notices_delivery (notice_id, endpoint_id, channel, webhook_id, reason, status, due_at,
                next_attempt_at, give_up_at, lease_owner, lease_expires_at, attempts, first_attempt_at,
                last_status_code, last_error, delivered_at, created_at, updated_at)
            SELECT n.id, e.id, 'webhook', 'msg_' || replace(n.uid::text, '-', ''), '', 'pending', n.due_at,
                n.due_at, n.release_at, '', NULL, 0, NULL, NULL, '', NULL, now(), now()
            FROM notices_notice n JOIN notices_endpoint e ON e.office_id = n.office_id AND e.channel = 'webhook'
            WHERE n."trigger" = %(tag)s
        """, {"tag": tag})
    with connection.cursor() as cur:
        cur.execute("ANALYZE notices_notice")
        cur.execute("ANALYZE notices_delivery")
    return time.perf_counter() - started


def pending(tag: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT count(*) FROM notices_delivery d JOIN notices_notice n ON n.id = d.notice_id
                       WHERE d.status = 'pending' AND n."trigger" = %s""", [tag])
        return int(cur.fetchone()[0])


def phase_figures(tag: str, t0: datetime) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT count(*) FILTER (WHERE d.status = 'sent'),
                   extract(epoch FROM max(d.delivered_at) - %(t0)s),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.first_attempt_at - d.due_at)),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.first_attempt_at - d.due_at)),
                   max(extract(epoch FROM d.first_attempt_at - d.due_at)),
                   sum(d.attempts), count(*)
            FROM notices_delivery d JOIN notices_notice n ON n.id = d.notice_id WHERE n."trigger" = %(tag)s
        """, {"t0": t0, "tag": tag})
        sent, span, p50, p99, worst, attempts, total = cur.fetchone()
        cur.execute("""SELECT count(*) FROM notices_deliveryattempt a JOIN notices_delivery d ON d.id = a.delivery_id
                       JOIN notices_notice n ON n.id = d.notice_id WHERE n."trigger" = %s""", [tag])
        attempt_rows = int(cur.fetchone()[0])
    span = float(span or 0)
    return {"notices": int(total), "delivered": int(sent), "seconds": round(span, 2),
            "deliveries_per_s": round(sent / span, 1) if span > 0 else None,
            "due_to_first_attempt_s": {"p50": round(float(p50 or 0), 3), "p99": round(float(p99 or 0), 3),
                                       "max": round(float(worst or 0), 3)},
            "attempts": int(attempts or 0), "attempt_rows": attempt_rows}


def run_phase(name: str, n: int, rate: float | None, lead_in: float, request_ids: list[int], start: int,
              timeout: float) -> dict[str, Any]:
    t0 = datetime.now(UTC) + timedelta(seconds=lead_in)
    seeded = seed(name, n, t0, rate, request_ids, start=start)
    if datetime.now(UTC) > t0:
        log(f"{name}: seeding took {seeded:.1f} s, longer than the lead-in; figures include that delay")
    log(f"{name}: {n} notices seeded in {seeded:.1f} s, first due {t0:%H:%M:%S}")
    deadline = time.time() + lead_in + (n / rate if rate else 0) + timeout
    while time.time() < deadline:
        time.sleep(1.0)
        left = pending(name)
        if left == 0:
            break
        log(f"{name}: {left} pending")
    figures = phase_figures(name, t0)
    figures["seed_seconds"] = round(seeded, 1)
    if rate:
        figures["offered_per_s"] = rate
    return figures


# --- claim cost ------------------------------------------------------------------------------------------

def claim_cost(sizes: list[int], request_ids: list[int], offices: int) -> dict[str, Any]:
    from django.db import connection

    from handoff.notices.models import Endpoint
    from handoff.notices.worker import (
        claim_deliveries_params,
        claim_deliveries_sql,
        claim_endpoint_params,
        claim_endpoint_sql,
    )

    with connection.cursor() as cur:
        cur.execute("TRUNCATE notices_deliveryattempt, notices_delivery, notices_letterhandover, notices_notice "
                    "RESTART IDENTITY CASCADE")
        cur.execute("UPDATE notices_endpoint SET lease_owner = '', lease_expires_at = NULL, blocked_until = NULL")
    now = datetime.now(UTC)
    seed("due", 100, now - timedelta(seconds=30), 100.0, request_ids)  # 100 due rows across the offices
    have = 100
    results: dict[str, Any] = {}
    endpoint_ids = list(Endpoint.objects.values_list("pk", flat=True))
    for size in sizes:
        more = size - have
        if more > 0:
            # scheduled over the coming month: the realistic bulk of pending notices
            seed(f"future-{size}", more, now + timedelta(hours=1), more / (30 * 86400), request_ids, start=have)
            have = size
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE notices_delivery")
        timings: dict[str, list[float]] = {"endpoint": [], "deliveries": []}
        plans: dict[str, str] = {}
        # the plans first, each in its own rolled-back transaction, so they show a claim that takes rows
        at = datetime.now(UTC)
        lease = at + timedelta(seconds=60)
        with connection.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(claim_endpoint_sql(), claim_endpoint_params("bench", at, lease))
            row = cur.fetchone()
            cur.execute("ROLLBACK")
            chosen = row[0] if row else endpoint_ids[0]
            for key, sql, params in (
                ("endpoint", claim_endpoint_sql(), claim_endpoint_params("bench", at, lease)),
                ("deliveries", claim_deliveries_sql(), claim_deliveries_params("bench", chosen, at, lease, 200)),
            ):
                cur.execute("BEGIN")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plans[key] = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("ROLLBACK")
        for i in range(300):
            at = datetime.now(UTC)
            lease = at + timedelta(seconds=60)
            with connection.cursor() as cur:
                cur.execute("BEGIN")
                t = time.perf_counter()
                cur.execute(claim_endpoint_sql(), claim_endpoint_params("bench", at, lease))
                row = cur.fetchone()
                timings["endpoint"].append(time.perf_counter() - t)
                endpoint_id = row[0] if row else endpoint_ids[i % len(endpoint_ids)]
                t = time.perf_counter()
                cur.execute(claim_deliveries_sql(), claim_deliveries_params("bench", endpoint_id, at, lease, 200))
                cur.fetchall()
                timings["deliveries"].append(time.perf_counter() - t)
                cur.execute("ROLLBACK")
        entry = {}
        for key, values in timings.items():
            values.sort()
            entry[key] = {"median_ms": round(statistics.median(values) * 1000, 3),
                          "p95_ms": round(values[int(len(values) * 0.95)] * 1000, 3)}
        entry["total_median_ms"] = round(entry["endpoint"]["median_ms"] + entry["deliveries"]["median_ms"], 3)
        entry["plans"] = plans
        results[str(size)] = entry
        log(f"claim cost at {size} pending: {entry['total_median_ms']} ms (median of 300)")
        for key, plan in plans.items():
            log(f"EXPLAIN {key} claim at {size} pending:\n{plan}")
    lo, hi = str(min(sizes)), str(max(sizes))
    results["ratio"] = round(results[hi]["total_median_ms"] / results[lo]["total_median_ms"], 2)
    return results


# --- main ------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="notices in the sustained phase")
    parser.add_argument("--rate", type=float, default=550.0, help="notices coming due per second")
    parser.add_argument("--burst", type=int, default=None, help="notices due at once (default n/5)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--offices", type=int, default=20)
    parser.add_argument("--claim-sizes", default="10000,1000000")
    parser.add_argument("--skip-claim", action="store_true")
    parser.add_argument("--pg", default=os.environ.get("HANDOFF_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/"))
    args = parser.parse_args()
    burst = args.burst if args.burst is not None else max(1, args.n // 5)

    try:
        recreate(args.pg)
    except Exception as exc:
        print(json.dumps({"bench": "deliver", "skipped": f"PostgreSQL not reachable at {args.pg}: {exc}"}))
        return 0
    url = pg_url(args.pg, DBNAME)
    os.environ["HANDOFF_DATABASE_URL"] = url
    os.environ.setdefault("HANDOFF_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["HANDOFF_DEBUG"] = "0"
    os.environ["HANDOFF_WEBHOOK_ALLOW_LOCAL"] = "1"  # the bench's receiver is on this machine (review L7)
    os.environ.setdefault("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
    os.environ["DJANGO_SETTINGS_MODULE"] = "handoff.settings"
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], env=child_env(url), check=True,
                   cwd=ROOT)
    import django

    django.setup()

    ctx = multiprocessing.get_context("spawn")
    port = 0
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ready = ctx.Event()
    counts = ctx.Array("q", [0, 0], lock=False)
    receiver = ctx.Process(target=_receiver, args=(port, ready, counts), daemon=True)
    receiver.start()
    ready.wait(30)

    request_ids = setup_world(args.offices, port, 1000)
    workers = [subprocess.Popen([sys.executable, "-m", "handoff.cli", "worker"], env=child_env(url), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(args.workers)]
    result: dict[str, Any] = {
        "bench": "deliver", "database": "postgresql", "workers": args.workers, "offices": args.offices,
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }
    try:
        lead_in = max(20.0, args.n / 20000 * 10)
        result["sustained"] = run_phase("sustained", args.n, args.rate, lead_in, request_ids, 0, timeout=120)
        result["burst"] = run_phase("burst", burst, None, max(15.0, burst / 20000 * 10), request_ids, args.n,
                                    timeout=300)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
    result["receiver"] = {"accepted": counts[0], "bad_signatures": counts[1]}
    receiver.terminate()
    if not args.skip_claim:
        sizes = [int(x) for x in args.claim_sizes.split(",")]
        result["claim_cost"] = claim_cost(sizes, request_ids, args.offices)
    s = result["sustained"]
    result["targets"] = {
        "deliveries_per_s_ge_500": (s["deliveries_per_s"] or 0) >= 500,
        "p99_due_to_first_attempt_le_2s": s["due_to_first_attempt_s"]["p99"] <= 2.0,
        "claim_cost_ratio_le_1_5": result.get("claim_cost", {}).get("ratio", 0) <= 1.5 if not args.skip_claim
        else None,
        "all_delivered": s["delivered"] == s["notices"] and result["burst"]["delivered"] == result["burst"]["notices"],
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
