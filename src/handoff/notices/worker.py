"""The delivery worker: claim an office's due deliveries under a lease, send them oldest first, record every
attempt, back off when the office is down, escalate what is late or unanswered.

Why leases instead of holding a transaction open while sending: a send can take seconds (webhook timeout) and
must not keep locks; and a worker that dies (kill -9) must not strand work. A lease is a time written in the
row: when it passes without being renewed, the work is claimable again, so every delivery is sent at least
once, and a duplicate carries the same `webhook-id` for the receiver to drop.

Why the lease is on the endpoint (office + channel) as well as on the rows: an office's notices must arrive
in due order, also when a backlog drains after an outage. Only the holder of an endpoint's lease sends to it,
and it sends oldest due first, one at a time.

The claim, in one short transaction:
- PostgreSQL: `UPDATE endpoint ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`, then the
  endpoint's due rows with `UPDATE delivery ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`;
  concurrent workers skip each other's endpoints instead of waiting.
- SQLite: the same statements inside `BEGIN IMMEDIATE` (settings use transaction_mode IMMEDIATE), which
  takes the database's write lock first, so two claims cannot interleave.
Both use only the partial indexes over pending rows, so a claim costs the same with ten thousand or a million
notices waiting.

Tests drive the single steps directly: `Worker().claim()`, `.deliver(claim)`, `.step()`, `.housekeep()`,
`.run_once()`. `run_forever(stop)` is what `handoff serve` runs in a thread; `handoff worker` runs it in a
process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce

from handoff.audit import record as audit_record
from handoff.audit.services import PlainActor, system_actor
from handoff.core import clock
from handoff.custody.models import AttorneyContact, Booking
from handoff.notices import conf, payloads, services, states, wakeup
from handoff.notices.channels import Result
from handoff.notices.channels import email as email_channel
from handoff.notices.channels import webhook as webhook_channel
from handoff.notices.models import (
    OFFICE_KINDS,
    RELEASE_KINDS,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    Notice,
    NoticeStatus,
)
from handoff.requests.models import Decision, ImmigrationRequest

log = logging.getLogger(__name__)

_wake = wakeup.event

#: record results (and renew the lease) at least this often while sending a batch
FLUSH_SECONDS = 0.25
FLUSH_ROWS = 50


#: jobs the housekeeping loop runs (each decides itself whether today's run is due). Why a registration:
#: the daily re-check belongs to the flow above this app; ops hands it down (ops.apps.OpsConfig.ready).
_DAILY: list[Callable[[], Any]] = []


def register_daily(job: Callable[[], Any]) -> None:
    """Have the housekeeping loop call `job` (once per loop; the job itself runs at most once a day)."""
    if job not in _DAILY:
        _DAILY.append(job)


def wake() -> None:
    """Something became due now (a short notice, a release.occurred): stop sleeping."""
    wakeup.ring()


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with equal jitter: half the step fixed, half random, capped."""
    step = min(conf.retry_cap_seconds(), conf.retry_base_seconds() * (2 ** max(attempt - 1, 0)))
    return timedelta(seconds=step / 2 + random.uniform(0, step / 2))


@dataclass
class Claim:
    """Endpoints leased together and their due deliveries, oldest due first across them."""

    endpoints: dict[int, Endpoint]
    deliveries: list[Delivery]
    lease_until: datetime


@dataclass
class Sent:
    delivery: Delivery
    result: Result
    at: datetime
    release_at: datetime | None


@dataclass
class Report:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    escalated: int = 0
    gave_up: int = 0


def _p(value: datetime) -> Any:
    """A datetime as this backend's driver wants it in raw SQL (SQLite stores Django's own text format)."""
    return connection.ops.adapt_datetimefield_value(value)


def _skip_locked() -> str:
    return " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""


