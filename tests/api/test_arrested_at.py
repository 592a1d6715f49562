"""The booking's arrest time (NYC 9-131 counts from it) goes in through the API and comes back to jail staff
only: it is the jail's record, and a federal office learns nothing from it that the decision does not allow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from handoff.custody.models import Booking
from tests.access import world as W
from tests.api.test_api import booking, call

pytestmark = pytest.mark.django_db


def test_it_takes_the_arrest_time_of_a_booking_posted_by_a_jail(world: W.World, client: Client) -> None:
    r = call(client, "POST", "/bookings", world.tokens["jail_clerk"],
             booking(booking_number="B-ARR", arrested_at="2025-01-01T23:30:00"))
    assert r.status_code == 201, r.content
    # no offset: the jail's own zone (Los Angeles), as for every time a jail sends
    assert r.json()["booking"]["arrested_at"] == "2025-01-02T07:30:00Z"
    assert Booking.objects.get(booking_number="B-ARR").arrested_at == datetime(2025, 1, 2, 7, 30, tzinfo=UTC)


def test_it_refuses_an_arrest_after_the_booking_through_the_api(world: W.World, client: Client) -> None:
    r = call(client, "POST", "/bookings", world.tokens["jail_clerk"],
             booking(booking_number="B-LATE", arrested_at="2025-01-05T00:00:00-08:00"))
    assert r.status_code == 422
    assert "arrested_at" in r.content.decode()
    assert not Booking.objects.filter(booking_number="B-LATE").exists()


@pytest.mark.parametrize(("role", "sees"), [("jail_clerk", True), ("jail_supervisor", True),
                                             ("federal_officer", False)])
def test_it_shows_the_arrest_time_to_jail_staff_only(world: W.World, client: Client, role: str, sees: bool) -> None:
    req = world.requests["own"]
    arrested = datetime(2025, 1, 2, 7, 30, tzinfo=UTC)
    Booking.objects.filter(pk=req.booking_id).update(arrested_at=arrested)
    r = call(client, "GET", f"/requests/{req.request_id}", world.tokens[role])
    assert r.status_code == 200, r.content
    got = r.json()["booking"]["arrested_at"]
    assert got == ("2025-01-02T07:30:00Z" if sees else None)


def test_it_takes_a_juvenile_delinquency_adjudication_as_history_not_a_conviction(world: W.World,
                                                                                  client: Client) -> None:
    """NYC 9-131 does not count it (law review us-ny-nyc 6); the API records which it is."""
    from handoff.custody.models import Conviction

    person = world.bookings["own"].person
    body = {"facility": W.OWN_FACILITY, "fbi_number": person.fbi_number, "statute": "NY PL 160.10",
            "level": "felony", "convicted_on": "2022-08-15", "state": "NY", "adjudication": "juvenile_delinquent"}
    r = call(client, "POST", "/convictions", world.tokens["jail_clerk"], body)
    assert r.status_code == 201, r.content
    assert Conviction.objects.get(pk=r.json()["conviction_id"]).adjudication == "juvenile_delinquent"
    bad = call(client, "POST", "/convictions", world.tokens["jail_clerk"], {**body, "adjudication": "sealed"})
    assert bad.status_code == 422


def test_it_keeps_the_arrest_date_out_of_a_disclosed_decision_for_the_office(client: Client) -> None:
    """A Texas detainer lets the jail tell the office the release (notify, no review); the arrest date in the
    decision's facts is still the jail's, as on the booking."""
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_token, create_user

    w = W.build(confidential=False)
    create_user(SYSTEM, "officer_hou", "federal_officer", offices=[W.OTHER_OFFICE])
    officer = create_token(SYSTEM, "officer_hou")[1]
    from tests.web.world import send_request

    booked = w.bookings["other"]
    booking = Booking.objects.create(facility=booked.facility, booking_number="DAL-ARR1", person=booked.person,
                                     booked_at=booked.booked_at, scheduled_release_at=booked.scheduled_release_at,
                                     release_type="scheduled", arrested_at=booked.booked_at - timedelta(hours=3))
    req = send_request("HOU-2025-7001", booking, W.OTHER_OFFICE)
    assert req.current_decision.notify and not req.current_decision.review
    for token, sees in ((w.tokens["other_clerk"], True), (officer, False)):
        body = call(client, "GET", f"/requests/{req.request_id}", token).json()
        assert body["booking"]["scheduled_release_at"] is not None  # disclosed to both
        assert ("arrested_on" in body["decision"]["facts"]["booking"]) is sees
        assert (body["booking"]["arrested_at"] is not None) is sees
