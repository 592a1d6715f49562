"""The outbox operations: schedule, reschedule, cancel, escalate, acknowledge, record outcomes and handovers.

Contract used by other apps (keep these names and signatures):
- reconcile_request(req: ImmigrationRequest, *, trigger: str) -> None
    called in the same transaction after a request's current decision, booking release time, release or
    withdrawal changed: schedule, reschedule, cancel, mark missed, send release.occurred / short notice.
- acknowledge(notice_id, *, office=None, user=None, via="api") -> Notice
- record_outcome(booking, kind, *, user=None, source="staff", note="", request=None) -> Outcome
- import_outcomes([(booking_id, kind), ...]) -> int: the outcomes a jail export states (idempotent)
- record_handover(notice_id, *, language="en", recipient="", handed_over_at=None, user=None, note="")
- ack_url(notice) / notice_for_ack_token(token): the signed one-click link in e-mails

Why reconcile rather than "on event X do Y": every change of facts funnels into one function that looks at the
request as it now stands and makes the outbox agree with it. It is idempotent, so calling it twice, or for a
change that does not matter to notices, changes nothing.

Why a notice that already went out is never edited: the office holds what we sent. When the release time moves
after that, a new notice (`supersedes` the old one) tells the office, at once, so it does not come at the old
time. A notice not yet delivered is moved in place: earlier (or to now, as a short notice) or later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse

from handoff.core import clock, vocab
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.custody.models import Booking, ReleaseReason
from handoff.notices import conf, states, wakeup
from handoff.notices.models import (
    DELIVERED_STATUSES,
    LETTER_KINDS,
    OFFICE_KINDS,
    OPEN_STATUSES,
    RELEASE_KINDS,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    LetterHandover,
    Notice,
    NoticeKind,
    NoticeStatus,
    Outcome,
    OutcomeKind,
)
from handoff.notices.payloads import iso
from handoff.policy.registry import setting_in_force
from handoff.requests.models import Decision, ImmigrationRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from handoff.jurisdictions.models import FederalOffice

log = logging.getLogger(__name__)

#: a delivered notice is corrected when the release moves by more than this (re-exports jitter by seconds)
RELEASE_TOLERANCE = timedelta(seconds=60)
#: released this much earlier than the office was told: the office is sent release.occurred
EARLY_RELEASE_TOLERANCE = timedelta(minutes=5)
ACK_SALT = "handoff.notices.ack"


# --- time ------------------------------------------------------------------------------------------------

def advance_due(release_at: datetime, lead_hours: int, calendar: str, tz: str) -> datetime:
    """When the advance notice must leave: the release minus the lead time on the policy's calendar (clock
    hours, or business hours without weekends and federal holidays: core.calendar). Imported here because
    the holiday tables are costly to load and a delivery worker never needs them."""
    from handoff.core.calendar import advance_notice_due

    return advance_notice_due(release_at, lead_hours, calendar or "clock", tz or "UTC")


def _escalate_at(release_at: datetime | None, due: datetime) -> datetime | None:
    """An unacknowledged release notice escalates HANDOFF_ESCALATE_UNACKED_HOURS before the release, but never
    sooner than a grace period after it was due (the office gets a chance to answer) nor after the release."""
    if release_at is None:
        return None
    at = max(release_at - timedelta(hours=conf.escalate_unacked_hours()),
             due + timedelta(minutes=conf.escalate_grace_minutes()))
    return min(at, release_at)


# --- wake-up of the in-process worker --------------------------------------------------------------------

def _wake_after_commit() -> None:
    transaction.on_commit(wakeup.ring)


# --- deliveries ------------------------------------------------------------------------------------------

def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def endpoint_for(office: FederalOffice, channel: str) -> Endpoint:
    ep, _ = Endpoint.objects.get_or_create(office=office, channel=channel)
    return ep


def primary_channels(office: FederalOffice) -> list[str]:
    channels = []
    if office.webhook_url:
        channels.append(Channel.WEBHOOK.value)
    if office.email:
        channels.append(Channel.EMAIL.value)
    return channels


def has_escalation_contact(office: FederalOffice) -> bool:
    return bool(office.escalation_webhook_url or office.escalation_email)


def _give_up_at(notice: Notice, now: datetime) -> datetime:
    if notice.kind in RELEASE_KINDS and notice.release_at is not None and notice.release_at > now:
        return notice.release_at
    return now + timedelta(hours=conf.give_up_hours())


def _make_deliveries(notice: Notice, now: datetime) -> None:
    """One delivery per channel the office has. An office with no channel at all cannot be reached: the notice
    goes straight to its second contact, or fails loudly (it shows on /metrics and `handoff notices`)."""
    assert notice.due_at is not None
    channels = primary_channels(notice.office)
    give_up = _give_up_at(notice, now)
    if not channels:
        if has_escalation_contact(notice.office):
            notice.escalated_at = now
            notice.escalation_reason = "office has no primary contact"
            notice.save(update_fields=["escalated_at", "escalation_reason", "updated_at"])
            channels = [Channel.ESCALATION.value]
        else:
            states.move(notice, states.FAILED)
            notice.escalation_reason = "office has no contact to send to"
            notice.save(update_fields=["status", "escalation_reason", "updated_at"])
            log.error("notice %s: office %s has no webhook, e-mail or second contact", notice.uid, notice.office_id)
            return
    for channel in channels:
        Delivery.objects.create(
            notice=notice, endpoint=endpoint_for(notice.office, channel), channel=channel,
            webhook_id=new_webhook_id(), reason=notice.escalation_reason if channel == Channel.ESCALATION else "",
            due_at=notice.due_at, next_attempt_at=notice.due_at, give_up_at=give_up,
        )
    if notice.due_at <= now:
        _wake_after_commit()


def _create_office_notice(req: ImmigrationRequest, decision: Decision | None, booking: Booking | None, *,
                          kind: str, due: datetime, now: datetime, trigger: str,
                          release_at: datetime | None = None, short: bool = False,
                          supersedes: Notice | None = None) -> Notice:
    notice = Notice.objects.create(
        kind=kind, request=req, decision=decision, office_id=req.office_id, booking=booking,
        status=states.initial(states.SCHEDULED), short_notice=short, due_at=due, release_at=release_at,
        lead_time_hours=decision.lead_time_hours if decision is not None else None,
        calendar=decision.calendar if decision is not None else "",
        supersedes=supersedes, trigger=trigger[:120],
        escalate_at=_escalate_at(release_at, due) if kind in RELEASE_KINDS else None,
    )
    _make_deliveries(notice, now)
    return notice


def cancel_notice(notice: Notice, reason: str, now: datetime, *, missed: bool = False) -> None:
    """Stop whatever has not gone out. A notice already delivered keeps its status (the office has it); its
    other pending deliveries stop all the same."""
    Delivery.objects.filter(notice=notice, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None, lease_owner="", lease_expires_at=None,
        last_error=reason[:500], updated_at=now,
    )
    fields = ["updated_at"]
    if missed and not notice.missed:
        notice.missed = True
        fields.append("missed")
    if notice.status in OPEN_STATUSES or notice.status in (NoticeStatus.FAILED, NoticeStatus.PENDING_REVIEW):
        states.move(notice, states.CANCELLED)
        notice.cancelled_at = now
        notice.cancel_reason = reason[:200]
        fields += ["status", "cancelled_at", "cancel_reason"]
    notice.save(update_fields=fields)


def _reschedule(notice: Notice, decision: Decision, *, kind: str, short: bool, due: datetime,
                release_at: datetime, now: datetime) -> None:
    """Move a notice that has not been delivered. Deliveries in flight lose their row lease, so a worker
    that fails them cannot put back the old time; one that succeeds records the truth (it went out), and the
    worker then sends a correction if the office got the old release time."""
    changed = (notice.due_at != due or notice.release_at != release_at or notice.kind != kind
               or notice.short_notice != short or notice.decision_id != decision.pk)
    if not changed:
        return
    notice.kind = kind
    notice.short_notice = short
    notice.due_at = due
    notice.release_at = release_at
    notice.decision = decision
    notice.lead_time_hours = decision.lead_time_hours
    notice.calendar = decision.calendar
    if notice.escalated_at is None:
        notice.escalate_at = _escalate_at(release_at, due)
    notice.save(update_fields=["kind", "short_notice", "due_at", "release_at", "decision", "lead_time_hours",
                               "calendar", "escalate_at", "updated_at"])
    give_up = _give_up_at(notice, now)
    pending = Delivery.objects.filter(notice=notice, status=DeliveryStatus.PENDING)
    if primary_channels(notice.office):
        pending = pending.exclude(channel=Channel.ESCALATION)  # an escalation already under way goes on
    moved = pending.update(
        due_at=due, next_attempt_at=due, give_up_at=give_up, lease_owner="", lease_expires_at=None, updated_at=now,
    )
    if moved == 0 and notice.status in OPEN_STATUSES and not Delivery.objects.filter(
            notice=notice, status=DeliveryStatus.PENDING).exists():
        _make_deliveries(notice, now)  # e.g. every earlier delivery gave up; the new time gets a fresh try
    elif due <= now:
        _wake_after_commit()


def refresh_status(notice: Notice) -> None:
    """Derive an office notice's status from its deliveries (acknowledged and cancelled stay as they are)."""
    if notice.status in (NoticeStatus.ACKNOWLEDGED, NoticeStatus.CANCELLED) or notice.kind in LETTER_KINDS:
        return
    rows = list(Delivery.objects.filter(notice=notice).values_list("status", "attempts"))
    if not rows:
        return
    statuses = {s for s, _ in rows}
    if DeliveryStatus.SENT in statuses:
        new = NoticeStatus.SENT
    elif DeliveryStatus.PENDING in statuses:
        new = NoticeStatus.SENDING if any(a for _, a in rows) else NoticeStatus.SCHEDULED
    elif DeliveryStatus.FAILED in statuses:
        new = NoticeStatus.FAILED
    else:
        new = NoticeStatus.CANCELLED
    if states.move(notice, new):
        notice.save(update_fields=["status", "updated_at"])


