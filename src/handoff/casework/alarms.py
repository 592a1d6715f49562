"""The jail's own alarms: a review reaching its due time, a hold about to end or ended, stale release data, a
release after the hold's end (issue 9 items 2 and 3; law review X3, X4, X7).

Why here, in the flow: each alarm reads a request's decision, its booking and its notices together, which only
the flow may do; the notice worker runs `fire_due` from its housekeeping loop (registered by ops, as the daily
re-check is) so nothing depends on a person opening a page.

- A decision awaiting review has a **review due time**: the due time of the first notice it holds back, less
  `HANDOFF_REVIEW_MARGIN_HOURS` (12). With no notice held back, the scheduled release less the margin. At that
  time the review escalates to the facility's supervisors (e-mail and the dashboard), once.
- A hold warns `HANDOFF_HOLD_WARNING_HOURS` (4) before `hold_until` and raises "hold expired: release now" at
  it, while the person is still booked.
- A scheduled release that has passed while the person is still booked, with no hold running, is stale data
  (never a "short notice" for a past time; notices.services cancels those).
- A release recorded after `hold_until` is over-detention: an alarm and an audit entry.
- A TRUTH Act copy to the attorney or designee (`email.attorney`) whose every delivery attempt failed is an
  alarm to the supervisors, once per e-mail: someone must give it another way (Cal. Gov. Code 7283.1(b)).
- A request not matched to a booking - *waiting* (no booking fits) or in *match review* (a near miss a clerk
  must resolve) - escalates to the supervisors `HANDOFF_MATCH_ESCALATION_HOURS` (24) after it was received;
  a match review sooner, at the earliest scheduled release among its candidates still in custody less the
  review margin. Why: such a request has no decision and so no notice to hold back, and nothing else would
  ever tell anyone that the person named in a detainer may walk out unseen (users review, December 2026).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from handoff.audit import services as audit
from handoff.core import clock
from handoff.custody.models import Booking
from handoff.notices import conf
from handoff.notices.models import Alarm, Notice, NoticeKind, NoticeStatus
from handoff.requests.holds import hold_requests, over_detained, state_of
from handoff.requests.models import ImmigrationRequest, RequestStatus

log = logging.getLogger(__name__)

#: fire_due runs from the worker's housekeeping loop (about once a second): look at most this often
MIN_INTERVAL_SECONDS = 30.0
_last_run = 0.0


# --- review due times ------------------------------------------------------------------------------------

def review_due_at(req: ImmigrationRequest, first_pending_due: datetime | None) -> datetime | None:
    """When a review of `req`'s current decision is due, or None when there is no review or no deadline."""
    d = req.current_decision if req.current_decision_id else None
    if d is None or not d.review:
        return None
    margin = timedelta(hours=conf.review_margin_hours())
    if first_pending_due is not None:
        return first_pending_due - margin
    booking = req.booking if req.booking_id else None
    if booking is not None and booking.released_at is None and booking.scheduled_release_at is not None:
        return booking.scheduled_release_at - margin
    return None


def pending_due(request_ids: list[int]) -> dict[int, datetime]:
    """The earliest due time of the notices waiting for review, per request."""
    out: dict[int, datetime] = {}
    for rid, due in (Notice.objects.filter(request_id__in=request_ids, status=NoticeStatus.PENDING_REVIEW)
                     .exclude(due_at=None).order_by("due_at").values_list("request_id", "due_at")):
        if due is not None:
            out.setdefault(rid, due)
    return out


def open_reviews(qs: Any | None = None) -> list[tuple[ImmigrationRequest, datetime | None]]:
    """Requests whose current decision awaits review, with their review due time, soonest first."""
    base = qs if qs is not None else ImmigrationRequest.objects.all()
    reqs = list(base.filter(status=RequestStatus.MATCHED, current_decision__review=True, withdrawn_at=None)
                .select_related("facility", "booking", "current_decision")[:2000])
    dues = pending_due([r.pk for r in reqs])
    rows = [(r, review_due_at(r, dues.get(r.pk))) for r in reqs]
    far = clock.now() + timedelta(days=36500)
    return sorted(rows, key=lambda row: (row[1] or far, row[0].pk))


def oldest_open_review(now: datetime) -> dict[str, Any] | None:
    """For /healthz: the open review that has waited longest, and how overdue the soonest one is."""
    rows = open_reviews()
    if not rows:
        return None
    oldest = min(rows, key=lambda row: (row[0].current_decision.evaluated_at, row[0].pk))  # type: ignore[union-attr]
    soonest_due = rows[0][1]
    decided = oldest[0].current_decision.evaluated_at  # type: ignore[union-attr]
    return {
        "open_reviews": len(rows),
        "oldest_open_review_seconds": round((now - decided).total_seconds(), 3),
        "oldest_open_review_request": oldest[0].request_id,
        "soonest_review_due_at": soonest_due.isoformat() if soonest_due else None,
        "overdue_reviews": sum(1 for _, due in rows if due is not None and due <= now),
    }


