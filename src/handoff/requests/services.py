"""Receiving requests, matching them to bookings, and deciding them.

What this module does NOT do is touch notices: every function returns what it changed, and the flow
(`handoff.casework.flow`) reconciles the notices of those requests in the same transaction. Why: requests
sit below notices; a service that called upward would hide the flow inside itself.

- receive() / withdraw() -> Received, whose `touched` lists the (request, trigger) pairs whose notices
  must be reconciled
- decide(req, *, trigger) -> Decision (stores a new immutable Decision when the law's answer changed and
  sets req.current_decision)
- rematch(req, *, trigger, at) -> bool (True when the request's notices must be reconciled)
- confirm_match(), override_decision(): the request's notices must be reconciled afterwards

When a new Decision row is written (and when not). A row is written when the engine's answer differs from
the current decision in any outcome field, in the policies consulted (a policy's version is part of its
name, "us-ca@2018-01-01"), or in any reason (a rule that now holds or no longer holds, or whose detail
changed). A re-evaluation that gives the same answer writes nothing, whatever the trigger: the decision
counsel would read is identical, and the fact change itself is already recorded where it happened
(custody's RecordChange and ReleaseScheduleChange rows). So the table grows with every change of the
law's answer, never with no-ops, and every change of outcome has its own row with the trigger that caused
it. Notices are reconciled on every call all the same, because a moved release time changes when a notice
is due even when the decision does not change.

An override (a supervisor deciding a decision the law leaves to a person) stands as long as the engine
keeps giving the answer that was overridden; once the facts change the answer, the new answer replaces it.

Callers open the transaction (the flow does, at the edge).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handoff.core import clock
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.core.vocab import HOLD_VALUES, OUTCOME_FIELDS, TRANSFER_VALUES
from handoff.custody.models import Booking, RecordChange
from handoff.jurisdictions.models import Facility, FederalOffice
from handoff.jurisdictions.services import office_covers, policy_chain
from handoff.policy.registry import registry
from handoff.requests import matching
from handoff.requests.facts import build_facts, facts_dict
from handoff.requests.inputs import RequestInput
from handoff.requests.models import Decision, ImmigrationRequest, RequestStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from handoff.policy.facts import Decision as EngineDecision
    from handoff.policy.facts import Facts

log = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Fields whose change can point the request at another person: re-run matching.
IDENTITY_FIELDS = ("facility_id", "booking_number", "subject_last_name", "subject_first_name",
                   "subject_date_of_birth", "subject_a_number", "subject_fbi_number")


# --- receiving -------------------------------------------------------------------------------------------

@dataclass
class Received:
    request: ImmigrationRequest
    outcome: str  # created | updated | unchanged
    changes: dict[str, list[Any]] = field(default_factory=dict)
    #: (request, trigger) pairs whose notices the flow must reconcile, in order
    touched: list[tuple[ImmigrationRequest, str]] = field(default_factory=list)


def localize(value: datetime, tz_name: str) -> datetime:
    """A time without an offset is local time of the facility it concerns (INTERFACES.md)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(tz_name))
    return value


def _lookup(data: RequestInput) -> tuple[FederalOffice, Facility]:
    office = FederalOffice.objects.filter(code=data.office.strip()).first()
    if office is None:
        raise InvalidInput(f"unknown office {data.office!r} (register it with `handoff office add`)", "office")
    facility = (Facility.objects.select_related("jurisdiction__parent__parent", "city")
                .filter(code=data.facility.strip()).first())
    if facility is None:
        raise InvalidInput(
            f"unknown facility {data.facility!r} (register it with `handoff facility add`)", "facility"
        )
    if not office_covers(office, facility):  # review H1: requests only for places the office covers
        raise InvalidInput(f"office {office.code} does not cover facility {facility.code}: a request names the "
                           "office that covers the place (see `handoff office add --covers`)", "office")
    return office, facility