def claim_endpoint_sql() -> str:
    """Lease the free, unpaused endpoint whose oldest pending delivery is oldest, if it has one due.
    (bench/deliver.py EXPLAINs this very statement.)"""
    ep_t, d_t = Endpoint._meta.db_table, Delivery._meta.db_table
    return (
        f"UPDATE {ep_t} SET lease_owner = %s, lease_expires_at = %s WHERE id = ("
        f" SELECT e.id FROM {ep_t} e"
        f" WHERE (e.lease_expires_at IS NULL OR e.lease_expires_at < %s)"
        f"   AND (e.blocked_until IS NULL OR e.blocked_until <= %s)"
        f"   AND EXISTS (SELECT 1 FROM {d_t} d WHERE d.endpoint_id = e.id AND d.status = 'pending'"
        f"               AND d.next_attempt_at <= %s)"
        f" ORDER BY (SELECT MIN(d2.next_attempt_at) FROM {d_t} d2"
        f"           WHERE d2.endpoint_id = e.id AND d2.status = 'pending'), e.id"
        f" LIMIT 1{_skip_locked()}) RETURNING id"
    )


def claim_endpoint_params(owner: str, now: datetime, lease_until: datetime) -> list[Any]:
    return [owner, _p(lease_until), _p(now), _p(now), _p(now)]


def claim_deliveries_sql() -> str:
    """Lease an endpoint's oldest due deliveries (due_at bounds the index range; next_attempt_at skips rows
    that are backing off or leased)."""
    d_t = Delivery._meta.db_table
    return (
        f"UPDATE {d_t} SET lease_owner = %s, lease_expires_at = %s, next_attempt_at = %s"
        f" WHERE id IN (SELECT id FROM {d_t}"
        f"  WHERE endpoint_id = %s AND status = 'pending' AND due_at <= %s AND next_attempt_at <= %s"
        f"  ORDER BY due_at, id LIMIT %s{_skip_locked()}) RETURNING id"
    )


def claim_deliveries_params(owner: str, endpoint_id: int, now: datetime, lease_until: datetime,
                            batch: int) -> list[Any]:
    return [owner, _p(lease_until), _p(lease_until), endpoint_id, _p(now), _p(now), batch]


def _load(ids: list[int], endpoints: dict[int, Endpoint]) -> list[Delivery]:
    """The claimed rows with what a payload needs. Notices share requests, decisions and their office, so
    those are fetched once each (select_related would build them again for every row)."""
    rows = list(Delivery.objects.filter(pk__in=ids).select_related("notice").order_by("due_at", "pk"))
    notices = [d.notice for d in rows]
    requests = ImmigrationRequest.objects.select_related("facility__jurisdiction", "facility__city").in_bulk(
        {n.request_id for n in notices})
    decisions = Decision.objects.in_bulk({n.decision_id for n in notices if n.decision_id})
    bookings = Booking.objects.in_bulk({n.booking_id for n in notices if n.booking_id})
    earlier = Notice.objects.only("id", "uid").in_bulk({n.supersedes_id for n in notices if n.supersedes_id})
    for d in rows:
        d.endpoint = endpoints[d.endpoint_id]
        n = d.notice
        n.office = d.endpoint.office  # an endpoint belongs to the office of every notice it carries
        n.request = requests[n.request_id]
        if n.decision_id:
            n.decision = decisions[n.decision_id]
        if n.booking_id:
            n.booking = bookings[n.booking_id]
        if n.supersedes_id:
            n.supersedes = earlier[n.supersedes_id]
    return rows


