"""Security review H4, reproduced step by step through the API and the pages (both databases): a clerk of one
county types another county's FBI number into a booking and a conviction of their own."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.core import clock
from handoff.custody.models import Conviction, Person
from handoff.linkage import services as linkage
from handoff.linkage.models import PersonIdentity
from tests.access import world as W

pytestmark = pytest.mark.django_db


def call(client: Client, path: str, token: str, body: Any) -> Any:
    return client.post("/api/v1" + path, json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def world(db: None) -> W.World:
    w = W.build()
    other = w.bookings["other"].person
    Conviction.objects.create(person=other, statute="TX PC 22.02", level="felony", convicted_on=date(2015, 5, 5),
                              state="TX", categories=["violent_felony"], source_key="hc-1")
    return w


def test_h4_a_clerk_cannot_reach_another_countys_person_through_an_fbi_number(world: W.World) -> None:
    api, clerk = Client(), world.tokens["jail_clerk"]
    other = world.bookings["other"].person
    now = clock.now()
    made = call(api, "/bookings", clerk, {
        "facility": W.OWN_FACILITY, "booking_number": "LA-FAKE-1", "booked_at": (now - timedelta(hours=2)).isoformat(),
        "last_name": "Anyone", "first_name": "Else", "date_of_birth": "2000-01-01", "fbi_number": other.fbi_number})
    assert made.status_code == 201
    fake = world.facilities[W.OWN_FACILITY].bookings.get(booking_number="LA-FAKE-1").person
    assert fake.pk != other.pk and fake.jurisdiction.fips == W.OWN_FIPS
    filed = call(api, "/requests", clerk, {
        "request_id": "LA-FAKE-R", "kind": "notification", "issued_at": (now - timedelta(hours=1)).isoformat(),
        "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "booking_number": "LA-FAKE-1",
        "subject": {"last_name": "Anyone", "first_name": "Else", "date_of_birth": "2000-01-01"}})
    assert filed.status_code == 201, filed.content

    page = Client()
    W.verified_login(page, world.users["jail_clerk"])
    html = page.get("/requests/LA-FAKE-R/").content.decode()
    assert "Anyone" in html
    assert other.last_name not in html and "TX PC 22.02" not in html  # not the other county's identity or history

    wrote = call(api, "/convictions", clerk, {"fbi_number": other.fbi_number, "statute": "CA PC 211",
                                              "level": "felony", "convicted_on": "2020-01-01",
                                              "categories": ["serious_felony"]})
    assert wrote.status_code == 201
    assert Conviction.objects.get(statute="CA PC 211").person_id == fake.pk  # onto the clerk's own county's person
    assert list(other.convictions.values_list("statute", flat=True)) == ["TX PC 22.02"]
    # naming the other county's jail is refused outright
    assert call(api, "/convictions", clerk, {"facility": W.OTHER_FACILITY, "fbi_number": other.fbi_number,
                                             "statute": "CA PC 459", "level": "felony",
                                             "convicted_on": "2020-01-01"}).status_code in (403, 404)
    assert not Conviction.objects.filter(statute="CA PC 459").exists()

    theirs = Client()
    W.verified_login(theirs, world.users["other_clerk"])
    html = theirs.get(f"/requests/{world.requests['other'].request_id}/").content.decode()
    assert "TX PC 22.02" in html and "CA PC 211" not in html  # their decision's facts are unchanged


def test_h4_the_two_records_are_one_identity_only_in_the_linkage_layer(world: W.World) -> None:
    from handoff.access.actor import Actor

    other = world.bookings["other"].person
    Person.objects.filter(pk=other.pk).update(jurisdiction=world.jurisdictions[W.OTHER_FIPS])
    api = Client()
    assert call(api, "/bookings", world.tokens["jail_clerk"], {
        "facility": W.OWN_FACILITY, "booking_number": "LA-FAKE-2", "booked_at": clock.now().isoformat(),
        "last_name": "Anyone", "first_name": "Else", "fbi_number": other.fbi_number}).status_code == 201
    fake = Person.objects.get(last_name="Anyone")
    linkage.link(actor=Actor.system("test"))
    keys = linkage.identity_keys([fake.pk, other.pk])
    assert keys[fake.pk] == keys[other.pk] and keys[fake.pk].startswith("I")
    assert PersonIdentity.objects.get(person=fake).method == "deterministic"