# --- requests not matched to a booking --------------------------------------------------------------------

def candidate_release_due(reqs: list[ImmigrationRequest]) -> dict[int, datetime]:
    """When each request in *match* review must be resolved: the earliest scheduled release among its candidate
    bookings still in custody, less the review margin (as a decision review is due before its notice)."""
    candidates = {pk: [int(i) for i in (c or []) if str(i).isdigit()] for pk, c in
                  ImmigrationRequest.objects.filter(pk__in=[r.pk for r in reqs]).values_list("pk", "match_candidates")}
    ids = {i for c in candidates.values() for i in c}
    if not ids:
        return {}
    release = {pk: at for pk, at in Booking.objects.filter(pk__in=ids, released_at__isnull=True)
               .values_list("pk", "scheduled_release_at") if at is not None}
    margin = timedelta(hours=conf.review_margin_hours())
    out: dict[int, datetime] = {}
    for r in reqs:
        times = [release[i] for i in candidates.get(r.pk, []) if i in release]
        if times:
            out[r.pk] = min(times) - margin
    return out


def unmatched_due(now: datetime, limit: int = 2000) -> list[tuple[ImmigrationRequest, datetime]]:
    """Requests waiting for a booking or in match review whose escalation time has come, with that time."""
    age = timedelta(hours=conf.match_escalation_hours())
    base = ImmigrationRequest.objects.filter(withdrawn_at=None, historical=False)
    reqs = list(base.filter(Q(status=RequestStatus.REVIEW) | Q(status=RequestStatus.WAITING,
                                                                received_at__lte=now - age))
                .select_related("facility").defer("basis", "match_details").order_by("received_at", "pk")[:limit])
    release_due = candidate_release_due([r for r in reqs if r.status == RequestStatus.REVIEW])
    out = []
    for r in reqs:
        due = r.received_at + age
        if r.pk in release_due:
            due = min(due, release_due[r.pk])
        if due <= now:
            out.append((r, due))
    return out


# --- raising alarms --------------------------------------------------------------------------------------

def supervisors_of(req: ImmigrationRequest) -> list[str]:
    """E-mail addresses of the jail supervisors placed on the request's facility or its places."""
    from django.contrib.auth import get_user_model

    f = req.facility
    places = [pk for pk in (f.jurisdiction_id, f.city_id, getattr(f.jurisdiction, "parent_id", None)) if pk]
    users = (get_user_model().objects.filter(access_account__role="jail_supervisor", is_active=True)
             .filter(Q(access_account__memberships__facility_id=f.pk)
                     | Q(access_account__memberships__jurisdiction_id__in=places))
             .exclude(email="").values_list("email", flat=True).distinct())
    return sorted(set(users))


@dataclass
class Fired:
    review_due: int = 0
    hold_warning: int = 0
    hold_expired: int = 0
    release_stale: int = 0
    over_detention: int = 0
    match_overdue: int = 0
    match_resolved: int = 0
    attorney_failed: int = 0


def _raise(kind: str, req: ImmigrationRequest, about: datetime, message: str, now: datetime) -> bool:
    """Record the alarm once; e-mail it to the supervisors after the row commits. False if already raised."""
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(kind=kind, request=req, booking_id=req.booking_id, about_at=about,
                                         raised_at=now, message=message[:300])
            audit.record(audit.system_actor("alarms"), f"alarm.{kind}", object_type="request",
                         object_ids=[req.request_id, alarm.pk], detail={"about_at": about.isoformat()})
    except IntegrityError:
        return False
    to = supervisors_of(req)
    if to:
        def mail() -> None:
            try:
                send_mail(f"[Handoff] {message[:120]}", f"{message}\n\nRequest {req.request_id} at "
                          f"{req.facility.code}.\n", settings.DEFAULT_FROM_EMAIL, to)
                Alarm.objects.filter(pk=alarm.pk).update(mailed_to=", ".join(to))
            except Exception:  # the dashboard still shows it; the log says why the mail failed
                log.exception("alarm %s for request %s could not be e-mailed", kind, req.request_id)
        transaction.on_commit(mail)
    return True


