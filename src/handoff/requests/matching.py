"""Which booking a request is about.

Why so cautious: a request matched to the wrong person makes the jail tell ICE about, or hold, someone the
request never named. So the rules only ever accept one unambiguous candidate, in order of strength:

1. facility + booking number, when the request gives one, the person's identifiers do not contradict it and
   at least one of them agrees (a booking number alone goes to review: security review C1);
2. A-number or FBI number among the facility's *current* bookings (not yet released);
3. name + date of birth among current bookings: never enough on its own; it puts the request to `review`
   with the candidates listed so a person decides. Names and dates are compared the way a clerk would
   (`custody.names`): case, accents, punctuation, compound family names, a given name that is the start of
   the other, names the wrong way round, a date of birth a day off or with day and month swapped. Every such
   near miss goes to review with a score and its differences (`match_details`), never to a match.

Two candidates under any rule -> `review`. No candidate -> `waiting`, and the request is matched when a
booking that fits arrives (`services.on_booking_changed`). A booking a clerk ruled out ("none of these",
`match_rejected`) is never put to review for that request again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from handoff.custody import names
from handoff.custody.models import Booking
from handoff.requests.inputs import a_number_variants
from handoff.requests.models import ImmigrationRequest, RequestStatus


@dataclass
class MatchResult:
    status: str
    booking: Booking | None = None
    candidates: list[int] = field(default_factory=list)
    note: str = ""
    #: per candidate: {"booking_id", "score", "differences"} (stored as the request's match_details)
    details: list[dict[str, Any]] = field(default_factory=list)


def _conflicts(req: ImmigrationRequest, booking: Booking) -> list[str]:
    """Identifiers on the request that contradict the booked person's (both present and different)."""
    person = booking.person
    problems: list[str] = []
    if req.subject_a_number and person.a_number and person.a_number not in a_number_variants(req.subject_a_number):
        problems.append("A-number")
    if req.subject_fbi_number and person.fbi_number and person.fbi_number.upper() != req.subject_fbi_number.upper():
        problems.append("FBI number")
    if req.subject_date_of_birth and person.date_of_birth and person.date_of_birth != req.subject_date_of_birth:
        problems.append("date of birth")
    return problems


def _corroborated(req: ImmigrationRequest, booking: Booking) -> bool:
    """A booking number alone proves nothing about who the request is about: a federal office could pull any
    booking by guessing numbers (security review C1). At least one of the request's own identifiers must agree
    with the booked person: A-number, FBI number, or surname together with date of birth or first name."""
    person = booking.person
    if req.subject_a_number and person.a_number and person.a_number in a_number_variants(req.subject_a_number):
        return True
    if req.subject_fbi_number and person.fbi_number and person.fbi_number.upper() == req.subject_fbi_number.upper():
        return True
    same_last = bool(req.subject_last_name) and (
        req.subject_last_name.strip().casefold() == person.last_name.strip().casefold())
    if not same_last:
        return False
    if req.subject_date_of_birth and person.date_of_birth == req.subject_date_of_birth:
        return True
    return bool(req.subject_first_name) and (
        req.subject_first_name.strip().casefold() == person.first_name.strip().casefold())


def _identifier_q(req: ImmigrationRequest) -> Q | None:
    q: Q | None = None
    if req.subject_a_number:
        q = Q(person__a_number__in=a_number_variants(req.subject_a_number))
    if req.subject_fbi_number:
        fbi = Q(person__fbi_number__iexact=req.subject_fbi_number)
        q = fbi if q is None else q | fbi
    return q


def detail(req: ImmigrationRequest, booking: Booking) -> dict[str, Any]:
    """Score and differences of one candidate, as the review page shows them beside each other."""
    person = booking.person
    cmp = names.compare(req.subject_last_name, req.subject_first_name, req.subject_date_of_birth,
                        person.last_name, person.first_name, person.date_of_birth)
    differences = list(cmp.differences)
    for label, ours, theirs in (("A-number", req.subject_a_number, person.a_number),
                                ("FBI number", req.subject_fbi_number, person.fbi_number)):
        if ours and theirs and ours.strip().upper() != theirs.strip().upper() and not (
                label == "A-number" and theirs in a_number_variants(ours)):
            differences.append(f"{label}: differs")
    return {"booking_id": booking.pk, "score": cmp.score if cmp.fits else 0, "differences": differences,
            "name_fits": cmp.fits}


def name_candidates(req: ImmigrationRequest, current: QuerySet[Booking]) -> list[Booking]:
    """Current bookings whose person fits the request's subject by name and date of birth, exactly or as a
    near miss (`custody.names.compare`). The query narrows by date of birth (the exact date, a day either
    side, day and month swapped); names are compared here, where accents and spacing can be undone."""
    if not (req.subject_last_name and req.subject_first_name and req.subject_date_of_birth):
        return []
    found = current.filter(person__date_of_birth__in=names.dob_variants(req.subject_date_of_birth))
    return [b for b in found if names.compare(
        req.subject_last_name, req.subject_first_name, req.subject_date_of_birth,
        b.person.last_name, b.person.first_name, b.person.date_of_birth).fits]


