"""What the law owes the person in custody, recorded by the jail: the attorney or designee who gets the TRUTH
Act copies (Cal. Gov. Code 7283.1(b)), and ICE interview requests with the person's written consent
(7283.1(a)). Jail staff of the booking's facility only; every other role, the
federal side first of all, is answered 404 (access.permissions: `conceal`), so nothing here confirms that a
booking, a contact or a consent exists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Router, Status
from pydantic import StringConstraints

from handoff.access import scoping
from handoff.access.errors import Forbidden
from handoff.api.common import actor_of, audited, source
from handoff.api.schemas import ERRORS, ERRORS_409, BookingNumber, Code, DateTimeIn, Out, StrictIn
from handoff.casework import flow
from handoff.core.errors import NotFound
from handoff.custody import contacts, interviews
from handoff.custody.models import Booking

router = Router(tags=["law"])

class AttorneyIn(StrictIn):
    """The person's attorney or the one person they designate; an e-mail or a postal address is required."""

    relation: Literal["attorney", "designee"] = "attorney"
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    address: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = ""
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    bar_number: Annotated[str, StringConstraints(max_length=20, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""


class AttorneyContactOut(Out):
    relation: str
    name: str
    email: str
    address: str
    phone: str
    bar_number: str
    recorded_at: Any
    source: str


class AttorneyOut(Out):
    facility: str
    booking_number: str
    contact: AttorneyContactOut | None
    changed_fields: list[str] = []


def booking_of(actor: Any, facility: str, booking_number: str) -> Booking:
    """The booking at a facility the caller records for; 404 for anything else (whether or not it exists)."""
    try:
        place = scoping.writable_facility(actor, facility)
    except (Forbidden, NotFound):
        raise NotFound(f"no booking {facility}/{booking_number}") from None
    booking = Booking.objects.filter(facility=place, booking_number=booking_number).first()
    if booking is None:
        raise NotFound(f"no booking {facility}/{booking_number}")
    return booking


def _out(booking: Booking, contact: Any, changed: list[str] | None = None) -> dict[str, Any]:
    return {"facility": booking.facility.code, "booking_number": booking.booking_number,
            "contact": contacts.as_dict(contact), "changed_fields": changed or []}


@router.get("/bookings/{facility}/{booking_number}/attorney", response={200: AttorneyOut, **ERRORS},
            url_name="api_attorney")
def get_attorney(request: HttpRequest, facility: Annotated[Code, Path(example="LA-MCJ")],
                 booking_number: Annotated[BookingNumber, Path(example="LA-MCJ-R001")]) -> Status[dict[str, Any]]:
    """The attorney or designee recorded for a booking (`contact` null when none is)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        booking = booking_of(actor, facility, booking_number)
        return _out(booking, contacts.contact_for(booking)), [booking.pk], {"facility": facility}

    return Status(200, audited(actor, "attorney.read", "booking", run, target=[booking_number]))


@router.post("/bookings/{facility}/{booking_number}/attorney", response={200: AttorneyOut, **ERRORS},
             url_name="api_attorney_set")
def post_attorney(request: HttpRequest, facility: Annotated[Code, Path(example="LA-MCJ")],
                  booking_number: Annotated[BookingNumber, Path(example="LA-MCJ-R001")],
                  body: AttorneyIn) -> Status[dict[str, Any]]:
    """Record (or replace) the attorney or designee. Where a release-date notice is owed to them and an
    e-mail address is given, the copy is e-mailed (`email.attorney`) and tracked like any notice."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        booking = booking_of(actor, facility, booking_number)
        data = contacts.validate(body.model_dump(mode="json", exclude_none=True))
        contact, changes = flow.set_attorney_contact(booking, data, source=source(actor))
        return (_out(booking, contact, sorted(changes)), [booking.pk],
                {"facility": facility, "relation": contact.relation, "fields": sorted(changes)})

    return Status(200, audited(actor, "attorney.set", "booking", run, target=[booking_number]))


Text = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class InterviewIn(StrictIn):
    """An ICE request to interview the person and their answer. Where the place's law requires the written
    consent form (Cal. Gov. Code 7283.1(a)), a consented interview needs the signed form, its language, when
    it was signed (before the interview) and the person's choice about their attorney."""

    requested_at: DateTimeIn
    answer: Literal["consented", "declined"]
    agency: Text = ""
    form_language: Annotated[str, StringConstraints(max_length=10, pattern=r"^[A-Za-z-]*$")] = ""
    form_signed: bool = False
    signed_at: DateTimeIn | None = None
    attorney: Literal["present", "declined", ""] = ""
    interview_at: DateTimeIn | None = None


class InterviewRuleOut(Out):
    rule: str
    cite: str
    uncertain: bool


class InterviewRecordOut(Out):
    requested_at: Any
    agency: str
    answer: str
    form_language: str
    form_signed: bool
    signed_at: Any
    attorney: str
    interview_at: Any
    rule: InterviewRuleOut
    recorded_at: Any
    source: str


class InterviewsOut(Out):
    facility: str
    booking_number: str
    rule_now: dict[str, Any]
    interviews: list[InterviewRecordOut]


def _interviews(booking: Booking) -> dict[str, Any]:
    return {"facility": booking.facility.code, "booking_number": booking.booking_number,
            "rule_now": interviews.rule_for(booking).to_dict(),
            "interviews": [interviews.as_dict(r) for r in booking.interviews.order_by("requested_at", "pk")]}


@router.get("/bookings/{facility}/{booking_number}/interviews", response={200: InterviewsOut, **ERRORS},
            url_name="api_interviews")
def get_interviews(request: HttpRequest, facility: Annotated[Code, Path(example="LA-MCJ")],
                   booking_number: Annotated[BookingNumber, Path(example="LA-MCJ-R001")]) -> Status[dict[str, Any]]:
    """The interview requests recorded for a booking, and the rule the place's law sets today."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        booking = booking_of(actor, facility, booking_number)
        return _interviews(booking), [booking.pk], {"facility": facility}

    return Status(200, audited(actor, "interview.read", "booking", run, target=[booking_number]))


@router.post("/bookings/{facility}/{booking_number}/interviews", response={201: InterviewsOut, **ERRORS_409},
             url_name="api_interviews_record")
def post_interview(request: HttpRequest, facility: Annotated[Code, Path(example="LA-MCJ")],
                   booking_number: Annotated[BookingNumber, Path(example="LA-MCJ-R001")],
                   body: InterviewIn) -> Status[dict[str, Any]]:
    """Record an interview request and the person's answer. 422 names what the law requires and is missing
    (e.g. the signed consent form); 409 when this request is already recorded."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        booking = booking_of(actor, facility, booking_number)
        data = interviews.validate(body.model_dump())
        row = interviews.record(booking, data, source=source(actor))
        return _interviews(booking), [booking.pk, row.pk], {"facility": facility, "answer": row.answer,
                                                             "rule": row.rule, "uncertain": row.rule_uncertain}

    return Status(201, audited(actor, "interview.record", "booking", run, target=[booking_number]))