def escalate(notice: Notice, reason: str, now: datetime) -> bool:
    """Send the notice to the office's second contact, once. Returns whether this call escalated it
    (compare-and-set on escalated_at, so two workers cannot both escalate)."""
    won = Notice.objects.filter(pk=notice.pk, escalated_at__isnull=True).update(
        escalated_at=now, escalation_reason=reason[:200], updated_at=now)
    if not won:
        return False
    notice.escalated_at = now
    notice.escalation_reason = reason[:200]
    office = notice.office
    if not has_escalation_contact(office):
        Notice.objects.filter(pk=notice.pk).update(
            escalation_reason=(reason + " (the office has no second contact)")[:200])
        log.error("notice %s needs escalation (%s) but office %s has no second contact", notice.uid, reason,
                  office.code)
        return True
    give_up = _give_up_at(notice, now)
    Delivery.objects.create(
        notice=notice, endpoint=endpoint_for(office, Channel.ESCALATION), channel=Channel.ESCALATION,
        webhook_id=new_webhook_id(), reason=reason[:40], due_at=now, next_attempt_at=now, give_up_at=give_up,
    )
    _wake_after_commit()
    return True


# --- reconcile -------------------------------------------------------------------------------------------

@dataclass
class _State:
    req: ImmigrationRequest
    decision: Decision | None
    booking: Booking | None
    notices: list[Notice]
    now: datetime
    trigger: str