class Worker:
    def __init__(self, owner: str | None = None, stop: threading.Event | None = None, *,
                 housekeeping: bool = True) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stop = stop or threading.Event()
        self.housekeeping = housekeeping
        self.report = Report()
        self._auditor: PlainActor | None = None

    # --- claim -------------------------------------------------------------------------------------------

    def claim(self, now: datetime | None = None, *, batch: int | None = None,
              endpoints: int | None = None) -> Claim | None:
        """Lease up to `endpoints` endpoints that have due deliveries, and their oldest due deliveries (at
        most `batch` in all). None if nothing is due, or every endpoint with due work is leased by another
        worker or paused after a failure. Several endpoints per claim because, when notices trickle in, each
        endpoint has only a row or two due and the claim and the record would otherwise cost more than the
        sends."""
        now = now or clock.now()
        batch = batch or conf.batch_size()
        wanted = endpoints or conf.endpoints_per_claim()
        lease_until = now + timedelta(seconds=conf.lease_seconds())
        ep_t = Endpoint._meta.db_table
        with transaction.atomic(), connection.cursor() as cur:
            leased: list[int] = []
            for _ in range(wanted):
                cur.execute(claim_endpoint_sql(), claim_endpoint_params(self.owner, now, lease_until))
                row = cur.fetchone()
                if row is None:
                    break
                leased.append(row[0])
            if not leased:
                return None
            per_endpoint = max(10, batch // len(leased))
            ids: list[int] = []
            for endpoint_id in leased:
                cur.execute(claim_deliveries_sql(), claim_deliveries_params(self.owner, endpoint_id, now,
                                                                            lease_until, per_endpoint))
                got = [r[0] for r in cur.fetchall()]
                if not got:  # its due rows went to another worker or were moved; let the endpoint go
                    cur.execute(f"UPDATE {ep_t} SET lease_owner = '', lease_expires_at = NULL"
                                " WHERE id = %s AND lease_owner = %s", [endpoint_id, self.owner])
                ids += got
        if not ids:
            return None
        held = Endpoint.objects.select_related("office").in_bulk(leased)
        rows = _load(ids, held)
        return Claim({pk: held[pk] for pk in {d.endpoint_id for d in rows}}, rows, lease_until)

    # --- send --------------------------------------------------------------------------------------------

    def send(self, delivery: Delivery) -> Sent:
        notice = delivery.notice
        office = notice.office
        at = clock.now()
        if delivery.channel == Channel.ATTORNEY:
            # the copy to the person's attorney or designee: their letter's words to their address, nothing
            # of the office's payload (and the office is never the recipient)
            contact = (AttorneyContact.objects.filter(booking_id=notice.booking_id).first()
                       if notice.booking_id is not None else None)
            result = email_channel.send_attorney(contact.email if contact is not None else "", delivery.webhook_id,
                                                 notice)
            return Sent(delivery, result, at, None)
        body = payloads.build(notice, delivery, at)
        data = payloads.encode(body)
        channel = delivery.channel
        if channel == Channel.WEBHOOK:
            result = webhook_channel.send(office.webhook_url, office.webhook_secret, delivery.webhook_id, at, data)
        elif channel == Channel.EMAIL:
            result = email_channel.send(office.email, delivery.webhook_id, body, services.ack_url(notice),
                                        tz=notice.request.facility.timezone)
        elif office.escalation_webhook_url:
            # the second contact's own receiver verifies with its own secret (or the office's, if it shares one)
            result = webhook_channel.send(office.escalation_webhook_url,
                                          office.escalation_webhook_secret or office.webhook_secret,
                                          delivery.webhook_id, at, data)
        else:
            result = email_channel.send(office.escalation_email, delivery.webhook_id, body,
                                        services.ack_url(notice), escalation=True,
                                        tz=notice.request.facility.timezone)
        return Sent(delivery, result, at, notice.release_at)

    def deliver(self, claim: Claim) -> int:
        """Send a claimed batch, oldest due first. An endpoint that shows it is down gets nothing more from
        this batch (its rows keep their place in its line); the others go on."""
        done: list[Sent] = []
        todo = list(claim.deliveries)
        skipped: list[Delivery] = []
        down: set[int] = set()
        attempted = 0
        last_flush = time.monotonic()
        try:
            while todo and not self.stop.is_set():
                delivery = todo.pop(0)
                if delivery.endpoint_id in down:
                    skipped.append(delivery)
                    continue
                try:
                    sent = self.send(delivery)
                except Exception as exc:  # a bug or bad data in one notice must not stop the office's line
                    log.exception("worker %s: could not send delivery %s", self.owner, delivery.pk)
                    sent = Sent(delivery, Result(False, error=f"internal error: {type(exc).__name__}: {exc}"[:500]),
                                clock.now(), delivery.notice.release_at)
                done.append(sent)
                attempted += 1
                if not sent.result.delivered and sent.result.endpoint_down:
                    down.add(delivery.endpoint_id)
                    skipped.append(delivery)  # first in its line when the endpoint is back
                if todo and (len(done) >= FLUSH_ROWS or time.monotonic() - last_flush >= FLUSH_SECONDS):
                    lost = self.flush(claim, done, remaining=todo + skipped)
                    done = []
                    last_flush = time.monotonic()
                    if lost:
                        log.warning("worker %s lost the lease on endpoints %s", self.owner, sorted(lost))
                        down |= lost
                        for pk in lost:
                            claim.endpoints.pop(pk, None)
        finally:
            email_channel.close()
        self.flush(claim, done, remaining=todo + skipped, final=True)
        return attempted

    # --- record ------------------------------------------------------------------------------------------

    def flush(self, claim: Claim, done: list[Sent], *, remaining: list[Delivery], final: bool = False) -> set[int]:
        """Write what happened in one transaction: every attempt, delivered rows as sent (a 2xx or SMTP
        acceptance is the only way a row becomes sent), failures with their backoff, each endpoint's health,
        and the leases: renewed, or released at the end of the batch. Returns the endpoints whose lease was
        lost (another worker took them over after it expired)."""
        now = clock.now()
        lease_until = now + timedelta(seconds=conf.lease_seconds())
        ok = [s for s in done if s.result.delivered]
        bad = [s for s in done if not s.result.delivered]
        lost: set[int] = set()
        held = list(claim.endpoints)
        with transaction.atomic():
            if done:
                with connection.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {DeliveryAttempt._meta.db_table} (delivery_id, attempted_at, channel, target,"
                        " delivered, status_code, error, latency_ms, worker) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [(s.delivery.pk, _p(s.at), s.delivery.channel, s.result.target[:500], s.result.delivered,
                          s.result.status_code, s.result.error[:500], s.result.latency_ms, self.owner[:100])
                         for s in done],
                    )
            if ok:
                self._record_delivered(ok, now)
            answered = [s for s in bad if s.result.status_code is not None]
            if ok or answered:
                self._audit_delivered(ok, answered)
            for s in bad:
                self._record_failed(s, now, endpoint_down=s.result.endpoint_down)
            if bad:
                states.update(Notice.objects.filter(pk__in={s.delivery.notice_id for s in bad}), states.SENDING,
                              only_from=(states.SCHEDULED,), updated_at=now)
            self._record_endpoints(ok, bad, now)
            # rows not attempted, and the row each down endpoint failed on, go back in line as they were
            rest = [d.pk for d in remaining] + [s.delivery.pk for s in bad if s.result.endpoint_down]
            if final:
                if rest:
                    Delivery.objects.filter(pk__in=rest, lease_owner=self.owner, status=DeliveryStatus.PENDING).update(
                        lease_owner="", lease_expires_at=None, next_attempt_at=now, updated_at=now)
                Endpoint.objects.filter(pk__in=held, lease_owner=self.owner).update(
                    lease_owner="", lease_expires_at=None)
            else:
                kept = set(Endpoint.objects.filter(pk__in=held, lease_owner=self.owner).values_list("pk", flat=True))
                Endpoint.objects.filter(pk__in=kept).update(lease_expires_at=lease_until)
                lost = set(held) - kept
                if rest:
                    Delivery.objects.filter(pk__in=rest, lease_owner=self.owner, status=DeliveryStatus.PENDING,
                                            endpoint_id__in=kept).update(lease_expires_at=lease_until,
                                                                         next_attempt_at=lease_until)
                claim.lease_until = lease_until
        self.report.attempted += len(done)
        self.report.delivered += len(ok)
        self.report.failed += len(bad)
        return lost

    def _audit_delivered(self, ok: list[Sent], answered: list[Sent]) -> None:
        """One audit entry per batch whose bodies reached an office's server, in the batch's transaction
        (review M4: personal data sent to an office is a disclosure, and the audit log promised every one; the
        attempt rows sit outside the hash chain). A receiver that answered 4xx/5xx had read the body too, so
        it counts (`refused`); a connection that failed did not. Notices, channels, offices; never the body."""
        if self._auditor is None:
            self._auditor = system_actor(f"worker:{self.owner}"[:60])
        both = ok + answered
        audit_record(self._auditor, "notice.deliver", object_type="notice",
                     object_ids=sorted({s.delivery.notice_id for s in both}),
                     detail={"deliveries": len(ok), "refused": len(answered),
                             "channels": sorted({s.delivery.channel for s in both}),
                             "offices": sorted({s.delivery.notice.office_id for s in both})})

    def _record_delivered(self, ok: list[Sent], now: datetime) -> None:
        """Hot path: one statement per row, sent as a batch (executemany; psycopg pipelines it)."""
        d_t, n_t = Delivery._meta.db_table, Notice._meta.db_table
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {d_t} SET status = 'sent', delivered_at = %s, last_status_code = %s,"
                " first_attempt_at = COALESCE(first_attempt_at, %s), attempts = attempts + 1,"
                " next_attempt_at = NULL, lease_owner = '', lease_expires_at = NULL, last_error = '',"
                " updated_at = %s WHERE id = %s",
                [(_p(s.at + timedelta(milliseconds=s.result.latency_ms)), s.result.status_code, _p(s.at), _p(now),
                  s.delivery.pk) for s in ok],
            )
        by_notice: dict[int, Sent] = {}
        for s in ok:
            by_notice.setdefault(s.delivery.notice_id, s)
        ids = sorted(by_notice)
        locked = Notice.objects.filter(pk__in=ids).order_by("pk")
        if connection.features.has_select_for_update:
            locked = locked.select_for_update()  # the same row locks reconcile takes: no lost updates
        current = {pk: (kind, release_at) for pk, kind, release_at in locked.values_list("pk", "kind", "release_at")}
        rows = []
        for pk in ids:
            s = by_notice[pk]
            sent_at = s.at + timedelta(milliseconds=s.result.latency_ms)
            due = s.delivery.notice.due_at
            lag = max(0, int((sent_at - due).total_seconds() * 1000)) if due is not None else 0
            rows.append((_p(sent_at), lag, _p(s.at), _p(now), pk))
        with connection.cursor() as cur:
            # every SET expression reads the row as it was, so "sent_at IS NULL" means "first delivery"
            cur.executemany(
                f"UPDATE {n_t} SET status = {states.sql_case('status', states.SENT)},"
                " sent_at = COALESCE(sent_at, %s),"
                " lag_ms = CASE WHEN sent_at IS NULL THEN %s ELSE lag_ms END,"
                " first_attempt_at = COALESCE(first_attempt_at, %s), updated_at = %s WHERE id = %s",
                rows,
            )
        # the office got a release time that has since changed: make it right at once
        for pk, s in by_notice.items():
            kind, release_now = current.get(pk, ("", None))
            if kind in RELEASE_KINDS and s.release_at is not None and release_now != s.release_at:
                Notice.objects.filter(pk=pk).update(release_at=s.release_at)
                notice = s.delivery.notice
                services.reconcile_request(notice.request, trigger="correction: the office got an outdated release time")

    def _record_failed(self, s: Sent, now: datetime, *, endpoint_down: bool) -> None:
        d, r = s.delivery, s.result
        Delivery.objects.filter(pk=d.pk).update(
            attempts=F("attempts") + 1, last_status_code=r.status_code, last_error=r.error[:500],
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(s.at, output_field=DateTimeField())),
            updated_at=now,
        )
        Notice.objects.filter(pk=d.notice_id, first_attempt_at__isnull=True).update(first_attempt_at=s.at)
        attempts = d.attempts + 1
        if not endpoint_down:
            # this message was refused (4xx): only it backs off; the office's other notices go on
            Delivery.objects.filter(pk=d.pk, status=DeliveryStatus.PENDING, lease_owner=self.owner).update(
                next_attempt_at=now + backoff(attempts), lease_owner="", lease_expires_at=None)
        if (attempts >= conf.escalate_after_failures() and d.channel not in (Channel.ESCALATION, Channel.ATTORNEY)
                and d.notice.kind in OFFICE_KINDS):
            notice = Notice.objects.select_related("office").get(pk=d.notice_id)
            if notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING) and services.escalate(
                    notice, "delivery failing", now):
                self.report.escalated += 1

    def _record_endpoints(self, ok: list[Sent], bad: list[Sent], now: datetime) -> None:
        """A failure that says the endpoint is down pauses it (backoff on its consecutive failures); a
        delivery clears that."""
        failed = {s.delivery.endpoint_id: s.result.error for s in bad if s.result.endpoint_down}
        for endpoint_id, error in failed.items():
            failures = (Endpoint.objects.filter(pk=endpoint_id).values_list("consecutive_failures", flat=True).first()
                        or 0) + 1
            Endpoint.objects.filter(pk=endpoint_id).update(
                consecutive_failures=failures, blocked_until=now + backoff(failures), last_failure_at=now,
                last_error=error[:500])
        recovered = {s.delivery.endpoint_id for s in ok} - set(failed)
        if recovered:
            Endpoint.objects.filter(pk__in=recovered).update(consecutive_failures=0, blocked_until=None,
                                                            last_success_at=now)

    # --- housekeeping ------------------------------------------------------------------------------------

    def housekeep(self, now: datetime | None = None, *, limit: int = 200) -> Report:
        """Give up on deliveries past their deadline, escalate notices that are unacknowledged near the
        release or not delivered well past their due time. Each change is a compare-and-set, so several
        workers can run this at once."""
        now = now or clock.now()
        report = Report()
        for d in list(Delivery.objects.filter(status=DeliveryStatus.PENDING, give_up_at__lte=now)
                      .select_related("notice", "notice__office")[:limit]):
            with transaction.atomic():
                if not Delivery.objects.filter(pk=d.pk, status=DeliveryStatus.PENDING).update(
                        status=DeliveryStatus.FAILED, next_attempt_at=None, lease_owner="", lease_expires_at=None,
                        last_error=(d.last_error or "gave up: deadline passed")[:500], updated_at=now):
                    continue
                report.gave_up += 1
                notice = d.notice
                services.refresh_status(notice)
                if (d.channel != Channel.ESCALATION and notice.kind in OFFICE_KINDS
                        and notice.status in (NoticeStatus.FAILED, NoticeStatus.SENDING, NoticeStatus.SCHEDULED)
                        and services.escalate(notice, "delivery failed", now)):
                    report.escalated += 1
        unacked = (Notice.objects.filter(escalate_at__lte=now, escalated_at__isnull=True, kind__in=RELEASE_KINDS,
                                         status__in=[NoticeStatus.SCHEDULED, NoticeStatus.SENDING,
                                                     NoticeStatus.SENT, NoticeStatus.FAILED])
                   .select_related("office")[:limit])
        for n in list(unacked):
            with transaction.atomic():
                reason = "unacknowledged" if n.status == NoticeStatus.SENT else "not delivered"
                if services.escalate(n, reason, now):
                    report.escalated += 1
        overdue = (Notice.objects.filter(status__in=[NoticeStatus.SCHEDULED, NoticeStatus.SENDING],
                                         kind__in=OFFICE_KINDS, escalated_at__isnull=True,
                                         due_at__lte=now - timedelta(minutes=conf.escalate_overdue_minutes()))
                   .select_related("office")[:limit])
        for n in list(overdue):
            with transaction.atomic():
                if services.escalate(n, "not delivered", now):
                    report.escalated += 1
        self.report.escalated += report.escalated
        self.report.gave_up += report.gave_up
        return report

    # --- loops -------------------------------------------------------------------------------------------

    def step(self, now: datetime | None = None) -> int:
        """Claim one endpoint's due deliveries and send them. Returns how many were attempted (0: idle)."""
        claim = self.claim(now)
        if claim is None:
            return 0
        return self.deliver(claim)

    def run_once(self, *, max_steps: int = 100_000) -> Report:
        """Deliver everything due now, then return (`handoff worker --once`). An endpoint that fails is
        paused by its backoff and left for the next run."""
        self.housekeep()
        for _ in range(max_steps):
            if self.step() == 0:
                break
        self.housekeep()
        return self.report

    def run(self) -> None:
        last_housekeeping = 0.0
        log.info("notice worker %s started", self.owner)
        try:
            while not self.stop.is_set():
                try:
                    attempted = self.step()
                    if self.housekeeping and time.monotonic() - last_housekeeping >= 1.0:
                        self.housekeep()
                        for job in _DAILY:
                            job()
                        last_housekeeping = time.monotonic()
                except (OperationalError, InterfaceError, DatabaseError) as exc:
                    log.warning("notice worker %s: database error, retrying: %s", self.owner, exc)
                    connections.close_all()
                    self.stop.wait(1.0)
                    continue
                except Exception:  # keep delivering whatever else is due; the log says what broke
                    log.exception("notice worker %s: unexpected error, retrying", self.owner)
                    self.stop.wait(1.0)
                    continue
                if attempted == 0:
                    _wake.wait(conf.poll_seconds())
                    _wake.clear()
        finally:
            webhook_channel.close()
            email_channel.close()
            connections.close_all()
            log.info("notice worker %s stopped", self.owner)


