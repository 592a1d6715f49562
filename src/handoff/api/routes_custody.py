"""What jails send: bookings, charges, criminal history, releases."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from handoff.access import scoping
from handoff.access.errors import Forbidden
from handoff.api import present
from handoff.api.common import actor_of, audited, source
from handoff.api.schemas import (
    ERRORS,
    ERRORS_409,
    BookingIn,
    BookingNumber,
    BookingWrite,
    ChargeIn,
    ChargeWrite,
    Code,
    ConvictionIn,
    ConvictionWrite,
    ReleaseIn,
    SearchOut,
    SearchText,
)
from handoff.casework import flow
from handoff.custody import search as custody_search

router = Router(tags=["custody"])


def _status(outcome: str) -> int:
    return 201 if outcome == "created" else 200


@router.post("/bookings", response={200: BookingWrite, 201: BookingWrite, **ERRORS_409}, url_name="api_bookings")
def post_booking(request: HttpRequest, body: BookingIn) -> Status[dict[str, Any]]:
    """Create or update one booking (the same rules as a row of `handoff ingest bookings`)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        facility = scoping.writable_facility(actor, body.facility)
        result = flow.upsert_booking(body.model_dump(mode="json", exclude_none=True), source=source(actor))
        out = {"outcome": result.outcome, "booking": present.booking(actor, result.obj, facility),
               "changed_fields": sorted(result.changes)}
        return out, [result.obj.pk], {"outcome": result.outcome, "fields": sorted(result.changes)}

    out = audited(actor, "booking.upsert", "booking", run, target=[body.booking_number])
    return Status(_status(out["outcome"]), out)


@router.post("/charges", response={200: ChargeWrite, 201: ChargeWrite, **ERRORS_409}, url_name="api_charges")
def post_charge(request: HttpRequest, body: ChargeIn) -> Status[dict[str, Any]]:
    """Create or update one charge of a booking."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        facility = scoping.writable_facility(actor, body.facility)
        result = flow.upsert_charge(body.model_dump(mode="json", exclude_none=True), source=source(actor))
        out = {"outcome": result.outcome, "facility": scoping.facility_code(actor, facility),
               "booking_number": body.booking_number, "seq": body.seq, "changed_fields": sorted(result.changes)}
        return out, [result.obj.pk], {"outcome": result.outcome, "booking": result.obj.booking_id}

    out = audited(actor, "charge.upsert", "charge", run, target=[body.booking_number])
    return Status(_status(out["outcome"]), out)


@router.post("/convictions", response={200: ConvictionWrite, 201: ConvictionWrite, **ERRORS_409},
             url_name="api_convictions")
def post_conviction(request: HttpRequest, body: ConvictionIn) -> Status[dict[str, Any]]:
    """Add a conviction to a person's history: a person of the caller's own county only (security review H4)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        if not actor.can_write:
            raise Forbidden("your role cannot change records")
        data = body.model_dump(mode="json", exclude_none=True)
        facility = scoping.conviction_facility(actor, body.facility)
        if facility is not None:
            data["facility"] = facility.code
        result = flow.add_conviction(data, source=source(actor))
        person_id = result.obj.person_id
        if not scoping.persons_for(actor).filter(pk=person_id).exists():
            raise Forbidden("that person is not of your county")  # rolls the conviction back
        out = {"outcome": result.outcome, "conviction_id": result.obj.pk, "changed_fields": sorted(result.changes)}
        return out, [result.obj.pk], {"outcome": result.outcome, "person": person_id}

    out = audited(actor, "conviction.upsert", "conviction", run)
    return Status(_status(out["outcome"]), out)


@router.post("/bookings/{facility}/{booking_number}/release", response={200: BookingWrite, **ERRORS_409},
             url_name="api_release")
def post_release(
    request: HttpRequest,
    facility: Annotated[Code, Path(example="LA-MCJ")],
    booking_number: Annotated[BookingNumber, Path(example="LA-MCJ-R001")],
    body: ReleaseIn,
) -> Status[dict[str, Any]]:
    """Report a release as it happens (a time without an offset is the facility's local time)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        place = scoping.writable_facility(actor, facility)
        result = flow.record_release(
            facility, booking_number, body.model_dump(mode="json")["released_at"], body.release_reason,
            body.release_type or "", source=source(actor),
        )
        out = {"outcome": result.outcome, "booking": present.booking(actor, result.obj, place),
               "changed_fields": sorted(result.changes)}
        return out, [result.obj.pk], {"outcome": result.outcome, "fields": sorted(result.changes)}

    return Status(200, audited(actor, "booking.release", "booking", run, target=[booking_number]))


@router.get("/people/search", response={200: SearchOut, **ERRORS}, url_name="api_people_search")
def get_people_search(request: HttpRequest, q: Annotated[SearchText, Query(example="garcia jose 1985-03-04")]
                      ) -> Status[dict[str, Any]]:
    """People and bookings of the caller's facilities by name, date of birth (YYYY-MM-DD or MM/DD/YYYY),
    booking number, A-number or FBI number; in custody first. A date also finds the dates one day apart or
    with day and month swapped (found_by says so). Audited by the kinds of search and the bookings shown."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        found = custody_search.search(scoping.bookings_for(actor), q)
        results = [{
            "facility": h.booking.facility.code, "booking_number": h.booking.booking_number,
            "last_name": h.booking.person.last_name, "first_name": h.booking.person.first_name,
            "middle_name": h.booking.person.middle_name, "date_of_birth": h.booking.person.date_of_birth,
            "a_number": h.booking.person.a_number, "fbi_number": h.booking.person.fbi_number,
            "booked_at": h.booking.booked_at, "released_at": h.booking.released_at,
            "in_custody": h.booking.released_at is None, "found_by": h.why,
        } for h in found.hits]
        return ({"total": found.total, "shown": len(results), "results": results},
                [h.booking.pk for h in found.hits], {"kinds": found.kinds, "results": found.total})

    return Status(200, audited(actor, "person.search", "booking", run))