def _load(req: ImmigrationRequest, trigger: str) -> _State:
    qs = Notice.objects.filter(request=req).select_related("office").order_by("pk")
    if connection.in_atomic_block and connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))  # workers record results under the same row locks
    notices = list(qs)
    # The caller usually holds the decision it just wrote and the booking it just changed: reuse them
    # rather than read them (and the decision's JSON reasons) again.
    field_decision = ImmigrationRequest._meta.get_field("current_decision")
    field_booking = ImmigrationRequest._meta.get_field("booking")
    decision: Decision | None
    if not req.current_decision_id:
        decision = None
    elif field_decision.is_cached(req) and req.current_decision is not None:  # type: ignore[attr-defined]
        decision = req.current_decision
    else:
        decision = Decision.objects.filter(pk=req.current_decision_id).first()
    booking: Booking | None
    if not req.booking_id:
        booking = None
    elif (field_booking.is_cached(req) and req.booking is not None  # type: ignore[attr-defined]
          and Booking._meta.get_field("facility").is_cached(req.booking)):  # type: ignore[attr-defined]
        booking = req.booking
    else:
        booking = Booking.objects.select_related("facility").filter(pk=req.booking_id).first()
    return _State(req, decision, booking, notices, clock.now(), trigger)


def _latest(notices: list[Notice], kinds: tuple[str, ...], *, include_cancelled: bool = False) -> Notice | None:
    found = [n for n in notices if n.kind in kinds and (include_cancelled or n.status != NoticeStatus.CANCELLED)]
    return found[-1] if found else None


def reconcile_request(req: ImmigrationRequest, *, trigger: str) -> None:
    """Make the request's notices agree with its current decision, booking and withdrawal (DESIGN.md
    "Notices"; issue 4 section 2). Runs in the caller's transaction."""
    st = _load(req, trigger)
    withdrawn = req.withdrawn_at is not None or req.status == "withdrawn"
    if withdrawn or st.decision is None:
        reason = "request withdrawn" if withdrawn else "request no longer has a decision (match changed)"
        for n in st.notices:
            if (n.status in OPEN_STATUSES or n.status == NoticeStatus.FAILED
                    or (n.kind in OFFICE_KINDS and n.status == NoticeStatus.SENT)):
                cancel_notice(n, reason, st.now)
        return
    _reconcile_release(st)
    _reconcile_declined(st)
    _reconcile_letters(st)
    _reconcile_attorney_email(st)


def _notifies(decision: Decision) -> bool:
    """A decision awaiting a person's review sends nothing to the office until someone decides (the notice
    the law would send waits in the outbox as pending review: `_hold_for_review`)."""
    return bool(decision.notify) and not decision.review


def _release_plan(decision: Decision, release_at: datetime, now: datetime, tz: str) -> tuple[str, bool, datetime]:
    due = advance_due(release_at, decision.lead_time_hours, decision.calendar, tz)
    short = due <= now
    return (NoticeKind.SHORT.value if short else NoticeKind.ADVANCE.value), short, (now if short else due)


def _stale_release(booking: Booking, now: datetime) -> bool:
    """A scheduled release already past while the person is still booked: the data is stale (law review X7).
    Never announce a time that has passed as a 'short notice'; the jail must correct the release time."""
    return booking.released_at is None and booking.scheduled_release_at is not None and (
        booking.scheduled_release_at <= now)


def _hold_for_review(st: _State) -> None:
    """The decision would notify but awaits review: keep the notice the law would send in the outbox as
    `pending review`, with the due time it will have, and no delivery, so dashboards show it and the review
    has a deadline; a supervisor's answer releases it at once (`_reconcile_release`) or cancels it."""
    decision, booking, now = st.decision, st.booking, st.now
    assert decision is not None and booking is not None
    release_at = booking.scheduled_release_at
    live = [n for n in st.notices if n.kind in RELEASE_KINDS
            and (n.status in OPEN_STATUSES or n.status == NoticeStatus.PENDING_REVIEW)]
    if booking.released_at is not None or release_at is None or _stale_release(booking, now):
        released = booking.released_at is not None
        why = ("released before the review was done" if released else
               "release time no longer known" if release_at is None else "scheduled release already past")
        for n in live:
            cancel_notice(n, why, now, missed=released)
        return
    kind, short, eff_due = _release_plan(decision, release_at, now, booking.facility.timezone)
    current = live[-1] if live else None
    for n in live[:-1]:
        cancel_notice(n, "replaced by a later notice", now)
    if current is None:
        if any(n.kind in RELEASE_KINDS and n.delivered and n.release_at == release_at for n in st.notices):
            return  # the office already has this release time
        Notice.objects.create(
            kind=kind, request=st.req, decision=decision, office_id=st.req.office_id, booking=booking,
            status=states.initial(states.PENDING_REVIEW), short_notice=short, due_at=eff_due, release_at=release_at,
            lead_time_hours=decision.lead_time_hours, calendar=decision.calendar, trigger=st.trigger[:120])
        return
    if current.status in OPEN_STATUSES:
        # deliveries stop; the notice waits for the supervisor
        Delivery.objects.filter(notice=current, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, lease_owner="", lease_expires_at=None,
            last_error="decision under review", updated_at=now)
        states.move(current, states.PENDING_REVIEW)
    current.kind, current.short_notice, current.due_at, current.release_at = kind, short, eff_due, release_at
    current.decision = decision
    current.lead_time_hours, current.calendar = decision.lead_time_hours, decision.calendar
    current.save(update_fields=["status", "kind", "short_notice", "due_at", "release_at", "decision",
                                "lead_time_hours", "calendar", "updated_at"])


