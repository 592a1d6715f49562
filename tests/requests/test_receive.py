"""Receiving requests: bad input rejected with its reason; the same payload twice changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from handoff.core.errors import InvalidInput
from tests.requests.conftest import make_booking, receive, request_payload

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2025-06-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_rejects_an_unknown_office_with_the_reason(place):
    with pytest.raises(InvalidInput) as exc:
        receive(office="NOPE")
    assert exc.value.field == "office"
    assert "unknown office 'NOPE'" in str(exc.value)


def test_it_rejects_an_unknown_facility_with_the_reason(place):
    with pytest.raises(InvalidInput) as exc:
        receive(facility="NOWHERE")
    assert exc.value.field == "facility"
    assert "unknown facility 'NOWHERE'" in str(exc.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "arrest"}, "kind"),
        ({"warrant": {"type": "judical"}}, "warrant.type"),
        ({"basis": ["hunch"]}, "basis"),
        ({"lead_time_hours": 0}, "lead_time_hours"),
        ({"lead_time_hours": "two days"}, "lead_time_hours"),
        ({"issued_at": "yesterday"}, "issued_at"),
        ({"subject": {"a_number": "12345"}}, "subject.a_number"),
        ({"subject": {"last_name": "Doe"}}, "subject"),
        ({"request_id": ""}, "request_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_it_rejects_bad_fields_naming_the_field(place, change, field):
    with pytest.raises(InvalidInput) as exc:
        receive(**change)
    assert exc.value.field == field


def test_it_stores_every_field_and_defaults_the_lead_time_to_48_hours(place):
    from handoff.requests.models import ImmigrationRequest

    payload = request_payload(
        subject={"last_name": "Doe", "first_name": "John", "date_of_birth": "1990-01-01", "sex": "m",
                 "a_number": "A012345678", "fbi_number": "12AB", "citizenship": "Mexico"},
        basis=["final_order", "biometric_match"], federal={"aggravated_felony_conviction": True},
        judicial_probable_cause=True,
    )
    from handoff.casework import flow as services
    from handoff.requests.inputs import parse_request

    req = services.receive(parse_request(payload), source="test").request
    req = ImmigrationRequest.objects.get(pk=req.pk)
    assert req.lead_time_hours == 48
    assert req.subject_sex == "M"
    assert req.subject_citizenship == "Mexico"
    assert req.basis == ["final_order", "biometric_match"]
    assert (req.warrant_type, req.warrant_form) == ("administrative", "I-200")
    assert req.federal_aggravated_felony_conviction is True
    assert req.federal_outstanding_felony_warrant is False
    assert req.judicial_probable_cause is True
    # no offset: local time of the facility (Los Angeles, PDT = UTC-7)
    assert req.issued_at == datetime.fromisoformat("2025-06-01T16:00:00+00:00")


def test_the_same_payload_again_changes_nothing(place):
    from handoff.casework import flow as services
    from handoff.custody.models import RecordChange
    from handoff.requests.inputs import parse_request
    from handoff.requests.models import Decision

    make_booking(place["facility"], number="24-100")
    payload = request_payload(booking_number="24-100")
    first = services.receive(parse_request(payload), source="test")
    assert first.outcome == "created"
    updated_at = first.request.updated_at
    again = services.receive(parse_request(payload), source="test")
    assert again.outcome == "unchanged"
    again.request.refresh_from_db()
    assert again.request.updated_at == updated_at
    assert Decision.objects.count() == 1
    assert RecordChange.objects.count() == 0


def test_a_changed_payload_updates_the_request_and_records_the_old_values(place):
    from handoff.casework import flow as services
    from handoff.custody.models import RecordChange
    from handoff.requests.inputs import parse_request

    make_booking(place["facility"], number="24-101")
    payload = request_payload(booking_number="24-101")
    req = services.receive(parse_request(payload), source="first file").request
    changed = dict(payload, warrant={"type": "judicial", "form": "AO 442"})
    result = services.receive(parse_request(changed), source="second file")
    assert result.outcome == "updated"
    req.refresh_from_db()
    assert req.warrant_type == "judicial"
    change = RecordChange.objects.get(model="requests.ImmigrationRequest", object_id=req.pk)
    assert change.changes["warrant_type"] == ["administrative", "judicial"]
    assert change.source == "second file"


def test_a_corrected_booking_number_moves_the_request_to_the_right_booking(place):
    from handoff.casework import flow as services
    from handoff.requests.inputs import parse_request

    wrong = make_booking(place["facility"], number="24-200")
    right = make_booking(place["facility"], number="24-201")
    payload = request_payload(booking_number="24-200")
    req = services.receive(parse_request(payload), source="test").request
    assert req.booking_id == wrong.pk
    first_decision = req.current_decision_id
    req = services.receive(parse_request(dict(payload, booking_number="24-201")), source="test").request
    assert req.booking_id == right.pk
    assert req.current_decision_id != first_decision
    assert req.current_decision.request_id == req.pk


def test_withdrawing_twice_at_the_same_instant_is_unchanged(place):
    from handoff.casework import flow as services

    make_booking(place["facility"], number="24-300")
    req = receive(booking_number="24-300").request
    at = datetime.fromisoformat("2025-06-02T08:00:00")
    assert services.withdraw(req.request_id, at, source="test").outcome == "created"
    assert services.withdraw(req.request_id, at, source="test").outcome == "unchanged"
    req.refresh_from_db()
    assert req.status == "withdrawn"
    assert req.withdrawn_at == datetime.fromisoformat("2025-06-02T15:00:00+00:00")


def test_withdrawing_an_unknown_request_is_an_error(place):
    from handoff.casework import flow as services
    from handoff.core.errors import NotFound

    with pytest.raises(NotFound):
        services.withdraw("NOPE", NOW, source="test")
