"""The flow, read from start to end: a fact changed -> decide -> reconcile notices, in one transaction.

Why one module: custody records facts, requests matches and decides, notices keeps the outbox in agreement
with the decision. None of them calls another upward; each returns what it changed, and this module hands
the change on. So the whole path a jail export or an API call takes is here:

    custody.apply_*/upsert_* -> bookings_changed / people_changed
        -> on_booking_changed / on_person_changed -> requests.decide / requests.rematch
        -> notices.reconcile_request
    requests.receive / withdraw / confirm_match / override_decision -> notices.reconcile_request
    recheck (daily, registered with the worker by ops) -> requests.decide -> notices.reconcile_request

Every entry point opens `transaction.atomic()` (a savepoint when the caller already holds a transaction, as
the ingest runner and the API do), so a decision and its notices commit together or not at all. The daily
re-check opens one transaction per request so one failure does not stop the rest.

When a new Decision row is written, and why notices are reconciled on every call all the same: see
`handoff.requests.services`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet

from handoff.casework import collection
from handoff.core import clock
from handoff.custody import contacts, names
from handoff.custody import services as custody
from handoff.custody.models import Booking, Charge, Conviction, Person
from handoff.jurisdictions.models import Facility
from handoff.jurisdictions.services import policy_chain
from handoff.notices.services import import_outcomes, reconcile_request
from handoff.policy.facts import Facts
from handoff.policy.registry import registry
from handoff.requests import matching
from handoff.requests import services as requests
from handoff.requests.facts import build_facts, lookback_changed
from handoff.requests.inputs import RequestInput, a_number_variants
from handoff.requests.models import Decision, ImmigrationRequest, RequestStatus

log = logging.getLogger(__name__)
T = TypeVar("T")
Received = requests.Received


# --- custody facts changed -------------------------------------------------------------------------------

def live_request_facilities(facility_ids: set[int]) -> set[int]:
    """Facilities with any request that is not withdrawn. Why: a booking can only concern a request at its
    own facility, so for a jail with no open requests the call would find nothing; skipping it keeps a
    million-row import from making a million calls that each query for requests."""
    if not facility_ids:
        return set()
    return set(
        ImmigrationRequest.objects.filter(facility_id__in=facility_ids, historical=False)
        .exclude(status=RequestStatus.WITHDRAWN)
        .values_list("facility_id", flat=True)
        .distinct()
    )


def bookings_changed(triggers: Mapping[int, tuple[Booking, str]]) -> None:
    """Hand every changed booking (with the trigger custody chose for it) to the requests it concerns."""
    if not triggers:
        return
    live = live_request_facilities({b.facility_id for b, _ in triggers.values()})
    for booking, trigger in triggers.values():
        if booking.facility_id in live:
            on_booking_changed(booking, trigger=trigger)


def people_changed(triggers: Mapping[int, tuple[Person, str]]) -> None:
    """Hand every person whose history changed to their live requests."""
    triggers = {k: v for k, v in triggers.items() if v[0].pk is not None}
    if not triggers:
        return
    if not ImmigrationRequest.objects.filter(historical=False).exclude(status=RequestStatus.WITHDRAWN).exists():
        return  # history loaded before any request arrives concerns no request yet
    for person, trigger in triggers.values():
        on_person_changed(person, trigger=trigger)


def _react(applied: custody.Applied[T] | custody.UpsertResult[T]) -> None:
    bookings_changed(applied.bookings_changed)
    people_changed(applied.people_changed)


R = TypeVar("R", bound="custody.Applied[Any] | custody.UpsertResult[Any]")


def _written(write: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Why one helper: every custody write is the same step, the write and the re-decisions it causes in
    one transaction, so a crash between them can never leave a fact without its decision."""
    with transaction.atomic():
        result = write(*args, **kwargs)
        _react(result)
    return result


def apply_bookings(items: list[tuple[int, custody.BookingInput]], *, source: str) -> custody.Applied[Booking]:
    """A batch of bookings (ingest): write them, then re-decide what they change."""
    return _written(custody.apply_bookings, items, source=source, watch=live_request_facilities)


def apply_charges(items: list[tuple[int, custody.ChargeInput]], *, source: str) -> custody.Applied[Charge]:
    return _written(custody.apply_charges, items, source=source)