def _release_after_review(st: _State, current: Notice, kind: str, short: bool, eff_due: datetime,
                          release_at: datetime) -> None:
    """A supervisor confirmed: the waiting notice goes out at its due time, at once if that has passed."""
    decision, now = st.decision, st.now
    assert decision is not None
    states.move(current, states.SCHEDULED)
    current.kind, current.short_notice, current.due_at, current.release_at = kind, short, eff_due, release_at
    current.decision = decision
    current.lead_time_hours, current.calendar = decision.lead_time_hours, decision.calendar
    current.escalate_at = _escalate_at(release_at, eff_due)
    current.save(update_fields=["status", "kind", "short_notice", "due_at", "release_at", "decision",
                                "lead_time_hours", "calendar", "escalate_at", "updated_at"])
    _make_deliveries(current, now)


def _reconcile_release(st: _State) -> None:
    decision, booking, now = st.decision, st.booking, st.now
    assert decision is not None
    if booking is not None and decision.notify and decision.review:
        _hold_for_review(st)
        return
    current = _latest(st.notices, RELEASE_KINDS)
    open_ones = [n for n in st.notices if n.kind in RELEASE_KINDS and n.status in OPEN_STATUSES]
    if not _notifies(decision) or booking is None:
        why = "decision under review" if decision.review else "decision no longer notifies"
        # a failed one too: nothing is owed any more, so it must not stay "failed" and at risk
        for n in st.notices:
            if n.kind in RELEASE_KINDS and (n.status in OPEN_STATUSES or n.status in (
                    NoticeStatus.FAILED, NoticeStatus.PENDING_REVIEW)):
                cancel_notice(n, why, now)
        return
    if booking.released_at is not None:
        _on_released(st, current)
        return
    release_at = booking.scheduled_release_at
    if release_at is None or _stale_release(booking, now):
        why = "release time no longer known" if release_at is None else (
            "scheduled release already past: stale release data, no notice announces a past time")
        for n in st.notices:
            if n.kind in RELEASE_KINDS and (n.status in OPEN_STATUSES or n.status == NoticeStatus.PENDING_REVIEW):
                cancel_notice(n, why, now)
        return
    kind, short, eff_due = _release_plan(decision, release_at, now, booking.facility.timezone)
    # an older open notice left behind by an earlier correction: only the latest one is live
    for n in open_ones:
        if current is not None and n.pk != current.pk:
            cancel_notice(n, "replaced by a later notice", now)
    if current is not None and current.status == NoticeStatus.PENDING_REVIEW:
        _release_after_review(st, current, kind, short, eff_due, release_at)
        return
    if current is None:
        _create_office_notice(st.req, decision, booking, kind=kind, due=eff_due, now=now, trigger=st.trigger,
                              release_at=release_at, short=short)
    elif current.status in OPEN_STATUSES:
        same = (current.release_at == release_at and current.lead_time_hours == decision.lead_time_hours
                and current.calendar == decision.calendar)
        if same:
            # nothing that decides the due time changed; an advance notice that is merely late stays an
            # advance notice (short means the release became known inside the lead time)
            if current.decision_id != decision.pk:
                Notice.objects.filter(pk=current.pk).update(decision=decision, updated_at=now)
            return
        if short and current.due_at is not None and current.due_at <= now:
            eff_due = current.due_at  # already due: keep its place in the office's line
        _reschedule(current, decision, kind=kind, short=short, due=eff_due, release_at=release_at, now=now)
    elif current.status in DELIVERED_STATUSES:
        if current.release_at is None or abs(current.release_at - release_at) > RELEASE_TOLERANCE:
            # the office holds an old release time: tell it now, as a new notice that supersedes the old
            _create_office_notice(st.req, decision, booking, kind=kind, due=now, now=now,
                                  trigger=f"release moved: {st.trigger}", release_at=release_at,
                                  short=short, supersedes=current)
    elif current.status == NoticeStatus.FAILED and (
            current.release_at is None or abs(current.release_at - release_at) > RELEASE_TOLERANCE):
        _create_office_notice(st.req, decision, booking, kind=kind, due=eff_due, now=now,
                              trigger=f"release moved: {st.trigger}", release_at=release_at,
                              short=short, supersedes=current)


