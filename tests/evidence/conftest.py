"""Places, jails, an office, and a fast way to put generated releases in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest

from handoff.custody.models import Booking, Person
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
from handoff.jurisdictions.services import add_facility
from handoff.requests.models import ImmigrationRequest
from tests.web.conftest import world  # noqa: F401 (the standard world of the page tests)


def _place(fips: str, name: str, kind: str, parent: Jurisdiction | None, postal: str, tz: str) -> Jurisdiction:
    j, _ = Jurisdiction.objects.get_or_create(
        fips=fips, defaults={"name": name, "kind": kind, "parent": parent, "postal": postal, "default_timezone": tz})
    return j


@pytest.fixture
def jails(db: None) -> dict[str, Any]:
    us = _place("us", "United States", "nation", None, "", "")
    wa = _place("53", "Washington", "state", us, "WA", "America/Los_Angeles")
    tx = _place("48", "Texas", "state", us, "TX", "America/Chicago")
    _place("53053", "Pierce County", "county", wa, "WA", "America/Los_Angeles")
    _place("53033", "King County", "county", wa, "WA", "America/Los_Angeles")
    _place("48201", "Harris County", "county", tx, "TX", "America/Chicago")

    return {
        "PIERCE": add_facility("WA-PIERCE", "53053", "Pierce County Jail", "America/Los_Angeles")[0],
        "KING": add_facility("WA-KING", "53033", "King County Jail", "America/Los_Angeles")[0],
        "HARRIS": add_facility("HARRIS", "48201", "Harris County Jail")[0],
    }


@pytest.fixture
def office(jails: dict[str, Any]) -> FederalOffice:
    o = FederalOffice.objects.create(code="SEA-ERO", name="Seattle ERO", email="sea@example.test")
    o.covers.add(*Jurisdiction.objects.filter(fips__in=["53", "48"]))
    return o


def put_frame(frame: pd.DataFrame, facilities: list[Facility]) -> dict[str, Person]:
    """Bulk-insert a synthetic frame (tests/evidence/synthetic.py): one Person per identity, bookings spread
    over the given facilities in turn (so a re-arrest is usually in another jail)."""
    people: dict[str, Person] = {}
    for ident in frame["identity"].unique():
        people[ident] = Person(last_name="GEN", first_name=str(ident)[:100], date_of_birth=date(1990, 1, 1))
    Person.objects.bulk_create(people.values(), batch_size=2000)
    bookings = []
    for i, row in enumerate(frame.itertuples(index=False)):
        released = None if pd.isna(row.released_at) else row.released_at.floor("s").to_pydatetime()
        reason = {"transferred_to_ice": "transferred_to_ice", "transferred_other": "transferred_other"}.get(
            row.exit, "sentence_served") if released else ""
        bookings.append(Booking(facility=facilities[i % len(facilities)], booking_number=f"G{i:07d}",
                                person=people[row.identity], booked_at=row.booked_at.floor("s").to_pydatetime(),
                                released_at=released, release_reason=reason))
    Booking.objects.bulk_create(bookings, batch_size=2000)
    return people


def make_request(booking: Booking, office: FederalOffice, n: int, **kw: Any) -> ImmigrationRequest:
    at = kw.pop("received_at", booking.booked_at)
    kw.setdefault("status", "matched")
    return ImmigrationRequest.objects.create(
        request_id=f"R-{n}", kind="detainer", issued_at=at, received_at=at, office=office,
        facility=booking.facility, booking=booking, booking_number=booking.booking_number, **kw)


@pytest.fixture
def t0() -> Iterator[datetime]:
    yield datetime(2020, 1, 1, 12, 0)