def run_forever(stop: threading.Event) -> None:
    """The worker loop `handoff serve` runs in a thread until `stop` is set."""
    Worker(stop=stop).run()


def run_threads(threads: int, stop: threading.Event) -> None:
    """Several senders in one process, each its own Worker (own lease owner, own database connection, own
    HTTP keep-alive). Why threads: a sender spends most of its time waiting for the office's receiver and
    the database, and each one holds a different office's endpoint, so they overlap without breaking any
    office's order. One of them does the housekeeping."""
    extra = [threading.Thread(target=Worker(stop=stop, housekeeping=False).run, name=f"notice-sender-{i}",
                              daemon=True) for i in range(1, threads)]
    for t in extra:
        t.start()
    try:
        Worker(stop=stop).run()
    finally:
        stop.set()
        for t in extra:
            t.join(timeout=30)


def _child(parent: int, threads: int) -> None:
    """A forked worker: its own signal handling, its own database connection, and it stops if the
    supervisor is gone (so a killed supervisor leaves no orphans delivering forever)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_parent() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch_parent, daemon=True, name="parent-watch").start()
    run_threads(threads, stop)


def supervise(processes: int, stop: threading.Event, *, threads: int = 1) -> None:
    """Run `processes` workers as forked children of this process and fork a new one whenever one dies.

    Why fork from a warm parent: a cold `handoff worker` spends about a second of CPU loading Django before it
    claims anything; a forked child starts claiming within milliseconds, so a crashed worker's share of the
    work resumes at once (its leases are picked up by the others when they expire)."""
    connections.close_all()  # never share a database connection across fork
    parent = os.getpid()
    children: dict[int, int] = {}
    started: dict[int, float] = {}

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                _child(parent, threads)
            except BaseException:
                log.exception("notice worker child crashed")
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot
        started[slot] = time.monotonic()

    for slot in range(processes):
        spawn(slot)
    try:
        while not stop.is_set():
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                stop.wait(0.05)
                continue
            slot = children.pop(pid, -1)
            if slot < 0:
                continue
            log.warning("notice worker %s exited (status %s); starting another", pid, status)
            if time.monotonic() - started[slot] < 1.0:
                stop.wait(0.5)  # a crash loop must not spin
            if not stop.is_set():
                spawn(slot)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for pid in list(children):
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