def apply_convictions(items: list[tuple[int, custody.ConvictionInput]], *,
                      source: str) -> custody.Applied[Conviction]:
    return _written(custody.apply_convictions, items, source=source)


def record_export_history(items: list[tuple[custody.BookingInput, str]], *, source: str) -> None:
    """What a jail export says beyond the booking itself (after `apply_bookings` wrote the bookings): each
    ICE hold becomes a historical request, and an outcome the export states is recorded for the booking.
    Nothing is decided and no notice is made: it is history. Idempotent, so re-importing changes nothing."""
    _withdraw_unheld([b for b, _ in items if not b.ice_hold])
    wanted = [(b, kind) for b, kind in items if b.ice_hold or kind]
    if not wanted:
        return
    with transaction.atomic():
        ids: dict[tuple[int, str], tuple[int, datetime]] = {}
        for facility_id in {b.facility_id for b, _ in wanted}:
            numbers = [b.booking_number for b, _ in wanted if b.facility_id == facility_id]
            for pk, number, booked_at in Booking.objects.filter(facility_id=facility_id, booking_number__in=numbers) \
                    .values_list("pk", "booking_number", "booked_at"):
                ids[(facility_id, number)] = (pk, booked_at)
        held = [requests.HeldBooking(ids[(b.facility_id, b.booking_number)][0], b.facility_id, b.facility_code,
                                     b.booking_number, ids[(b.facility_id, b.booking_number)][1])
                for b, _ in wanted if b.ice_hold and (b.facility_id, b.booking_number) in ids]
        requests.historical_requests(held)
        import_outcomes([(ids[(b.facility_id, b.booking_number)][0], kind) for b, kind in wanted
                         if kind and (b.facility_id, b.booking_number) in ids])


def _withdraw_unheld(bookings: list[custody.BookingInput]) -> None:
    """Bookings an export now gives without an ICE hold: a historical request an earlier import made for one
    of them is withdrawn (the jail's record no longer says there was a hold; it stops counting). Costs one
    query per batch when the facilities have no historical request at all (the usual case)."""
    facility_ids = {b.facility_id for b in bookings}
    if not facility_ids or not ImmigrationRequest.objects.filter(
            facility_id__in=facility_ids, historical=True).exclude(status=RequestStatus.WITHDRAWN).exists():
        return
    ids: list[int] = []
    for facility_id in facility_ids:
        numbers = [b.booking_number for b in bookings if b.facility_id == facility_id]
        ids += list(Booking.objects.filter(facility_id=facility_id, booking_number__in=numbers)
                    .values_list("pk", flat=True))
    requests.withdraw_historical_requests(ids, clock.now())


def upsert_booking(data: Mapping[str, Any], *, source: str) -> custody.UpsertResult[Booking]:
    """One booking (the API): a field the facility's law forbids keeping is dropped first (collection)."""
    values, _ = collection.strip_booking_values(dict(data), collection.Limits())
    return _written(custody.upsert_booking, values, source=source)


def upsert_charge(data: Mapping[str, Any], *, source: str) -> custody.UpsertResult[Charge]:
    return _written(custody.upsert_charge, data, source=source)


def add_conviction(data: Mapping[str, Any], *, source: str) -> custody.UpsertResult[Conviction]:
    return _written(custody.add_conviction, data, source=source)


def record_release(facility_code: str, booking_number: str, released_at: datetime | str, release_reason: str,
                   release_type: str = "", *, source: str) -> custody.UpsertResult[Booking]:
    return _written(custody.record_release, facility_code, booking_number, released_at, release_reason,
                    release_type, source=source)


def correct_booking(booking: Booking, field_name: str, value: str, *, reason: str,
                    source: str) -> custody.UpsertResult[Booking]:
    """A clerk's correction of one booking (or person) field; the old value stays in the record history and
    the requests it concerns are decided again, in the same transaction."""
    return _written(custody.correct_booking, booking, field_name, value, reason=reason, source=source)


def record_release_to(facility_code: str, booking_number: str, released_at: datetime | str, release_reason: str,
                      release_type: str = "", *, released_to: str, source: str) -> custody.UpsertResult[Booking]:
    """A release recorded on the clerk's page: when, how, and to whom; then the flow as for any release."""
    with transaction.atomic():
        result = record_release(facility_code, booking_number, released_at, release_reason, release_type,
                                source=source)
        custody.record_released_to(result.obj, released_to, source=source)
    return result


