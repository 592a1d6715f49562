"""The single-record services the REST API calls judge a record by the same rules as a file row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff.casework import flow
from handoff.core.errors import InvalidInput, NotFound
from handoff.custody.models import Booking, RecordChange, ReleaseScheduleChange

pytestmark = pytest.mark.django_db

BASE = {"facility": "LA-MCJ", "booking_number": "API-1", "booked_at": "2024-03-01T08:00:00-08:00",
        "last_name": "DOE", "first_name": "JANE", "date_of_birth": "1990-01-01", "a_number": "A123456789"}


def test_it_creates_then_reports_unchanged_then_updates(jails: dict) -> None:
    created = flow.upsert_booking(BASE, source="api test")
    assert created.outcome == "created" and created.obj.pk
    assert flow.upsert_booking(BASE, source="api test").outcome == "unchanged"
    moved = flow.upsert_booking({**BASE, "scheduled_release_at": "2024-04-01T09:00"}, source="api test")
    assert moved.outcome == "updated"
    assert moved.changes == {"scheduled_release_at": [None, "2024-04-01T16:00:00+00:00"]}
    assert ReleaseScheduleChange.objects.filter(booking=moved.obj).count() == 1


@pytest.mark.parametrize("change,field", [({"a_number": "A12"}, "a_number"), ({"facility": "NOPE"}, "facility"),
                                          ({"booked_at": "soon"}, "booked_at"),
                                              ({"last_name": "", "first_name": ""}, "last_name"),
                                          ({"date_of_birth": "2999-01-01"}, "date_of_birth")])
def test_it_raises_invalid_input_naming_the_field(jails: dict, change: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        flow.upsert_booking({**BASE, **change}, source="api test")
    assert exc.value.field == field
    assert Booking.objects.count() == 0


def test_it_records_a_release_in_local_time(jails: dict) -> None:
    flow.upsert_booking(BASE, source="api test")
    result = flow.record_release("LA-MCJ", "API-1", "2024-03-02 10:15", "bail_posted", "bail", source="api")
    assert result.outcome == "updated"
    assert result.obj.released_at == datetime(2024, 3, 2, 18, 15, tzinfo=UTC)
    assert RecordChange.objects.get(model="Booking").changes["release_reason"] == ["", "bail_posted"]
    again = flow.record_release("LA-MCJ", "API-1", "2024-03-02T18:15:00Z", "bail_posted", "bail", source="api")
    assert again.outcome == "unchanged"
    with pytest.raises(InvalidInput, match="released before booked"):
        flow.record_release("LA-MCJ", "API-1", "2024-02-01 10:15", "bail_posted", "", source="api")
    with pytest.raises(InvalidInput) as exc:
        flow.record_release("LA-MCJ", "API-1", "2024-03-02 10:15", "escaped", "", source="api")
    assert exc.value.field == "release_reason"
    with pytest.raises(NotFound):
        flow.record_release("LA-MCJ", "NOPE", "2024-03-02 10:15", "bail_posted", "", source="api")


def test_it_adds_charges_and_convictions(jails: dict) -> None:
    booked = flow.upsert_booking(BASE, source="api").obj
    charge = flow.upsert_charge({"facility": "LA-MCJ", "booking_number": "API-1", "seq": 1,
                                     "statute": "CA PC 211", "level": "felony", "disposition": "pending",
                                     "categories": ["serious_felony"]}, source="api")
    assert charge.outcome == "created" and charge.obj.booking_id == booked.pk
    with pytest.raises(NotFound):
        flow.upsert_charge({"facility": "LA-MCJ", "booking_number": "NOPE", "seq": 1, "statute": "X",
                                "level": "felony", "disposition": "pending"}, source="api")
    conviction = flow.add_conviction({"a_number": "A123456789", "statute": "CA PC 245", "level": "felony",
                                          "convicted_on": "2020-02-02", "state_prison": True}, source="api")
    assert conviction.obj.person_id == booked.person_id and conviction.obj.state_prison
    assert flow.add_conviction({"a_number": "A123456789", "statute": "CA PC 245", "level": "felony",
                                    "convicted_on": "2020-02-02", "state_prison": True},
                                   source="api").outcome == "unchanged"
    with pytest.raises(InvalidInput) as exc:
        flow.add_conviction({"statute": "CA PC 245", "level": "felony", "convicted_on": "2020-02-02"},
                                source="api")
    assert exc.value.field == "person"


def test_it_keeps_a_known_release_when_a_booking_is_reimported_with_a_blank_release(jails: dict) -> None:
    """A partial export (no scheduled_release_at) must not erase the release the jail already knows."""
    flow.upsert_booking({**BASE, "scheduled_release_at": "2024-04-01T09:00"}, source="first export")
    again = flow.upsert_booking({**BASE, "scheduled_release_at": ""}, source="partial export")
    assert again.outcome == "unchanged"
    booking = Booking.objects.get(booking_number="API-1")
    assert booking.scheduled_release_at == datetime(2024, 4, 1, 16, 0, tzinfo=UTC)
    assert not RecordChange.objects.filter(model="Booking", object_id=booking.pk).exists()