def _values(data: RequestInput, office: FederalOffice, facility: Facility) -> dict[str, Any]:
    s = data.subject
    return {
        "kind": data.kind,
        "form": data.form,
        "issued_at": localize(data.issued_at, facility.timezone),
        "office_id": office.pk,
        "facility_id": facility.pk,
        "booking_number": data.booking_number,
        "subject_last_name": s.last_name,
        "subject_first_name": s.first_name,
        "subject_date_of_birth": s.date_of_birth,
        "subject_sex": s.sex,
        "subject_a_number": s.a_number,
        "subject_fbi_number": s.fbi_number,
        "subject_citizenship": s.citizenship,
        "basis": list(data.basis),
        "warrant_type": data.warrant_type,
        "warrant_form": data.warrant_form,
        "judicial_probable_cause": data.judicial_probable_cause,
        "lead_time_hours": data.lead_time_hours,
        "federal_aggravated_felony_conviction": data.federal_aggravated_felony_conviction,
        "federal_outstanding_felony_warrant": data.federal_outstanding_felony_warrant,
        "federal_terrorist_screening_match": data.federal_terrorist_screening_match,
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old == new  # aware datetimes compare as instants
    return bool(old == new)


def _record(req: ImmigrationRequest, changes: dict[str, list[Any]], source: str, at: datetime) -> None:
    RecordChange.objects.create(
        model="requests.ImmigrationRequest", object_id=req.pk, changes=changes, source=source[:300], changed_at=at
    )


#: how far ahead of our clock a federal system's timestamp may be (its clock drifts; a day covers any
#: time-zone mistake) and the earliest year taken (the API's MIN_YEAR)
FUTURE_GRACE = timedelta(days=1)
EARLIEST = datetime(1880, 1, 1, tzinfo=UTC)


def _check_time(field_name: str, value: datetime, at: datetime) -> None:
    """A request's issue or withdrawal time in range (review L5: `issued_at` 2199 was stored)."""
    if value > at + FUTURE_GRACE:
        raise InvalidInput(f"{field_name} {value.isoformat()} is in the future", field_name)
    if value < EARLIEST:
        raise InvalidInput(f"{field_name} {value.isoformat()} is before {EARLIEST.year}", field_name)


def receive(data: RequestInput, *, source: str, at: datetime | None = None) -> Received:
    """Store a request (or the changed version of one already received), match it, decide it.

    Idempotent on request_id: the same payload again writes nothing and calls nothing downstream; a changed
    payload updates the row, keeps the old values in a RecordChange, re-matches if an identifying field
    changed, and re-decides."""
    at = at or clock.now()
    office, facility = _lookup(data)
    values = _values(data, office, facility)
    _check_time("issued_at", values["issued_at"], at)
    # an id is unique per (office, facility) (review M8): the same id from another office, or for another
    # facility, is another request
    existing = (ImmigrationRequest.objects.select_related("current_decision", *RELATED).defer(*DEFERRED)
                .filter(request_id=data.request_id, office=office, facility=facility).first())
    if existing is None:
        req = ImmigrationRequest.objects.create(
            request_id=data.request_id, received_at=at, status=RequestStatus.WAITING, **values
        )
        req.facility, req.office = facility, office  # cached for deciding: no second read
        trigger = f"request received ({source})"[:80]
        if rematch(req, trigger=trigger, at=at):
            return Received(req, CREATED, touched=[(req, trigger)])
        return Received(req, CREATED)
    # review M9 (re-pointing a request to another office) cannot happen: another office's filing of the same
    # id is its own request, and this one keeps its office
    changes = {
        name: [_json_safe(getattr(existing, name)), _json_safe(new)]
        for name, new in values.items()
        if not _same(getattr(existing, name), new)
    }
    if not changes:
        return Received(existing, UNCHANGED)
    for name, (_old, _new) in changes.items():
        setattr(existing, name, values[name])
    existing.save()
    _record(existing, changes, source, at)
    if existing.status == RequestStatus.WITHDRAWN:
        return Received(existing, UPDATED, changes)  # withdrawal is final; the stored facts are kept current
    trigger = ("request updated: " + ", ".join(sorted(changes)))[:80]
    touched: list[tuple[ImmigrationRequest, str]] = []
    if any(name in changes for name in IDENTITY_FIELDS):
        if rematch(existing, trigger=trigger, at=at):
            touched.append((existing, trigger))
    elif existing.booking_id is not None and existing.status == RequestStatus.MATCHED:
        decide(existing, trigger=trigger, at=at)
        touched.append((existing, trigger))
    return Received(existing, UPDATED, changes, touched)


def rematch(req: ImmigrationRequest, *, trigger: str, at: datetime) -> bool:
    """Run the matching rules and store the result; decide when the request is matched to a booking.
    A request that loses its booking loses its current decision too (the old rows stay). True when the
    request's notices must be reconciled (it was decided, or it lost a booking or decision), so nothing
    goes out about the wrong person."""
    result = matching.find_match(req)
    previous_booking = req.booking_id
    req.status = result.status
    req.booking = result.booking
    req.match_candidates = result.candidates
    req.match_details = result.details
    req.match_note = result.note[:300]
    if result.booking is None:
        had_decision = req.current_decision_id is not None
        req.current_decision = None
        req.save(update_fields=["status", "booking", "match_candidates", "match_details", "match_note",
                                "current_decision", "updated_at"])
        return had_decision or previous_booking is not None
    req.save(update_fields=["status", "booking", "match_candidates", "match_details", "match_note", "updated_at"])
    if previous_booking is not None and previous_booking != result.booking.pk and req.current_decision_id:
        req.current_decision = None  # that decision was about another booking; never compare against it
    decide(req, trigger=trigger, at=at)
    return True


def confirm_match(req: ImmigrationRequest, booking: Booking, *, by: AbstractBaseUser | None, note: str,
                  at: datetime | None = None, how: str = "confirmed",
                  trigger: str = "match confirmed") -> ImmigrationRequest:
    """A person resolves a request in review by naming its booking (one of the candidates, or any booking
    of the request's facility), or links a waiting request by hand (how="linked by hand"). Why a note is
    required: the match decides whom the law is applied to. The flow reconciles the request's notices
    afterwards."""
    at = at or clock.now()
    note = (note or "").strip()
    if not note:
        raise InvalidInput("say why this booking is the request's subject", "note")
    if req.status == RequestStatus.WITHDRAWN:
        raise Conflict(f"request {req.request_id} was withdrawn")
    if booking.facility_id != req.facility_id:
        raise InvalidInput("the booking is in another facility than the request names", "booking")
    who = getattr(by, "get_username", lambda: "")() if by is not None else ""
    changes: dict[str, list[Any]] = {"booking_id": [req.booking_id, booking.pk],
                                     "status": [req.status, str(RequestStatus.MATCHED)]}
    req.status = RequestStatus.MATCHED
    req.booking = booking
    req.match_candidates = []
    req.match_details = []
    req.match_note = f"{how} by {who or 'a user'}: {note}"[:300]
    req.save(update_fields=["status", "booking", "match_candidates", "match_details", "match_note", "updated_at"])
    _record(req, changes, f"{how} by {who}: {note}", at)
    decide(req, trigger=trigger, at=at)
    return req


def reject_candidates(req: ImmigrationRequest, *, by: AbstractBaseUser | None, reason: str,
                      at: datetime | None = None) -> bool:
    """A clerk says none of the candidates in review is the request's subject ("none of these"). The
    candidates are remembered as ruled out, so a later change to their bookings cannot put them back, and
    the request is matched again against everything else (usually: waiting). True when the request's
    notices must be reconciled. Why a reason is required: ruling out the person may let them walk out with
    no notice; the reason is kept in the record history."""
    at = at or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why none of these bookings is the request's subject", "note")
    if req.status != RequestStatus.REVIEW:
        raise Conflict(f"request {req.request_id} has no candidates to rule out ({req.status})")
    who = getattr(by, "get_username", lambda: "")() if by is not None else ""
    ruled_out = sorted({*[int(i) for i in req.match_rejected or []], *[int(i) for i in req.match_candidates or []]})
    changes: dict[str, list[Any]] = {"match_rejected": [list(req.match_rejected or []), ruled_out]}
    req.match_rejected = ruled_out
    req.save(update_fields=["match_rejected", "updated_at"])
    touched = rematch(req, trigger="candidates ruled out", at=at)
    changes["status"] = [str(RequestStatus.REVIEW), req.status]
    if req.status == RequestStatus.WAITING:
        req.match_note = f"none of these, said {who or 'a user'}: {reason}"[:300]
        req.save(update_fields=["match_note", "updated_at"])
    _record(req, changes, f"none of these, said {who}: {reason}", at)
    return touched


# --- withdrawal ------------------------------------------------------------------------------------------

def find(request_id: str, *, office: str = "", facility: str = "") -> ImmigrationRequest:
    """The one request with this id, for callers that see every request (imports, the system's commands).
    An id is unique only per office and facility (review M8): when several carry it, `office` and
    `facility` (codes) tell them apart, and without them the answer is a Conflict naming what is missing."""
    qs = (ImmigrationRequest.objects.select_related("current_decision", *RELATED).defer(*DEFERRED)
          .filter(request_id=request_id.strip()))
    if office.strip():
        qs = qs.filter(office__code=office.strip())
    if facility.strip():
        qs = qs.filter(facility__code=facility.strip())
    found = list(qs.order_by("pk")[:2])
    if not found:
        raise NotFound(f"unknown request {request_id!r}")
    if len(found) > 1:
        raise Conflict(f"several requests carry the id {request_id!r} (from different offices or for different "
                       "facilities): give the office and the facility too")
    return found[0]


def withdraw(request: str | ImmigrationRequest, withdrawn_at: datetime, *, source: str, at: datetime | None = None,
             office: str = "", facility: str = "") -> Received:
    """Outcome `created` when the withdrawal is new; withdrawing the same request at the same instant again
    is `unchanged`; a request is withdrawn once, so a different withdrawal time later only corrects the
    recorded time (`updated`). `request` is the request itself (found by a scoped reader) or its id (see
    find(), with `office` and `facility`)."""
    at = at or clock.now()
    if isinstance(request, ImmigrationRequest):
        req = (ImmigrationRequest.objects.select_related("current_decision", *RELATED).defer(*DEFERRED)
               .get(pk=request.pk))
    else:
        req = find(request, office=office, facility=facility)
    withdrawn_at = localize(withdrawn_at, req.facility.timezone)
    _check_time("withdrawn_at", withdrawn_at, at)
    if withdrawn_at < req.issued_at:  # review L5: a withdrawal in 1990 of a request issued in 2026
        raise InvalidInput(f"withdrawn_at {withdrawn_at.isoformat()} is before the request was issued "
                           f"({req.issued_at.isoformat()})", "withdrawn_at")
    if req.status == RequestStatus.WITHDRAWN:
        if req.withdrawn_at is not None and req.withdrawn_at == withdrawn_at:
            return Received(req, UNCHANGED)
        changes = {"withdrawn_at": [_json_safe(req.withdrawn_at), withdrawn_at.isoformat()]}
        req.withdrawn_at = withdrawn_at
        req.save(update_fields=["withdrawn_at", "updated_at"])
        _record(req, changes, source, at)
        return Received(req, UPDATED, changes)
    changes = {"status": [req.status, RequestStatus.WITHDRAWN], "withdrawn_at": [None, withdrawn_at.isoformat()]}
    req.status = RequestStatus.WITHDRAWN
    req.withdrawn_at = withdrawn_at
    req.save(update_fields=["status", "withdrawn_at", "updated_at"])
    _record(req, changes, source, at)
    touched = []
    if req.booking_id is not None:
        decide(req, trigger="request withdrawn", at=at)
        touched.append((req, "request withdrawn"))
    return Received(req, CREATED, changes, touched)  # a new withdrawal was recorded


# --- deciding --------------------------------------------------------------------------------------------

def evaluate(req: ImmigrationRequest, at: datetime) -> tuple[Facts, EngineDecision]:
    """Ask the engine, without storing anything. `at` is passed in the facility's time zone so the
    evaluation date (lookback windows, versions in force) is the facility's calendar date."""
    booking = req.booking
    facility = req.facility
    chain = policy_chain(facility)
    if not chain:
        raise Conflict(
            f"no policy governs facility {facility.code} ({facility.jurisdiction.fips}); run `handoff setup`"
        )
    facts = build_facts(req, booking)
    local = at.astimezone(ZoneInfo(facility.timezone))
    return facts, registry().evaluate(facts, local, chain)


def _engine_fields(result: EngineDecision) -> dict[str, Any]:
    return {
        "policies": list(result.policies),
        **{name: getattr(result, name) for name in OUTCOME_FIELDS},
        "reasons": [r.to_dict() for r in result.reasons],
    }


def _row_fields(row: Decision) -> dict[str, Any]:
    return {
        "policies": list(row.policies),
        **{name: getattr(row, name) for name in OUTCOME_FIELDS},
        "reasons": list(row.reasons),
    }


# Engine reasons whose wording names the evaluation date ("no version in force on 2025-06-02"): the date
# alone must not make a new Decision row every day.
_DATED_RULES = frozenset({"not-in-force", "no-policy"})


def _comparable(fields_: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields_)
    out["reasons"] = [
        {k: v for k, v in r.items() if k != "detail"} if r.get("rule") in _DATED_RULES else r
        for r in fields_["reasons"]
    ]
    return out


def answer_digest(fields_: dict[str, Any]) -> str:
    """A stable fingerprint of an answer of the law (see Decision.answer_digest)."""
    text = json.dumps(_comparable(fields_), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def decide(req: ImmigrationRequest, *, trigger: str, at: datetime | None = None) -> Decision:
    """Evaluate the law for `req` now and store the answer if it changed (see the module docstring). The
    request must be matched to a booking: the law is applied to a person in custody, never to a guess.
    The caller (the flow) reconciles the request's notices."""
    at = at or clock.now()
    if req.booking_id is None:
        raise Conflict(f"request {req.request_id} is not matched to a booking ({req.status}); nothing to decide")
    facts, result = evaluate(req, at)
    wanted = _engine_fields(result)
    digest = answer_digest(wanted)
    current = req.current_decision
    row: Decision | None = None
    if current is not None:
        if current.answer_digest:
            same = current.answer_digest == digest
        else:  # a row written before digests: compare the stored answer itself
            base = current.overrides if current.overrides_id is not None else current
            same = base is not None and _comparable(_row_fields(base)) == _comparable(wanted)
        if same:
            row = current  # same answer; an override on it still stands
    if row is None:
        row = Decision.objects.create(request=req, evaluated_at=at, trigger=trigger[:80], facts=facts_dict(facts),
                                      answer_digest=digest, **wanted)
        req.current_decision = row
        req.save(update_fields=["current_decision", "updated_at"])
    return row


# What deciding reads besides the request: fetched in the same query (the facility's chain of places
# walks jurisdiction -> state -> nation).
RELATED = ("facility__jurisdiction__parent__parent", "facility__city", "booking__person")
# The current decision is compared by its digest; its stored reasons and facts need not be read.
DEFERRED = ("current_decision__reasons", "current_decision__facts", "current_decision__policies")


# --- overrides -------------------------------------------------------------------------------------------

def override_decision(
    req: ImmigrationRequest,
    user: AbstractBaseUser,
    reason: str,
    *,
    notify: bool | None = None,
    hold: str | None = None,
    transfer: str | None = None,
    individual_notice: bool | None = None,
    attorney_notice: bool | None = None,
    lead_time_hours: int | None = None,
    at: datetime | None = None,
) -> Decision:
    """A supervisor decides what the law leaves to a person (a decision with review=true). The override is
    a new Decision row pointing at the one it overrides, with the reason and the supervisor beside it; the
    engine's reasons are kept unchanged so counsel sees both what the rules said and what the person chose.
    Who may override is checked by the caller (access rules)."""
    at = at or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("an override needs a reason", "reason")
    if user is None:
        raise InvalidInput("an override needs the supervisor who makes it", "user")
    current = req.current_decision
    if current is None:
        raise Conflict(f"request {req.request_id} has no decision to override")
    if not current.review:
        raise Conflict(f"the decision for request {req.request_id} does not need review; the law decides it")
    if hold is not None and hold not in HOLD_VALUES:
        raise InvalidInput(f"hold {hold!r} is not one of {', '.join(HOLD_VALUES)}", "hold")
    if transfer is not None and transfer not in TRANSFER_VALUES:
        raise InvalidInput(f"transfer {transfer!r} is not one of {', '.join(TRANSFER_VALUES)}", "transfer")
    if lead_time_hours is not None and lead_time_hours <= 0:
        raise InvalidInput("lead_time_hours must be positive", "lead_time_hours")
    chosen = {"notify": notify, "hold": hold, "transfer": transfer, "individual_notice": individual_notice,
              "attorney_notice": attorney_notice, "lead_time_hours": lead_time_hours}
    fields_ = _row_fields(current)
    for name, value in chosen.items():
        if value is not None:
            fields_[name] = value
    fields_["review"] = False
    row = Decision.objects.create(
        request=req, evaluated_at=at, trigger="override", overrides=current, override_reason=reason,
        override_by=user, facts=current.facts, answer_digest=current.answer_digest or answer_digest(_row_fields(current)),
        **fields_,  # type: ignore[misc]
    )
    req.current_decision = row
    req.save(update_fields=["current_decision", "updated_at"])
    return row


# --- a jail export's own record of ICE holds -------------------------------------------------------------

#: the office every historical request names: a jail export says a hold was placed, not which office placed
#: it, and naming the office that covers the county today would invent a fact
HISTORICAL_OFFICE = "JAIL-RECORD"
HISTORICAL_OFFICE_NAME = "Office not recorded (ICE hold from the jail's own records)"


@dataclass(frozen=True, slots=True)
class HeldBooking:
    """A booking a jail export marks with an ICE hold."""

    booking_id: int
    facility_id: int
    facility_code: str
    booking_number: str
    booked_at: datetime


def historical_request_id(facility_code: str, booking_number: str) -> str:
    rid = f"HIST-{facility_code}-{booking_number}"
    if len(rid) <= 80:
        return rid
    return f"HIST-{facility_code}-" + hashlib.sha1(booking_number.encode()).hexdigest()[:24]


def historical_requests(held: list[HeldBooking]) -> int:
    """Make a historical request for every held booking that has no request yet; return how many were made.

    Why: the jail's flag is the only trace of requests that came before Handoff (or on paper), and reports
    and pages count requests. A historical request is matched to its booking but never decided and never
    gives rise to a notice (the flow leaves `historical` requests alone). A booking that already has a request,
    historical or real, gets none, so re-importing the same export changes nothing."""
    if not held:
        return 0
    # a hold an earlier import took back (see `withdraw_historical_requests`) and the export states again
    ImmigrationRequest.objects.filter(booking_id__in=[h.booking_id for h in held], historical=True,
                                      status=RequestStatus.WITHDRAWN).update(
        status=RequestStatus.MATCHED, withdrawn_at=None, match_note="from the jail's own record of an ICE hold",
        updated_at=clock.now())
    have = set(ImmigrationRequest.objects.filter(booking_id__in=[h.booking_id for h in held])
                                   .values_list("booking_id", flat=True))
    new = {h.booking_id: h for h in held if h.booking_id not in have}
    if not new:
        return 0
    office, _ = FederalOffice.objects.get_or_create(code=HISTORICAL_OFFICE, defaults={"name": HISTORICAL_OFFICE_NAME})
    ImmigrationRequest.objects.bulk_create([
        ImmigrationRequest(
            request_id=historical_request_id(h.facility_code, h.booking_number), kind="detainer",
            issued_at=h.booked_at, received_at=h.booked_at, office=office, facility_id=h.facility_id,
            booking_number=h.booking_number, booking_id=h.booking_id, status=RequestStatus.MATCHED,
            historical=True, match_note="from the jail's own record of an ICE hold")
        for h in new.values()
    ], ignore_conflicts=True)
    return len(new)


def withdraw_historical_requests(booking_ids: list[int], at: datetime) -> int:
    """A later import of the export says these bookings had no ICE hold: their historical requests stand for
    nothing any more. They are withdrawn (kept, with when and why, never deleted) and no longer counted
    (handoff.evidence.counting). Returns how many were withdrawn; the same import again withdraws nothing."""
    if not booking_ids:
        return 0
    return ImmigrationRequest.objects.filter(
        booking_id__in=booking_ids, historical=True).exclude(status=RequestStatus.WITHDRAWN).update(
        status=RequestStatus.WITHDRAWN, withdrawn_at=at,
        match_note="withdrawn: a later import of the jail's export no longer records an ICE hold", updated_at=at)

