"""Matching a request to a booking: only ever one unambiguous candidate; otherwise a person decides."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from tests.requests.conftest import make_booking, make_person, receive

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2025-06-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_matches_by_facility_and_booking_number(place):
    booking = make_booking(place["facility"], number="24-001")
    make_booking(place["other"], number="24-001")  # same number in another jail
    got = receive(booking_number="24-001").request
    assert got.status == "matched"
    assert got.booking_id == booking.pk
    assert got.current_decision is not None


def test_it_sends_a_booking_number_whose_person_has_another_a_number_to_review(place):
    person = make_person(a_number="A012345678")
    booking = make_booking(place["facility"], person, number="24-002")
    got = receive(booking_number="24-002", subject={"a_number": "A987654321"}).request
    assert got.status == "review"
    assert got.match_candidates == [booking.pk]
    assert "A-number" in got.match_note
    assert got.current_decision is None


def test_it_matches_by_a_number_among_current_bookings_only(place):
    person = make_person(a_number="A012345678", last_name="Roe")
    make_booking(place["facility"], person, released_at=datetime.fromisoformat("2025-05-02T00:00:00+00:00"))
    current = make_booking(place["facility"], person)
    got = receive(subject={"a_number": "A-012-345-678"}).request
    assert got.status == "matched"
    assert got.booking_id == current.pk
    assert "A-number" in got.match_note


def test_it_treats_a_zero_padded_a_number_as_the_same_file(place):
    booking = make_booking(place["facility"], make_person(a_number="A12345678"))
    got = receive(subject={"a_number": "A012345678"}).request
    assert got.booking_id == booking.pk


def test_it_matches_by_fbi_number(place):
    booking = make_booking(place["facility"], make_person(fbi_number="123456AB7"))
    got = receive(subject={"fbi_number": "123456ab7"}).request
    assert (got.status, got.booking_id) == ("matched", booking.pk)


def test_it_never_guesses_between_two_bookings_with_the_same_identifier(place):
    a = make_booking(place["facility"], make_person(a_number="A012345678"))
    b = make_booking(place["facility"], make_person(a_number="A012345678", first_name="Jon"))
    got = receive(subject={"a_number": "A012345678"}).request
    assert got.status == "review"
    assert got.booking_id is None
    assert got.match_candidates == sorted([a.pk, b.pk])


def test_it_sends_a_number_and_fbi_number_pointing_at_different_bookings_to_review(place):
    a = make_booking(place["facility"], make_person(a_number="A012345678"))
    b = make_booking(place["facility"], make_person(fbi_number="999999XX9", first_name="Other"))
    got = receive(subject={"a_number": "A012345678", "fbi_number": "999999XX9"}).request
    assert got.status == "review"
    assert got.match_candidates == sorted([a.pk, b.pk])


def test_it_never_matches_on_name_and_birth_date_alone(place):
    booking = make_booking(place["facility"], make_person(last_name="Garcia", first_name="Ana",
                                                          date_of_birth=date(1985, 3, 4)))
    got = receive(subject={"last_name": "GARCIA", "first_name": "ana", "date_of_birth": "1985-03-04"}).request
    assert got.status == "review"
    assert got.match_candidates == [booking.pk]
    assert got.current_decision is None


def test_it_waits_for_a_person_not_yet_booked_and_matches_when_the_booking_arrives(place):
    got = receive(subject={"a_number": "A055555555"}).request
    assert got.status == "waiting"
    booking = make_booking(place["facility"], make_person(a_number="A055555555"))
    got.refresh_from_db()
    assert got.status == "matched"
    assert got.booking_id == booking.pk
    assert got.current_decision is not None


def test_it_matches_a_waiting_request_by_booking_number_when_that_booking_arrives(place):
    got = receive(booking_number="25-777").request
    assert got.status == "waiting"
    assert "not yet received" in got.match_note
    make_booking(place["other"], number="25-777")  # another jail's booking does not fit
    got.refresh_from_db()
    assert got.status == "waiting"
    booking = make_booking(place["facility"], number="25-777")
    got.refresh_from_db()
    assert (got.status, got.booking_id) == ("matched", booking.pk)


def test_it_does_not_match_a_booking_in_another_facility(place):
    make_booking(place["other"], make_person(a_number="A012345678"))
    got = receive(subject={"a_number": "A012345678"}).request
    assert got.status == "waiting"


def test_a_person_can_confirm_one_candidate_with_a_note(place, django_user_model):
    from handoff.casework import flow as services
    from handoff.core.errors import InvalidInput

    booking = make_booking(place["facility"])
    req = receive().request
    assert req.status == "review"
    user = django_user_model.objects.create_user("sup")
    with pytest.raises(InvalidInput):
        services.confirm_match(req, booking, by=user, note=" ")
    services.confirm_match(req, booking, by=user, note="photo and tattoo match the I-247A")
    req.refresh_from_db()
    assert req.status == "matched"
    assert req.current_decision is not None
    assert "sup" in req.match_note