def set_attorney_contact(booking: Booking, data: Any, *, source: str) -> tuple[Any, dict[str, list[Any]]]:
    """The person's attorney or designee recorded (custody.contacts), then every live request on the booking
    reconciled in the same transaction: a release-date notice already owed to the attorney goes out by e-mail
    once there is an address to send it to (notices: `email.attorney`)."""
    with transaction.atomic():
        contact, changes = contacts.set_contact(booking, data, source=source)
        if changes:
            for req in ImmigrationRequest.objects.filter(booking=booking, status=RequestStatus.MATCHED,
                                                         historical=False):
                reconcile_request(req, trigger="attorney.contact")
    return contact, changes


# --- what a changed fact means for requests --------------------------------------------------------------

def _reconcile(touched: Iterable[tuple[ImmigrationRequest, str]]) -> None:
    for req, trigger in touched:
        reconcile_request(req, trigger=trigger)


def decide(req: ImmigrationRequest, *, trigger: str, at: datetime | None = None) -> Decision:
    """Decide one matched request and make its notices agree."""
    with transaction.atomic():
        row = requests.decide(req, trigger=trigger, at=at)
        reconcile_request(req, trigger=trigger)
    return row


def _rematch(req: ImmigrationRequest, *, trigger: str, at: datetime) -> None:
    if requests.rematch(req, trigger=trigger, at=at):
        reconcile_request(req, trigger=trigger)


def open_requests() -> QuerySet[ImmigrationRequest]:
    """Requests the law still acts on: matched, and their booking not released (a historical request, from
    a jail export's record of an ICE hold, is never decided)."""
    return ImmigrationRequest.objects.filter(status=RequestStatus.MATCHED, booking__released_at__isnull=True,
                                             historical=False)


def on_booking_changed(booking: Booking, *, trigger: str) -> None:
    """Re-decide every live request on this booking, and try to match waiting requests it may fit.
    One query finds both (this runs after every change a jail export makes, in the caller's transaction)."""
    q = Q(booking_id=booking.pk, status=RequestStatus.MATCHED, historical=False) | _waiting_q(booking)
    found = list(ImmigrationRequest.objects.filter(q).select_related("current_decision").defer(*requests.DEFERRED))
    if not found:
        return
    # Every request found is at the booking's facility: read it (and its chain of places) once, and reuse
    # the caller's booking, instead of joining both into the query above.
    facility = Facility.objects.select_related("jurisdiction__parent__parent", "city").get(pk=booking.facility_id)
    now = clock.now()
    if booking.released_at is not None:
        from handoff.casework import alarms

        for req in found:
            req.facility = facility
        alarms.on_release(booking, found)  # over-detention is judged on the decision the hold ran under
    for req in found:
        req.facility = facility
        if req.status == RequestStatus.MATCHED:
            req.booking = booking
            requests.decide(req, trigger=trigger, at=now)
            reconcile_request(req, trigger=trigger)
        elif matching.could_fit(req, booking) or booking.pk in _ids(req.match_candidates):
            _rematch(req, trigger=f"booking {booking.booking_number}: {trigger}"[:80], at=now)


def _ids(values: Any) -> set[int]:
    return {int(i) for i in (values or []) if str(i).isdigit()}


def _waiting_q(booking: Booking) -> Q:
    """Unmatched requests (waiting, or in match review) at the booking's facility that name this booking or its
    person. By name, any
    request whose date of birth is near the person's (`custody.names.dob_variants`): matching.could_fit
    then compares the names as a clerk would (accents, compound names, order), which SQL cannot."""
    person = booking.person
    q = Q(booking_number=booking.booking_number)
    if person.a_number:
        q |= Q(subject_a_number__in=a_number_variants(person.a_number))
    if person.fbi_number:
        q |= Q(subject_fbi_number__iexact=person.fbi_number)
    if person.date_of_birth is not None:
        q |= Q(subject_date_of_birth__in=names.dob_variants(person.date_of_birth))
    # a request in match review too: a booking that arrives later may be a better candidate (or the person
    # by number), and a candidate released or changed may no longer be one
    return q & Q(facility_id=booking.facility_id, status__in=(RequestStatus.WAITING, RequestStatus.REVIEW),
                 withdrawn_at=None)