def _on_released(st: _State, current: Notice | None) -> None:
    """Released: if no advance notice reached the office, that notice is missed and release.occurred goes out
    at once (the courtroom release that cannot be pre-notified). If the office was told a later time than the
    actual release, it is told the release happened."""
    booking, now = st.booking, st.now
    assert booking is not None and booking.released_at is not None
    released_at = booking.released_at
    transferred = booking.release_reason == ReleaseReason.TRANSFERRED_TO_ICE
    for n in st.notices:
        if n.kind in RELEASE_KINDS and n.status in OPEN_STATUSES and (current is None or n.pk != current.pk):
            cancel_notice(n, "released", now)
    if transferred:
        # ICE took custody at the jail: it knew, whatever our notice's state; nothing was missed
        if current is not None and current.status in OPEN_STATUSES:
            cancel_notice(current, "transferred to ICE", now)
    elif current is not None and current.status in DELIVERED_STATUSES:
        told = current.release_at
        if told is not None and released_at < told - EARLY_RELEASE_TOLERANCE:
            _ensure_occurred(st, released_at)
    else:
        already_missed = any(n.kind in RELEASE_KINDS and n.missed for n in st.notices)
        if current is not None and current.status in (*OPEN_STATUSES, NoticeStatus.FAILED):
            cancel_notice(current, "released before the notice was delivered", now, missed=True)
        elif not already_missed:
            Notice.objects.create(
                kind=NoticeKind.ADVANCE, request=st.req, decision=st.decision, office_id=st.req.office_id,
                booking=booking, status=states.initial(states.CANCELLED), missed=True, due_at=None, release_at=released_at,
                lead_time_hours=st.decision.lead_time_hours if st.decision else None,
                calendar=st.decision.calendar if st.decision else "", trigger=st.trigger[:120],
                cancelled_at=now, cancel_reason="released before any notice could be sent",
            )
        _ensure_occurred(st, released_at)
        _auto_outcome(booking, st.req, OutcomeKind.RELEASED_BEFORE_NOTICE, now)
    if transferred:
        _auto_outcome(booking, st.req, OutcomeKind.TRANSFERRED_TO_ICE, now)


def _ensure_occurred(st: _State, released_at: datetime) -> None:
    for n in st.notices:
        if n.kind == NoticeKind.OCCURRED and n.status != NoticeStatus.CANCELLED and n.release_at == released_at:
            return
    _create_office_notice(st.req, st.decision, st.booking, kind=NoticeKind.OCCURRED, due=st.now, now=st.now,
                          trigger=st.trigger, release_at=released_at)


def _auto_outcome(booking: Booking, req: ImmigrationRequest, kind: str, now: datetime) -> None:
    """What the data already proves; a person's record (source staff or api) is never overwritten."""
    if not Outcome.objects.filter(booking=booking).exists():
        Outcome.objects.create(booking=booking, request=req, kind=kind, recorded_at=now, source="system")


def _reconcile_declined(st: _State) -> None:
    decision, now = st.decision, st.now
    assert decision is not None
    declined = [n for n in st.notices if n.kind == NoticeKind.DECLINED]
    wanted = not decision.notify and not decision.review and decision.answer_declined
    if not wanted:
        for n in declined:
            if n.status in OPEN_STATUSES:
                cancel_notice(n, "decision no longer declines" if decision.notify else "no answer required", now)
        return
    last_release = max((n.pk for n in st.notices if n.kind in RELEASE_KINDS and n.delivered), default=0)
    if any(n.status in OPEN_STATUSES or (n.delivered and n.pk > last_release) for n in declined):
        return
    if any(n.status == NoticeStatus.FAILED and n.decision_id == decision.pk for n in declined):
        return  # it was tried until it gave up and escalated; a new decision would try again
    _create_office_notice(st.req, decision, st.booking, kind=NoticeKind.DECLINED, due=now, now=now,
                          trigger=st.trigger)


def _letter_release(st: _State) -> datetime | None:
    """The release time the letter repeats: only when the office is (to be) told one (Gov. Code 7283.1)."""
    d, b = st.decision, st.booking
    if d is None or b is None or not _notifies(d) or b.released_at is not None:
        return None
    return b.scheduled_release_at


def _letter_facts(decision: Decision | None, release_at: datetime | None, *, review: bool = False) -> tuple[Any, ...]:
    if decision is None:
        return (None, None, None, release_at, None)
    return (decision.notify, decision.hold, decision.transfer, release_at, bool(decision.review) if review else None)


def request_copy_cite(decision: Decision | None) -> str:
    """The law that owes the person a copy of every request and a statement of whether the jail will comply
    (Cal. Gov. Code 7283.1(b), first sentence), read from the policy versions the decision consulted (setting
    `request_copy_cite`); "" where no policy in the chain owes one."""
    if decision is None:
        return ""
    value = setting_in_force(decision.policies or [], decision.evaluated_at, "request_copy_cite")
    return str(value or "")


