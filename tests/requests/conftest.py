"""Fixtures for the requests tests: one California county jail under a small test policy library.

Why a test library instead of the shipped one: these tests check matching, storing and re-deciding, not the
wording of the law; the shipped policies are checked by their own scenario files. The test library has a
federal baseline and a state prohibition with a second version taking effect on 2030-01-01.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.office_coverage import cover

LIBRARY = Path(__file__).resolve().parent / "library"
_seq = itertools.count(1)


@pytest.fixture
def place(db: None) -> Iterator[dict[str, Any]]:
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction, PolicyAssignment
    from handoff.policy.engine import Registry
    from handoff.policy.registry import use_registry

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    ca = Jurisdiction.objects.create(fips="06", name="California", kind="state", parent=us, postal="CA",
                                     default_timezone="America/Los_Angeles")
    la = Jurisdiction.objects.create(fips="06037", name="Los Angeles County", kind="county", parent=ca,
                                     postal="CA", default_timezone="America/Los_Angeles")
    PolicyAssignment.objects.create(jurisdiction=us, policy_id="t-federal")
    PolicyAssignment.objects.create(jurisdiction=ca, policy_id="t-state")
    facility = Facility.objects.create(code="LA-MCJ", name="Men's Central Jail", jurisdiction=la,
                                       timezone="America/Los_Angeles")
    other = Facility.objects.create(code="LA-TTCF", name="Twin Towers", jurisdiction=la,
                                    timezone="America/Los_Angeles")
    office = cover(FederalOffice.objects.create(code="LOS", name="ICE ERO Los Angeles", email="ero@example.gov"), la)
    use_registry(Registry.from_directory(LIBRARY))
    yield {"facility": facility, "other": other, "office": office}
    use_registry(None)


def make_person(**kw: Any) -> Any:
    from handoff.custody.models import Person

    defaults: dict[str, Any] = {"last_name": "Doe", "first_name": "John", "date_of_birth": date(1990, 1, 1)}
    defaults.update(kw)
    return Person.objects.create(**defaults)


def make_booking(facility: Any, person: Any = None, *, number: str | None = None, notify: bool = True,
                 **kw: Any) -> Any:
    """A booking as custody would write it, then the call custody makes (unless notify=False)."""
    from handoff.casework import flow as services
    from handoff.custody.models import Booking

    person = person or make_person()
    values: dict[str, Any] = {"booked_at": datetime.fromisoformat("2025-05-01T10:00:00+00:00"),
                              "scheduled_release_at": datetime.fromisoformat("2025-07-01T16:00:00+00:00"),
                              "release_type": "scheduled"}
    values.update(kw)
    booking = Booking.objects.create(facility=facility, person=person,
                                     booking_number=number or f"B{next(_seq):06d}", **values)
    if notify:
        services.on_booking_changed(booking, trigger="booking created")
    return booking


def add_charge(booking: Any, statute: str, **kw: Any) -> Any:
    from handoff.casework import flow as services
    from handoff.custody.models import Charge

    seq = booking.charges.count() + 1
    values: dict[str, Any] = {"level": "felony", "disposition": "pending"}
    values.update(kw)
    charge = Charge.objects.create(booking=booking, seq=seq, statute=statute, **values)
    services.on_booking_changed(booking, trigger="charge added")
    return charge


def add_conviction(person: Any, statute: str, convicted_on: date, **kw: Any) -> Any:
    from handoff.casework import flow as services
    from handoff.custody.models import Conviction

    values: dict[str, Any] = {"level": "felony", "state": "CA"}
    values.update(kw)
    conviction = Conviction.objects.create(person=person, statute=statute, convicted_on=convicted_on,
                                           source_key=f"test-{next(_seq)}", **values)
    services.on_person_changed(person, trigger="conviction added")
    return conviction


def request_payload(**kw: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "request_id": f"ICE-{next(_seq):06d}",
        "kind": "detainer",
        "form": "I-247A",
        "issued_at": "2025-06-01T09:00:00",
        "office": "LOS",
        "facility": "LA-MCJ",
        "subject": {"last_name": "Doe", "first_name": "John", "date_of_birth": "1990-01-01"},
        "basis": ["biometric_match"],
        "warrant": {"type": "administrative", "form": "I-200"},
    }
    payload.update(kw)
    return payload


def receive(**kw: Any) -> Any:
    from handoff.casework import flow as services
    from handoff.requests.inputs import parse_request

    return services.receive(parse_request(request_payload(**kw)), source="test")