def _match_waiting(booking: Booking, *, trigger: str) -> None:
    now = clock.now()
    for req in ImmigrationRequest.objects.filter(_waiting_q(booking)).select_related(*requests.RELATED):
        if matching.could_fit(req, booking):
            _rematch(req, trigger=f"booking {booking.booking_number}: {trigger}"[:80], at=now)


def on_person_changed(person: Person, *, trigger: str) -> None:
    """A conviction added or changed, a registrant flag or lawful status changed: re-decide the person's
    live requests; an identifier added may also let a waiting request match one of their bookings.
    Runs in the caller's transaction (one of the entry points above, or the caller's own)."""
    for req in (
        open_requests().filter(booking__person_id=person.pk)
        .select_related("current_decision", *requests.RELATED).defer(*requests.DEFERRED)
    ):
        requests.decide(req, trigger=trigger)
        reconcile_request(req, trigger=trigger)
    for booking in Booking.objects.filter(person_id=person.pk, released_at__isnull=True).select_related("person"):
        _match_waiting(booking, trigger=trigger)


# --- what the federal side sends, and what staff decide --------------------------------------------------

def receive(data: RequestInput, *, source: str, at: datetime | None = None) -> Received:
    """A request (or a changed version of it): store, match, decide, reconcile notices. A field the
    facility's law forbids keeping is dropped first (collection; ingest counts what it dropped)."""
    data, _ = collection.strip_request(data, collection.Limits())
    with transaction.atomic():
        received = requests.receive(data, source=source, at=at)
        _reconcile(received.touched)
    return received


def withdraw(request: str | ImmigrationRequest, withdrawn_at: datetime, *, source: str, at: datetime | None = None,
             office: str = "", facility: str = "") -> Received:
    """A withdrawal: record it, re-decide (nothing may go out), cancel what was still to go. `request` is the
    request found by a scoped reader, or an id (with office and facility codes when several carry it)."""
    with transaction.atomic():
        received = requests.withdraw(request, withdrawn_at, source=source, at=at, office=office, facility=facility)
        _reconcile(received.touched)
    return received


def confirm_match(req: ImmigrationRequest, booking: Booking, *, by: Any, note: str,
                  at: datetime | None = None) -> ImmigrationRequest:
    """A person names the booking of a request in review; it is decided and its notices follow."""
    with transaction.atomic():
        requests.confirm_match(req, booking, by=by, note=note, at=at)
        reconcile_request(req, trigger="match confirmed")
    return req


def reject_candidates(req: ImmigrationRequest, *, by: Any, reason: str, at: datetime | None = None) -> None:
    """A clerk rules out every candidate in review ("none of these"); the request is matched again against
    the rest, usually to wait for its booking, and its notices follow."""
    with transaction.atomic():
        if requests.reject_candidates(req, by=by, reason=reason, at=at):
            reconcile_request(req, trigger="candidates ruled out")


def link_by_hand(req: ImmigrationRequest, booking: Booking, *, by: Any, reason: str,
                 at: datetime | None = None) -> ImmigrationRequest:
    """A clerk links a request (waiting, in review, or matched to the wrong booking) to a booking found by
    searching; the law is then applied and the notices follow. Who may see the booking is the caller's check
    (access.scoping); the booking must be in the request's facility."""
    with transaction.atomic():
        requests.confirm_match(req, booking, by=by, note=reason, at=at, how="linked by hand",
                               trigger="linked by hand")
        reconcile_request(req, trigger="linked by hand")
    return req


def override_decision(req: ImmigrationRequest, user: Any, reason: str, **choices: Any) -> Decision:
    """A supervisor decides what the law leaves to a person; the notices follow the override."""
    with transaction.atomic():
        row = requests.override_decision(req, user, reason, **choices)
        reconcile_request(req, trigger="override")
    return row


# --- the daily re-check ----------------------------------------------------------------------------------

@dataclass
class RecheckResult:
    checked: int = 0
    redecided: int = 0
    changed: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    #: requests waiting for a booking or in match review, matched again against the bookings of today
    unmatched_checked: int = 0
    #: ... whose match changed (matched, to review, new candidates, back to waiting)
    rematched: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "redecided": self.redecided, "changed": self.changed,
                "failed": self.failed, "unmatched_checked": self.unmatched_checked, "rematched": self.rematched}