def _reconcile_letters(st: _State) -> None:
    """The written notices to the person and to their attorney or designee. Staff hand letters over
    (record_handover); a new letter supersedes one already handed over whenever what it says changes.

    - `letter.request_copy`: where the law owes it (Cal. Gov. Code 7283.1(b), first sentence), the person gets
      a copy of every request and is told whether the jail will comply, whatever the decision, also while a
      supervisor reviews it (the letter then says the answer is under review).
    - `letter.individual` / `letter.attorney`: the notice the decision's `individual_notice` / `attorney_notice`
      owe. Where a request copy is owed, `letter.individual` is the release-date notice of 7283.1(b)'s second
      sentence, so it is written only when ICE is (to be) told a release date; elsewhere it is the notice the
      policy names (e.g. Tex. CCP 2.251(a)(2): the person is told they are held on a detainer).
    Nothing is written while the decision awaits review except the request copy."""
    decision, now = st.decision, st.now
    assert decision is not None
    if st.booking is not None and st.booking.released_at is not None:
        return  # the person has left; letters already prepared stay for staff to send on
    copy_owed = bool(request_copy_cite(decision))
    individual = bool(decision.individual_notice) and (_notifies(decision) if copy_owed else True)
    plan: list[tuple[str, bool, bool]] = [  # kind, required, written while under review
        (NoticeKind.LETTER_REQUEST_COPY, copy_owed, True),
        (NoticeKind.LETTER_INDIVIDUAL, individual, False),
        (NoticeKind.LETTER_ATTORNEY, bool(decision.attorney_notice), False),
    ]
    for kind, required, during_review in plan:
        letters = [n for n in st.notices if n.kind == kind and n.status != NoticeStatus.CANCELLED]
        latest = letters[-1] if letters else None
        if not required or (decision.review and not during_review):
            for n in letters:
                if n.status == NoticeStatus.SCHEDULED:
                    cancel_notice(n, "decision under review" if decision.review and required
                                  else "letter no longer required", now)
            continue
        release_at = None if kind == NoticeKind.LETTER_REQUEST_COPY else _letter_release(st)
        if latest is None:
            Notice.objects.create(kind=kind, request=st.req, decision=decision, office_id=st.req.office_id,
                                  booking=st.booking, status=states.initial(states.SCHEDULED), due_at=now,
                                  release_at=release_at, trigger=st.trigger[:120])
        elif latest.status == NoticeStatus.SCHEDULED:
            if latest.decision_id != decision.pk or latest.release_at != release_at:
                latest.decision = decision
                latest.release_at = release_at
                latest.save(update_fields=["decision", "release_at", "updated_at"])
        elif (_letter_facts(latest.decision, latest.release_at, review=during_review)
              != _letter_facts(decision, release_at, review=during_review)):
            Notice.objects.create(kind=kind, request=st.req, decision=decision, office_id=st.req.office_id,
                                  booking=st.booking, status=states.initial(states.SCHEDULED), due_at=now,
                                  release_at=release_at, supersedes=latest, trigger=st.trigger[:120])


def attorney_email_owed(decision: Decision | None) -> bool:
    """Whether the decision owes the attorney or designee the written release-date notice (its
    `attorney_notice`, e.g. Cal. Gov. Code 7283.1(b), second sentence: only when ICE is told a release date)
    and no supervisor is still reviewing it: the same condition as `letter.attorney`."""
    return decision is not None and bool(decision.attorney_notice) and not decision.review


def _reconcile_attorney_email(st: _State) -> None:
    """The copy to the attorney or designee, e-mailed on its own channel (`email.attorney`, channel
    `attorney`) whenever the letter to them is owed and the booking has a contact with an e-mail address.
    It is tracked like any notice (deliveries, attempts with the SMTP reply as evidence) but never goes to
    an office, never escalates to one, and no office sees it on any channel.

    A copy not yet sent is brought up to date in place (the body is built when it is sent). Once one went
    out, a new one follows when what it says changes (release time, the answer) or the address changed."""
    from handoff.custody.contacts import contact_for

    decision, booking, now = st.decision, st.booking, st.now
    emails = [n for n in st.notices if n.kind == NoticeKind.EMAIL_ATTORNEY]
    live = [n for n in emails if n.status != NoticeStatus.CANCELLED]
    if not emails and not attorney_email_owed(decision):
        return  # the common case: nothing owed, nothing written, no query spent
    contact = contact_for(booking) if booking is not None else None
    owed = (attorney_email_owed(decision) and booking is not None and booking.released_at is None
            and contact is not None and bool(contact.email))
    if not owed:
        released = booking is not None and booking.released_at is not None
        why = ("released" if released
               else "no e-mail address for the attorney or designee" if attorney_email_owed(decision)
               else "decision under review" if decision is not None and decision.review
               else "the attorney is no longer owed a notice")
        for n in live:
            if n.status in OPEN_STATUSES or n.status == NoticeStatus.FAILED:
                cancel_notice(n, why, now)
        return
    assert decision is not None and booking is not None and contact is not None
    release_at = _letter_release(st)
    latest = live[-1] if live else None
    for n in live[:-1]:
        if n.status in OPEN_STATUSES:
            cancel_notice(n, "replaced by a later e-mail", now)
    if latest is not None and latest.status in OPEN_STATUSES:
        if latest.decision_id != decision.pk or latest.release_at != release_at:
            latest.decision, latest.release_at = decision, release_at
            latest.save(update_fields=["decision", "release_at", "updated_at"])
        return
    if latest is not None and latest.status in DELIVERED_STATUSES:
        sent_to = set(DeliveryAttempt.objects.filter(delivery__notice=latest, delivered=True).values_list(
            "target", flat=True))
        if (_letter_facts(latest.decision, latest.release_at) == _letter_facts(decision, release_at)
                and contact.email in sent_to):
            return
    notice = Notice.objects.create(
        kind=NoticeKind.EMAIL_ATTORNEY, request=st.req, decision=decision, office_id=st.req.office_id,
        booking=booking, status=states.initial(states.SCHEDULED), due_at=now, release_at=release_at,
        supersedes=latest, trigger=st.trigger[:120])
    Delivery.objects.create(
        notice=notice, endpoint=endpoint_for(notice.office, Channel.ATTORNEY), channel=Channel.ATTORNEY,
        webhook_id=new_webhook_id(), due_at=now, next_attempt_at=now,
        give_up_at=now + timedelta(hours=conf.give_up_hours()))
    _wake_after_commit()