def _ids(bookings: list[Booking]) -> list[int]:
    return sorted(b.pk for b in bookings)


def find_match(req: ImmigrationRequest) -> MatchResult:
    """Apply the rules above to the database as it is now. Pure read; the caller stores the result.
    A result for review lists each candidate's score and differences, best first, and leaves out the
    bookings a clerk ruled out for this request."""
    result = _find(req)
    if result.status != RequestStatus.REVIEW:
        return result
    ruled_out = {int(i) for i in (req.match_rejected or []) if str(i).isdigit()}
    kept = [pk for pk in result.candidates if pk not in ruled_out]
    if not kept:
        return MatchResult(RequestStatus.WAITING,
                           note="no current booking fits the subject that a clerk has not ruled out")
    by_pk = {b.pk: b for b in Booking.objects.filter(pk__in=kept).select_related("person")}
    details = sorted((detail(req, by_pk[pk]) for pk in kept if pk in by_pk),
                     key=lambda d: (-d["score"], d["booking_id"]))
    return MatchResult(RequestStatus.REVIEW, candidates=kept, note=result.note, details=details)


def _find(req: ImmigrationRequest) -> MatchResult:
    current = Booking.objects.filter(facility_id=req.facility_id, released_at__isnull=True).select_related("person")
    ident_q = _identifier_q(req)
    if req.booking_number:
        booking = (
            Booking.objects.filter(facility_id=req.facility_id, booking_number=req.booking_number)
            .select_related("person").first()
        )
        if booking is not None:
            conflicts = _conflicts(req, booking)
            if conflicts:
                return MatchResult(
                    RequestStatus.REVIEW, candidates=[booking.pk],
                    note=f"booking {req.booking_number} found, but its {', '.join(conflicts)} "
                         "differs from the request's",
                )
            if not _corroborated(req, booking):
                return MatchResult(
                    RequestStatus.REVIEW, candidates=[booking.pk],
                    note=f"booking {req.booking_number} found, but none of the request's identifiers (A-number, "
                         "FBI number, name with date of birth) agrees with the booked person: a person must "
                         "confirm before the law is applied or anything is shown to the office",
                )
            return MatchResult(RequestStatus.MATCHED, booking=booking,
                               note=f"matched by booking number {req.booking_number}")
        # The booking number is not (yet) known here. Anyone else who fits is only a candidate.
        found: list[Booking] = []
        if ident_q is not None:
            found = list(current.filter(ident_q))
        if not found:
            found = name_candidates(req, current)
        if found:
            return MatchResult(
                RequestStatus.REVIEW, candidates=_ids(found),
                note=f"booking {req.booking_number} not found; {len(found)} current booking(s) fit the subject",
            )
        return MatchResult(RequestStatus.WAITING, note=f"booking {req.booking_number} not yet received")
    if ident_q is not None:
        found = list(current.filter(ident_q))
        if len(found) == 1:
            booking = found[0]
            conflicts = _conflicts(req, booking)
            if conflicts:
                return MatchResult(
                    RequestStatus.REVIEW, candidates=[booking.pk],
                    note=f"one current booking fits by identifier, but its {', '.join(conflicts)} differs",
                )
            how = []
            if req.subject_a_number and booking.person.a_number in a_number_variants(req.subject_a_number):
                how.append("A-number")
            if req.subject_fbi_number and booking.person.fbi_number.upper() == req.subject_fbi_number.upper():
                how.append("FBI number")
            return MatchResult(RequestStatus.MATCHED, booking=booking,
                               note=f"matched by {' and '.join(how)} among current bookings")
        if len(found) > 1:
            return MatchResult(
                RequestStatus.REVIEW, candidates=_ids(found),
                note=f"{len(found)} current bookings share the request's A-number or FBI number",
            )
    found = name_candidates(req, current)
    if found:
        near = sum(1 for b in found if not names.compare(
            req.subject_last_name, req.subject_first_name, req.subject_date_of_birth,
            b.person.last_name, b.person.first_name, b.person.date_of_birth).exact)
        fit = (f"{len(found)} current booking(s) fit by name and date of birth only"
               + (f", {near} of them a near miss (spelling, compound name or date)" if near else ""))
        return MatchResult(RequestStatus.REVIEW, candidates=_ids(found), note=f"{fit}; a person must confirm")
    return MatchResult(RequestStatus.WAITING, note="no current booking fits the subject yet")


def could_fit(req: ImmigrationRequest, booking: Booking) -> bool:
    """Cheap pre-check for a waiting request when one booking arrives or changes."""
    if req.facility_id != booking.facility_id:
        return False
    if req.booking_number and req.booking_number == booking.booking_number:
        return True
    person = booking.person
    if req.subject_a_number and person.a_number and person.a_number in a_number_variants(req.subject_a_number):
        return True
    if req.subject_fbi_number and person.fbi_number and person.fbi_number.upper() == req.subject_fbi_number.upper():
        return True
    return names.compare(req.subject_last_name, req.subject_first_name, req.subject_date_of_birth,
                         person.last_name, person.first_name, person.date_of_birth).fits
