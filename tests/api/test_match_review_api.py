"""A request in match review carries its candidates through the API, side by side, for jail roles only.

Why: a jail system that resolves near misses through the API (the county's own records system, a script a
clerk runs) had only "review" and a note; it could not tell two candidates apart nor see that the date of
birth is a day off (issue 12, users review December 2026). The candidates are other people's records, so
only the roles that resolve a review read them: the federal office still reads "waiting", and counsel and
the auditor read nothing of them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.core import clock
from tests.access import world as W

pytestmark = pytest.mark.django_db


def _get(client: Client, world: W.World, role: str, path: str) -> Any:
    return client.get("/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}")


def _book(world: W.World, number: str, last: str, first: str, born: date, a_number: str = "") -> Any:
    from handoff.custody.models import Booking, Person

    facility = world.facilities[W.OWN_FACILITY]
    person = Person.objects.create(jurisdiction=facility.jurisdiction, last_name=last, first_name=first,
                                   date_of_birth=born, sex="M", a_number=a_number)
    return Booking.objects.create(facility=facility, booking_number=number, person=person,
                                  booked_at=clock.now() - timedelta(days=1),
                                  scheduled_release_at=clock.now() + timedelta(hours=30), release_type="scheduled")


@pytest.fixture
def near_miss(world: W.World) -> Any:
    """A detainer for "GARCIA, JOSE" born 1985-03-05, against two bookings a clerk must tell apart."""
    from handoff.casework.flow import receive
    from handoff.requests.inputs import RequestInput, SubjectInput

    _book(world, "LA-MCJ-0700", "García López", "José", date(1985, 3, 4), "A123456789")
    _book(world, "LA-MCJ-0701", "Garcia", "Jose", date(1985, 3, 5))
    data = RequestInput(
        request_id="LOS-2025-0700", kind="detainer", issued_at=clock.now() - timedelta(hours=1), office=W.OWN_OFFICE,
        facility=W.OWN_FACILITY, booking_number="",
        subject=SubjectInput(last_name="GARCIA", first_name="JOSE", date_of_birth=date(1985, 3, 5),
                             a_number="A123456780"),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",))
    req = receive(data, source="test").request
    assert req.status == "review"
    return req


@pytest.mark.parametrize("role", ["jail_clerk", "jail_supervisor", "admin"])
def test_it_gives_jail_roles_each_candidate_side_by_side_best_first(world: W.World, client: Client, near_miss: Any,
                                                                   role: str) -> None:
    body = _get(client, world, role, f"/requests/{near_miss.request_id}").json()
    assert body["status"] == "review"
    candidates = body["match"]["candidates"]
    assert [c["booking_number"] for c in candidates] == ["LA-MCJ-0701", "LA-MCJ-0700"]  # the nearer first
    best, other = candidates
    assert best["score"] > other["score"]
    assert "date of birth: one day apart" in other["differences"]
    assert "family name: one is part of the other's compound family name" in other["differences"]
    fields = {f["field"]: f for f in other["fields"]}
    assert (fields["date_of_birth"]["request"], fields["date_of_birth"]["booking"]) == ("1985-03-05", "1985-03-04")
    assert fields["date_of_birth"]["differs"] and fields["last_name"]["differs"]
    assert fields["a_number"]["differs"]  # A123456780 against A123456789: not the same number
    assert fields["first_name"]["differs"]  # "JOSE" and "José": the accent is marked; case alone never is
    assert fields["sex"] == {"field": "sex", "label": "Sex", "request": None, "booking": "M", "differs": False}
    assert {f["field"] for f in best["fields"] if f["differs"]} == set()  # the same man, written the same way
    assert other["in_custody"] is True and other["charges"] == []


@pytest.mark.parametrize("role", ["federal_officer", "county_counsel", "auditor"])
def test_it_gives_no_candidates_to_roles_that_do_not_resolve_a_review(world: W.World, client: Client,
                                                                      near_miss: Any, role: str) -> None:
    response = _get(client, world, role, f"/requests/{near_miss.request_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["match"] is None
    assert "LA-MCJ-0700" not in response.content.decode()
    if role == "federal_officer":
        assert body["status"] == "waiting"  # to the office a request in review is simply not matched yet


def test_it_carries_no_match_once_the_request_is_linked(world: W.World, client: Client, near_miss: Any) -> None:
    """Resolved by hand through the API: the request is matched and the comparison is gone."""
    response = client.post(f"/api/v1/requests/{near_miss.request_id}/link",
                           {"booking": f"{W.OWN_FACILITY}/LA-MCJ-0701", "reason": "same man, photo checked"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {world.tokens['jail_clerk']}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "matched" and body["match"] is None
    assert body["booking"]["booking_number"] == "LA-MCJ-0701"