def _policies_in_force(facility: Facility, at: datetime) -> list[str]:
    chain = policy_chain(facility)
    if not chain:
        return []
    local = at.astimezone(ZoneInfo(facility.timezone))
    return list(registry().evaluate(Facts(), local, chain).policies)


def recheck(*, at: datetime | None = None, all_open: bool = False,
            request_ids: Iterable[str] | None = None) -> RecheckResult:
    """Re-evaluate open requests (matched, booking not released) whose answer may have changed with time
    alone: a policy version that took (or stopped taking) effect since their decision, or a conviction
    lookback window (5 / 15 years, completed years) that rolled over. `all_open` re-evaluates every open
    request. Each request is decided in its own transaction so one failure does not stop the rest."""
    at = at or clock.now()
    result = RecheckResult()
    in_force: dict[int, list[str]] = {}
    qs = open_requests().select_related("current_decision", *requests.RELATED)
    if request_ids is not None:
        qs = qs.filter(request_id__in=list(request_ids))
    for req in qs.order_by("pk").iterator(chunk_size=500):
        result.checked += 1
        current = req.current_decision
        trigger = ""
        if current is None:
            trigger = "daily re-check: no decision yet"
        else:
            if req.facility_id not in in_force:
                in_force[req.facility_id] = _policies_in_force(req.facility, at)
            if list(current.policies) != in_force[req.facility_id]:
                trigger = "policy version changed"
            elif _lookback_rolled(req, current.evaluated_at, at):
                trigger = "lookback window rolled over"
            elif all_open:
                trigger = "re-check of all open requests"
        if not trigger:
            continue
        try:
            row = decide(req, trigger=trigger, at=at)
        except Exception as exc:  # report and carry on: one bad record must not stop the daily re-check
            log.exception("re-check of request %s failed", req.request_id)
            result.failed.append({"request_id": req.request_id, "error": str(exc)})
            continue
        result.redecided += 1
        if current is None or row.pk != current.pk:
            result.changed += 1
    _recheck_unmatched(result, at, request_ids)
    return result


def _recheck_unmatched(result: RecheckResult, at: datetime, request_ids: Iterable[str] | None) -> None:
    """Match every request still waiting for a booking, or in match review, again against today's bookings.
    Why daily as well as on each booking change: a booking can change without passing through the flow (the
    Django admin, a database restore, a fix to the matching rules), and a waiting request must not depend
    on the next change to that very booking to be seen (issue 12). Only a changed match is written."""
    qs = ImmigrationRequest.objects.filter(status__in=(RequestStatus.WAITING, RequestStatus.REVIEW),
                                           withdrawn_at=None, historical=False)
    if request_ids is not None:
        qs = qs.filter(request_id__in=list(request_ids))
    for req in qs.select_related(*requests.RELATED).order_by("pk").iterator(chunk_size=500):
        result.unmatched_checked += 1
        found = matching.find_match(req)
        same = (found.status == req.status and found.booking is None
                and set(found.candidates) == _ids(req.match_candidates))
        if same:
            continue
        try:
            with transaction.atomic():
                _rematch(req, trigger="daily re-check: the bookings changed", at=at)
        except Exception as exc:  # report and carry on, as for decisions
            log.exception("re-match of request %s failed", req.request_id)
            result.failed.append({"request_id": req.request_id, "error": str(exc)})
            continue
        result.rematched += 1


def _lookback_rolled(req: ImmigrationRequest, before: datetime, after: datetime) -> bool:
    assert req.booking is not None
    tz = ZoneInfo(req.facility.timezone)
    d0, d1 = before.astimezone(tz).date(), after.astimezone(tz).date()
    if d0 == d1:
        return False
    facts = build_facts(req, req.booking)
    return lookback_changed([(c.convicted_on, c.custody_days_since) for c in facts.convictions], d0, d1)


__all__ = [
    "RecheckResult", "Received", "add_conviction", "apply_bookings", "apply_charges", "apply_convictions",
    "bookings_changed", "confirm_match", "correct_booking", "decide", "link_by_hand", "live_request_facilities",
    "on_booking_changed", "on_person_changed", "open_requests", "override_decision", "people_changed", "receive",
    "recheck", "record_release", "record_release_to", "reject_candidates", "upsert_booking", "upsert_charge",
    "withdraw",
]