def fire_due(now: datetime | None = None, *, force: bool = False) -> Fired:
    """Raise every alarm whose time has come (each once). The worker calls this from its housekeeping loop;
    tests call it with `now` and `force=True`."""
    global _last_run
    if not force and time.monotonic() - _last_run < MIN_INTERVAL_SECONDS:
        return Fired()
    _last_run = time.monotonic()
    now = now or clock.now()
    fired = Fired()
    for req, due in open_reviews():
        if due is not None and due <= now and _raise(
                "review.due", req, due,
                f"Review due: request {req.request_id} awaits a supervisor's decision and its notice deadline "
                f"is near (review due {due.isoformat()})", now):
            fired.review_due += 1
    # an unmatched request's alarm ends when the request is matched or withdrawn: the dashboard lists only
    # what still needs someone (the row stays, with when it ended)
    fired.match_resolved = (Alarm.objects.filter(kind="match.overdue", resolved_at=None)
                            .filter(Q(request__status__in=(RequestStatus.MATCHED, RequestStatus.WITHDRAWN))
                                    | Q(request__withdrawn_at__isnull=False))
                            .update(resolved_at=now))
    for req, due in unmatched_due(now):
        what = ("is in match review: a booking nearly fits and a clerk must say whether it is the person"
                if req.status == RequestStatus.REVIEW else "waits for a booking: none fits its subject yet")
        if _raise("match.overdue", req, due,
                  f"Not matched: request {req.request_id} {what} (received "
                  f"{clock.local_text(req.received_at, req.facility.timezone)}); search the people in custody "
                  "and link it, or record none of these", now):
            fired.match_overdue += 1
    warning = timedelta(hours=conf.hold_warning_hours())
    for req in hold_requests(ImmigrationRequest.objects.all()):
        h = state_of(req, now)
        if h.hold_until is None:
            continue
        if h.state == "expired":
            if _raise("hold.expired", req, h.hold_until,
                      f"hold expired: release now - request {req.request_id}, booking {h.booking_number}", now):
                fired.hold_expired += 1
        elif h.state == "holding" and h.hold_until - warning <= now and _raise(
                "hold.warning", req, h.hold_until,
                f"Hold ends at {h.hold_until.isoformat()}: release booking {h.booking_number} by then "
                f"(request {req.request_id})", now):
            fired.hold_warning += 1
    stale = (ImmigrationRequest.objects.filter(status=RequestStatus.MATCHED, withdrawn_at=None, historical=False,
                                               booking__released_at=None, booking__scheduled_release_at__lte=now)
             .exclude(current_decision__hold__in=("permitted", "required"))
             .select_related("facility", "booking", "current_decision")[:500])
    for req in stale:
        booking = req.booking
        assert booking is not None and booking.scheduled_release_at is not None
        if _raise("release.stale", req, booking.scheduled_release_at,
                  f"Stale release data: booking {booking.booking_number} was due for release at "
                  f"{booking.scheduled_release_at.isoformat()} and is still booked; correct the release time "
                  "(no notice announces a past time)", now):
            fired.release_stale += 1
    # the TRUTH Act copy to the attorney or designee that every delivery attempt failed to e-mail
    # (Cal. Gov. Code 7283.1(b)): someone must give it by hand or by post; once per e-mail
    raised = Alarm.objects.filter(kind="attorney.failed", request=OuterRef("request"), about_at=OuterRef("created_at"))
    failed = (Notice.objects.filter(kind=NoticeKind.EMAIL_ATTORNEY, status=NoticeStatus.FAILED)
              .exclude(Exists(raised)).select_related("request__facility", "booking"))
    for n in failed[:500]:
        req = n.request
        booking_number = n.booking.booking_number if n.booking is not None else req.booking_number
        if _raise("attorney.failed", req, n.created_at,
                  f"The written notice to the attorney or designee of booking {booking_number} could not be "
                  f"e-mailed (request {req.request_id}): give it by hand or by post, and check the address "
                  "on the attorney page", now):
            fired.attorney_failed += 1
    return fired


def on_release(booking: Booking, requests: list[ImmigrationRequest]) -> int:
    """Called by the flow when a booking's release is recorded, before the law is applied again: a release
    after the hold's end is over-detention (an alarm and an audit entry)."""
    if booking.released_at is None:
        return 0
    n = 0
    now = clock.now()
    for req in requests:
        if req.status != RequestStatus.MATCHED:
            continue
        req.booking = booking
        late, limit = over_detained(booking.released_at, req)
        if late and limit is not None and _raise(
                "hold.over_detention", req, limit,
                f"Over-detention: booking {booking.booking_number} was released at "
                f"{booking.released_at.isoformat()}, after the hold's end at {limit.isoformat()}", now):
            n += 1
    return n
