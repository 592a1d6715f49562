"""Collect only what the law allows (issue 9 item 5; law review X5). Illinois bars inquiry into a person's
place of birth (5 ILCS 805/15(e)), Washington its collection (RCW 10.93.160): an import drops it on the way in
and counts it in the report, the API does not store it, `handoff collection` lists what is still held, and
`handoff collection purge` blanks it (history included), audited and idempotent. California's statute does not
clearly forbid keeping it (Cal. Gov. Code 7284.6(a)(1)(A) bars inquiry into immigration status): listed as
uncertain and left alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.custody.conftest import Run
from tests.custody.helpers import BOOKING_HEADER, booking, booking_rows, write_csv

pytestmark = pytest.mark.django_db

HEADER = [*BOOKING_HEADER, "country_of_birth"]


@pytest.fixture
def places(db: None) -> dict[str, Any]:
    from handoff.jurisdictions.models import Jurisdiction
    from handoff.jurisdictions.services import add_facility, assign_shipped_policies
    from handoff.policy.registry import registry

    def place(fips: str, name: str, kind: str, parent: Any, postal: str, tz: str) -> Any:
        return Jurisdiction.objects.get_or_create(fips=fips, defaults={
            "name": name, "kind": kind, "parent": parent, "postal": postal, "default_timezone": tz})[0]

    us = place("us", "United States", "nation", None, "", "")
    il = place("17", "Illinois", "state", us, "IL", "America/Chicago")
    ca = place("06", "California", "state", us, "CA", "America/Los_Angeles")
    place("17031", "Cook County", "county", il, "IL", "America/Chicago")
    place("06037", "Los Angeles County", "county", ca, "CA", "America/Los_Angeles")
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    return {"COOK": add_facility("COOK-CCJ", "17031", "Cook County Jail")[0],
            "LA": add_facility("LA-MCJ", "06037", "Men's Central Jail")[0]}


def _rows(facility: str, n0: int, count: int) -> list[list[Any]]:
    return [[*r, "Mexico"] for r in booking_rows([booking(n0 + i, facility=facility) for i in range(count)])]


def _collection(*args: str) -> tuple[int, dict[str, Any]]:
    out = StringIO()
    code = 0
    try:
        call_command("collection", *args, "--json", stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def test_it_drops_a_place_of_birth_illinois_forbids_on_the_way_in_and_counts_it(
        places: dict[str, Any], ingest: Callable[..., Run], tmp_path: Path) -> None:
    from handoff.custody.models import Person

    path = write_csv(tmp_path / "b.csv", HEADER, _rows("COOK-CCJ", 1, 3) + _rows("LA-MCJ", 10, 2))
    run = ingest("bookings", path)
    assert run.code == 0, run
    assert run.report["accepted"] == 5 and run.report["dropped"] == {"place_of_birth": 3}
    assert any("5 ILCS 805/15(e)" in w and "3 row(s)" in w for w in run.report["warnings"])
    cook = Person.objects.filter(bookings__facility=places["COOK"])
    assert cook.count() == 3 and set(cook.values_list("country_of_birth", flat=True)) == {""}
    la = Person.objects.filter(bookings__facility=places["LA"])
    assert set(la.values_list("country_of_birth", flat=True)) == {"Mexico"}, "California's limit is uncertain"


def test_it_lists_what_is_held_and_purges_it_once_audited(places: dict[str, Any]) -> None:
    from handoff.audit.models import AuditEvent
    from handoff.core import clock
    from handoff.custody.models import Booking, Person, RecordChange

    now = clock.now()
    people = []
    for i, (facility, country) in enumerate([("COOK", "Mexico"), ("COOK", "Poland"), ("LA", "Mexico")]):
        p = Person.objects.create(last_name=f"Roe{i}", first_name="Ana", country_of_birth=country,
                                  jurisdiction=places[facility].jurisdiction)
        Booking.objects.create(facility=places[facility], booking_number=f"N{i}", person=p, booked_at=now)
        people.append(p)
    RecordChange.objects.create(model="Person", object_id=people[0].pk, changed_at=now, source="test",
                                changes={"country_of_birth": ["Guatemala", "Mexico"], "last_name": ["Ro", "Roe0"]})
    code, listing = _collection()
    assert code == 1 and listing["enforced_held"] == 2
    cook = next(f for f in listing["facilities"] if f["facility"] == "COOK-CCJ")
    assert cook["held"] == {"citizenship": 0, "place_of_birth": 2}
    assert {(lim["field"], lim["enforced"]) for lim in cook["limits"]} == {("place_of_birth", True),
                                                                          ("citizenship", False)}
    la = next(f for f in listing["facilities"] if f["facility"] == "LA-MCJ")
    assert all(lim["uncertain"] for lim in la["limits"]) and la["held"]["place_of_birth"] == 1

    code, purged = _collection("purge")
    assert code == 0 and purged["blanked"] == {"place_of_birth": 2} and purged["history_scrubbed"] == 1
    assert [p.country_of_birth for p in Person.objects.order_by("pk")] == ["", "", "Mexico"]
    change = RecordChange.objects.get(object_id=people[0].pk).changes
    assert change == {"country_of_birth": ["", ""], "last_name": ["Ro", "Roe0"]}, "history keeps no old value"
    before = list(Person.objects.order_by("pk").values_list("pk", "country_of_birth", "updated_at"))
    code, again = _collection("purge")
    assert again["changed"] == 0 and list(Person.objects.order_by("pk").values_list(
        "pk", "country_of_birth", "updated_at")) == before, "a re-run changes nothing"
    assert _collection()[0] == 0
    purges = list(AuditEvent.objects.filter(action="collection.purge").order_by("seq").values_list("detail", flat=True))
    assert [d["changed"] for d in purges] == [3, 0] and "Mexico" not in json.dumps(purges)


def test_it_keeps_the_api_from_storing_a_forbidden_place_of_birth(places: dict[str, Any]) -> None:
    from handoff.casework import flow
    from handoff.custody.models import Booking

    flow.upsert_booking({"facility": "COOK-CCJ", "booking_number": "API-1", "booked_at": "2024-03-01T08:00:00-06:00",
                         "last_name": "Roe", "first_name": "Ana", "country_of_birth": "Mexico"}, source="api:test")
    flow.upsert_booking({"facility": "LA-MCJ", "booking_number": "API-2", "booked_at": "2024-03-01T08:00:00-08:00",
                         "last_name": "Roe", "first_name": "Bea", "country_of_birth": "Mexico"}, source="api:test")
    assert Booking.objects.get(booking_number="API-1").person.country_of_birth == ""
    assert Booking.objects.get(booking_number="API-2").person.country_of_birth == "Mexico"


def test_it_blanks_the_uncertain_fields_only_when_counsel_asks(places: dict[str, Any]) -> None:
    """`purge --include-uncertain`: counsel decided the uncertain limits too (California's place of birth, a
    request's citizenship); without it they stay, listed."""
    from handoff.core import clock
    from handoff.custody.models import Booking, Person
    from handoff.jurisdictions.models import FederalOffice
    from handoff.requests.models import ImmigrationRequest

    now = clock.now()
    p = Person.objects.create(last_name="Roe", first_name="Ana", country_of_birth="Mexico",
                              jurisdiction=places["LA"].jurisdiction)
    Booking.objects.create(facility=places["LA"], booking_number="LA-1", person=p, booked_at=now)
    office = FederalOffice.objects.create(code="LOS", name="ICE ERO Los Angeles")
    ImmigrationRequest.objects.create(request_id="R-1", kind="detainer", issued_at=now, received_at=now,
                                      office=office, facility=places["COOK"], subject_citizenship="Mexico")
    assert _collection("purge")[1]["changed"] == 0
    assert Person.objects.get().country_of_birth == "Mexico"
    assert ImmigrationRequest.objects.get().subject_citizenship == "Mexico"
    _, purged = _collection("purge", "--include-uncertain")
    assert purged["by_facility"] == {"COOK-CCJ": {"citizenship": 1}, "LA-MCJ": {"place_of_birth": 1}}
    assert Person.objects.get().country_of_birth == "" and ImmigrationRequest.objects.get().subject_citizenship == ""


def test_it_drops_a_requests_citizenship_where_a_limit_on_it_is_enforced(places: dict[str, Any]) -> None:
    """No shipped limit on a request's citizenship is certain today; where a policy makes one certain, the
    request is stored without it (the same strip the API, the pages and ingest use)."""
    from handoff.casework import collection
    from handoff.core import clock
    from handoff.policy.duties import CollectionLimit
    from handoff.requests.inputs import RequestInput, SubjectInput

    data = RequestInput(request_id="R-2", kind="detainer", form="I-247A", issued_at=clock.now(), office="LOS",
                        facility="COOK-CCJ", booking_number="B-1",
                        subject=SubjectInput(last_name="Roe", citizenship="Mexico"))
    kept, applied = collection.strip_request(data, collection.Limits())
    assert kept.subject.citizenship == "Mexico" and applied == [], "uncertain: kept, listed for counsel"
    limits = collection.Limits()
    certain = CollectionLimit(field="citizenship", cite="Test Act 1", uncertain=False, note="", policy="x@2020-01-01",
                              effective_from=clock.now().date())
    limits._by_code["COOK-CCJ"] = places["COOK"].pk
    limits._by_id[places["COOK"].pk] = [certain]
    dropped, applied = collection.strip_request(data, limits)
    assert dropped.subject.citizenship == "" and applied == [certain] and dropped.subject.last_name == "Roe"