# --- acknowledgement -------------------------------------------------------------------------------------

def get_notice(notice_id: str | int | uuid.UUID) -> Notice:
    qs = Notice.objects.select_related("office", "request")
    try:
        if isinstance(notice_id, int):
            return qs.get(pk=notice_id)
        return qs.get(uid=uuid.UUID(str(notice_id)))
    except (ValueError, Notice.DoesNotExist):
        raise NotFound(f"no notice {notice_id}") from None


def acknowledge(notice_id: str | int | uuid.UUID, *, office: FederalOffice | None = None,
                user: User | None = None, via: str = "api") -> Notice:
    """The office confirms it has the notice. Idempotent. An office can only acknowledge its own notices
    (404 otherwise: another office's notice ids are not confirmed to exist). Acknowledging stops retries and
    any escalation not yet sent; it never marks a delivery delivered (only a 2xx or SMTP acceptance does)."""
    notice = get_notice(notice_id)
    if office is not None and notice.office_id != office.pk:
        raise NotFound(f"no notice {notice_id}")
    if notice.kind not in OFFICE_KINDS:
        raise Conflict("letters are handed over by staff, not acknowledged by the office")
    if notice.status == NoticeStatus.ACKNOWLEDGED:
        return notice
    attempted = notice.first_attempt_at is not None or Delivery.objects.filter(notice=notice, attempts__gt=0).exists()
    if notice.status == NoticeStatus.CANCELLED or (notice.status == NoticeStatus.SCHEDULED and not attempted):
        raise Conflict(f"notice {notice.uid} has not been sent ({notice.status})")
    now = clock.now()
    updated = states.update(
        Notice.objects.filter(pk=notice.pk), states.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user,
        acknowledged_via=via[:20], updated_at=now,
    )
    if updated:
        Delivery.objects.filter(notice=notice, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, lease_owner="", lease_expires_at=None,
            last_error="acknowledged by the office", updated_at=now)
    notice.refresh_from_db()
    return notice


def ack_token(notice: Notice) -> str:
    return signing.dumps({"n": str(notice.uid), "o": notice.office_id}, salt=ACK_SALT, compress=True)


def ack_url(notice: Notice) -> str:
    base = str(settings.HANDOFF_BASE_URL).rstrip("/")
    return base + reverse("notices:ack", kwargs={"token": ack_token(notice)})


def notice_for_ack_token(token: str) -> Notice:
    """The notice a one-click link names. Links expire (HANDOFF_ACK_LINK_DAYS) and cannot be forged without
    the secret key."""
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=timedelta(days=conf.ack_link_days()))
    except signing.SignatureExpired:
        raise InvalidInput("this acknowledgement link has expired", field="token") from None
    except signing.BadSignature:
        raise InvalidInput("this acknowledgement link is not valid", field="token") from None
    notice = get_notice(str(data.get("n", "")))
    if notice.office_id != data.get("o"):
        raise InvalidInput("this acknowledgement link is not valid", field="token")
    return notice


# --- outcomes and letters --------------------------------------------------------------------------------

#: outcomes that can be true while the person is still held (the request ends, the booking goes on)
OUTCOMES_BEFORE_RELEASE = frozenset(vocab.OUTCOMES_BEFORE_RELEASE)


def record_outcome(booking: Booking, kind: str, *, user: User | None = None, source: str = "staff",
                   note: str = "", request: ImmigrationRequest | None = None) -> Outcome:
    """How the request ended (handoff.evidence.outcomes lists the seven; "still in custody" is only derived).
    A person's record replaces the system's inference."""
    recordable = [k for k in OutcomeKind.values if k != OutcomeKind.STILL_IN_CUSTODY]
    if kind not in recordable:
        raise InvalidInput(f"unknown outcome {kind!r}; one of {', '.join(recordable)}", field="kind")
    if booking.released_at is None and kind not in OUTCOMES_BEFORE_RELEASE:
        raise Conflict("the booking has not been released: only a transfer to ICE, a cancelled detainer or a "
                       "withdrawn request can be recorded while the person is held")
    if request is None:
        request = booking.requests.order_by("-received_at").first()
    outcome, _ = Outcome.objects.update_or_create(
        booking=booking,
        defaults={"kind": kind, "request": request, "recorded_at": clock.now(), "recorded_by": user,
                  "source": source[:20], "note": note},
    )
    return outcome


#: the Outcome.source of an import; a person's record (staff, api) is never replaced by one
IMPORT_SOURCE = "import"


