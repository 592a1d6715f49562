"""The bridge from the database to the pure policy engine: one request -> `policy.facts.Facts`.

Why here and not in the engine: the engine must stay free of Django so the law can be tested as plain
functions; this module is the only place that knows which columns feed which fact.

What counts as a conviction: every `custody.Conviction` row of the person (criminal history from elsewhere)
plus every charge of any of the person's bookings that ended in a conviction with a disposition date (a
conviction is a conviction, wherever it was recorded). A convicted charge already present as a history row
with the same statute and date is not counted twice.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Q

from handoff.custody.models import Booking, Charge, Conviction, Disposition
from handoff.policy import facts as pf
from handoff.requests.models import ImmigrationRequest, RequestStatus


def _norm_statute(statute: str) -> str:
    return " ".join(statute.upper().replace(".", " ").split())


def build_facts(req: ImmigrationRequest, booking: Booking | None = None) -> pf.Facts:
    """Facts for `req` as the database holds them now. `booking` may be passed pre-fetched (with person)."""
    booking = booking if booking is not None else req.booking
    request = pf.Request(
        kind=req.kind,
        form=req.form,
        basis=tuple(req.basis or ()),
        warrant=pf.Warrant(type=req.warrant_type or "none", form=req.warrant_form),
        lead_time_hours=int(req.lead_time_hours),
        withdrawn=req.status == RequestStatus.WITHDRAWN or req.withdrawn_at is not None,
        judicial_probable_cause=req.judicial_probable_cause,
    )
    federal = pf.Federal(
        aggravated_felony_conviction=req.federal_aggravated_felony_conviction,
        outstanding_federal_felony_warrant=req.federal_outstanding_felony_warrant,
        terrorist_screening_match=req.federal_terrorist_screening_match,
    )
    if booking is None:
        return pf.Facts(request=request, federal=federal, request_id=req.request_id)
    person = booking.person
    # One query for this booking's charges and every convicted charge of the person's bookings.
    rows = list(
        Charge.objects.filter(
            Q(booking_id=booking.pk, offence=True)  # holds and violations are not charges the law reads
            | Q(booking__person_id=person.pk, disposition=Disposition.CONVICTED, disposition_date__isnull=False)
        ).order_by("booking_id", "seq")
    )
    charges = tuple(
        pf.Charge(
            statute=c.statute,
            level=c.level or "",
            wobbler=c.wobbler,
            disposition=c.disposition,
            probable_cause_found=c.probable_cause_found,
            categories=tuple(c.categories or ()),
        )
        for c in rows if c.booking_id == booking.pk
    )
    convictions: list[pf.Conviction] = []
    seen: set[tuple[str, date]] = set()
    for cv in Conviction.objects.filter(person_id=person.pk).order_by("convicted_on", "pk"):
        seen.add((_norm_statute(cv.statute), cv.convicted_on))
        convictions.append(
            pf.Conviction(
                statute=cv.statute,
                convicted_on=cv.convicted_on,
                level=cv.level or "",
                wobbler=cv.wobbler,
                state=(cv.state or "").upper(),
                categories=tuple(cv.categories or ()),
                state_prison=cv.state_prison,
                prop47_reduced=cv.prop47_reduced,
                custody_days_since=int(cv.custody_days_since or 0),
                adjudication=cv.adjudication or "",
            )
        )
    state = req.facility.jurisdiction.postal  # the booking is in the request's facility
    convicted_charges = sorted(
        (c for c in rows if c.disposition == Disposition.CONVICTED and c.disposition_date is not None),
        key=lambda c: (c.disposition_date, c.pk),
    )
    for ch in convicted_charges:
        assert ch.disposition_date is not None
        key = (_norm_statute(ch.statute), ch.disposition_date)
        if key in seen:
            continue
        seen.add(key)
        convictions.append(
            pf.Conviction(
                statute=ch.statute,
                convicted_on=ch.disposition_date,
                level=ch.level or "",
                wobbler=ch.wobbler,
                state=state,
                categories=tuple(ch.categories or ()),
            )
        )
    return pf.Facts(
        request=request,
        booking=pf.Booking(release_type=booking.release_type or "", released=booking.released_at is not None,
                           arrested_on=_local_day(booking.arrested_at, req.facility.timezone)),
        charges=charges,
        convictions=tuple(convictions),
        registrant=pf.Registrant(sex_offender=person.registrant_sex_offender, arson=person.registrant_arson),
        federal=federal,
        person=pf.Person(lawful_status_proven=person.lawful_status_proven),
        request_id=req.request_id,
    )


def _local_day(at: datetime | None, zone: str) -> date | None:
    """The calendar date of `at` where the facility is (an arrest at 23:30 local is that day's arrest)."""
    return None if at is None else at.astimezone(ZoneInfo(zone)).date()


def facts_dict(facts: pf.Facts) -> dict[str, object]:
    """The facts in the scenario/INTERFACES.md shape: shown by `decision show` so counsel sees the inputs."""
    return {
        "request": {
            "kind": facts.request.kind, "form": facts.request.form, "basis": list(facts.request.basis),
            "warrant": {"type": facts.request.warrant.type, "form": facts.request.warrant.form},
            "lead_time_hours": facts.request.lead_time_hours, "withdrawn": facts.request.withdrawn,
            "judicial_probable_cause": facts.request.judicial_probable_cause,
        },
        "booking": {"release_type": facts.booking.release_type, "released": facts.booking.released,
                    **({"arrested_on": facts.booking.arrested_on.isoformat()} if facts.booking.arrested_on else {})},
        "charges": [
            {"statute": c.statute, "level": c.level, "wobbler": c.wobbler, "disposition": c.disposition,
             "probable_cause_found": c.probable_cause_found, "categories": list(c.categories)}
            for c in facts.charges
        ],
        "convictions": [
            {"statute": c.statute, "level": c.level, "wobbler": c.wobbler, "convicted_on": c.convicted_on.isoformat(),
             "state": c.state, "categories": list(c.categories), "state_prison": c.state_prison,
             "prop47_reduced": c.prop47_reduced, "custody_days_since": c.custody_days_since,
             **({"adjudication": c.adjudication} if c.adjudication else {})}
            for c in facts.convictions
        ],
        "registrant": {"sex_offender": facts.registrant.sex_offender, "arson": facts.registrant.arson},
        "federal": {
            "aggravated_felony_conviction": facts.federal.aggravated_felony_conviction,
            "outstanding_federal_felony_warrant": facts.federal.outstanding_federal_felony_warrant,
            "terrorist_screening_match": facts.federal.terrorist_screening_match,
        },
        "person": {"lawful_status_proven": facts.person.lawful_status_proven},
    }


def _anniversary(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # Feb 29 in a non-leap year -> Feb 28 (as the engine counts)
        return d.replace(year=d.year + years, day=28)


def _years_before(convicted_on: date, as_of: date) -> int:
    years = as_of.year - convicted_on.year
    if _anniversary(convicted_on, years) > as_of:
        years -= 1
    return years


def lookback_changed(convictions: list[tuple[date, int]], before: date, after: date) -> bool:
    """Did any time-dependent conviction fact (completed years, 5/15-year windows, the custody-adjusted
    window) change between two evaluation dates? Why: the law's lookback windows roll with the calendar, so
    a decision can change on a day when no record did; the daily re-check uses this to find those requests."""
    from datetime import timedelta

    if before == after:
        return False
    for convicted_on, custody_days in convictions:
        if convicted_on > after:
            continue
        if convicted_on > before:
            return True  # a conviction dated after the earlier evaluation came into view
        if _years_before(convicted_on, before) != _years_before(convicted_on, after):
            return True
        for end in (_anniversary(convicted_on, 5), _anniversary(convicted_on, 15),
                    _anniversary(convicted_on, 5) + timedelta(days=custody_days)):
            if (before <= end) != (after <= end):
                return True
    return False