def import_outcomes(rows: list[tuple[int, str]]) -> int:
    """Outcomes a jail export states, as (booking id, kind); returns how many rows were written.

    Idempotent: the same kind again writes nothing (a re-run changes nothing), and a kind recorded by a
    person (staff or the API) stays: the export is older than what staff saw. The request the outcome ends is
    the booking's latest."""
    if not rows:
        return 0
    wanted = dict(rows)
    existing = {o.booking_id: o for o in Outcome.objects.filter(booking_id__in=list(wanted))}
    latest: dict[int, int] = {}
    for booking_id, req_id in (ImmigrationRequest.objects.filter(booking_id__in=list(wanted))
                               .order_by("received_at", "pk").values_list("booking_id", "pk")):
        latest[booking_id] = req_id
    now = clock.now()
    new, changed = [], []
    for booking_id, kind in wanted.items():
        found = existing.get(booking_id)
        if found is None:
            new.append(Outcome(booking_id=booking_id, request_id=latest.get(booking_id), kind=kind, recorded_at=now,
                               source=IMPORT_SOURCE))
        elif found.kind != kind and found.source in (IMPORT_SOURCE, "system"):
            found.kind, found.recorded_at, found.source = kind, now, IMPORT_SOURCE
            found.request_id = found.request_id or latest.get(booking_id)
            changed.append(found)
    Outcome.objects.bulk_create(new)
    if changed:
        Outcome.objects.bulk_update(changed, ["kind", "recorded_at", "source", "request"])
    return len(new) + len(changed)


#: who a letter is addressed to, by kind (the `--to` of `handoff letters handover`)
LETTER_ADDRESSEE: dict[str, str] = {
    NoticeKind.LETTER_REQUEST_COPY.value: "person",
    NoticeKind.LETTER_INDIVIDUAL.value: "person",
    NoticeKind.LETTER_ATTORNEY.value: "attorney",
}
HANDOVER_RECIPIENTS = ("person", "attorney")


def record_handover(notice_id: str | int | uuid.UUID, *, language: str = "en", recipient: str = "",
                    handed_over_at: datetime | None = None, user: User | None = None,
                    note: str = "", to: str | None = None) -> LetterHandover:
    """Staff record that a letter reached the person or their attorney or designee (issue 9 item 4). The
    letter then counts as sent. Refused with the reason: a letter addressed to someone else than `to`, a
    hand-over time before the letter existed (nobody can hand over a letter not yet written) or in the
    future, a cancelled letter, or a notice that is not a letter."""
    notice = get_notice(notice_id)
    if notice.kind not in LETTER_KINDS:
        raise Conflict("only letters are handed over")
    if notice.status == NoticeStatus.CANCELLED:
        raise Conflict(f"letter {notice.uid} was cancelled ({notice.cancel_reason or 'no reason recorded'}); "
                       "hand over the letter that replaced it")
    addressee = LETTER_ADDRESSEE.get(notice.kind, "person")
    if to is not None:
        if to not in HANDOVER_RECIPIENTS:
            raise InvalidInput(f"--to must be person or attorney, not {to!r}", field="to")
        if to != addressee:
            raise InvalidInput(f"letter {notice.uid} ({notice.get_kind_display()}) is addressed to the "
                               f"{addressee}, not the {to}", field="to")
    if language not in ("en", "es"):
        raise InvalidInput(f"letters are written in en or es, not {language!r}", field="language")
    now = clock.now()
    at = handed_over_at or now
    if at.tzinfo is None:
        raise InvalidInput("the hand-over time needs a timezone (e.g. 2026-12-05T14:00:00Z)", field="handed_over_at")
    if at > now:
        raise InvalidInput(f"a letter cannot be handed over in the future ({iso(at)} is after now, {iso(now)})",
                           field="handed_over_at")
    if notice.created_at is not None and at < notice.created_at:
        raise InvalidInput(f"the letter did not exist yet at {iso(at)}: it was written at {iso(notice.created_at)}",
                           field="handed_over_at")
    handover = LetterHandover.objects.create(notice=notice, language=language[:5], handed_over_at=at,
                                             recipient=(recipient or addressee)[:200], recorded_at=now,
                                             recorded_by=user, note=note)
    Notice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=at)
    states.update(Notice.objects.filter(pk=notice.pk), states.SENT, updated_at=now)
    return handover


# --- listing ---------------------------------------------------------------------------------------------

def notice_summary(notice: Notice, now: datetime) -> dict[str, Any]:
    """One notice as `handoff notices` prints it. `at_risk` is the manager's (Notice.objects.at_risk): read
    from the row when the listing annotated it (`with_at_risk`), else asked of the database."""
    flag = getattr(notice, "is_at_risk", None)
    return {
        "notice_id": str(notice.uid),
        "kind": notice.kind,
        "status": notice.status,
        "request_id": notice.request.request_id,
        "office": notice.office.code,
        "facility": notice.request.facility.code,
        "booking_number": notice.booking.booking_number if notice.booking else notice.request.booking_number,
        "due_at": iso(notice.due_at),
        "release_at": iso(notice.release_at),
        "short_notice": notice.short_notice,
        "missed": notice.missed,
        "sent_at": iso(notice.sent_at),
        "acknowledged_at": iso(notice.acknowledged_at),
        "escalated_at": iso(notice.escalated_at),
        "at_risk": bool(flag) if flag is not None else Notice.objects.at_risk(now).filter(pk=notice.pk).exists(),
        "supersedes": str(notice.supersedes.uid) if notice.supersedes_id and notice.supersedes else None,
        "deliveries": [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts, "webhook_id": d.webhook_id,
             "last_status_code": d.last_status_code, "last_error": d.last_error,
             "delivered_at": iso(d.delivered_at)}
            for d in notice.deliveries.all()
        ],
    }


__all__ = [
    "acknowledge", "ack_url", "advance_due", "cancel_notice", "escalate", "get_notice", "notice_for_ack_token",
    "import_outcomes", "reconcile_request", "record_handover", "record_outcome", "refresh_status",
]
