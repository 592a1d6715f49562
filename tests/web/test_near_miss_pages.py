"""The review form for a near miss (issue 12.1): the request beside each candidate, and "none of these"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.web.conftest import login
from tests.web.world import World, add_booking

pytestmark = pytest.mark.django_db


def near_miss(world: World, request_id: str = "LOS-2025-0101") -> tuple[Any, Any]:
    """A detainer for "GARCIA, JOSE" born a day later than the booking of "García López, José"."""
    from handoff.casework.flow import receive
    from handoff.core import clock
    from handoff.requests.inputs import RequestInput, SubjectInput

    booking = add_booking(world.facilities["LA-MCJ"], last="García López", first="José", dob=date(1985, 3, 4),
                          release_in=timedelta(hours=30))
    data = RequestInput(
        request_id=request_id, kind="detainer", issued_at=clock.now() - timedelta(hours=1), office="LOS",
        facility="LA-MCJ", booking_number="",
        subject=SubjectInput(last_name="GARCIA", first_name="JOSE", date_of_birth=date(1985, 3, 5)),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",),
    )
    return receive(data, source="test").request, booking


def test_it_shows_the_request_beside_each_candidate_with_what_differs(world: World, client: Client) -> None:
    req, booking = near_miss(world)
    assert req.status == "review"
    login(client, world.users["clerk_la"])
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    table = html.split('data-testid="match-compare"')[1].split("</table>")[0]
    assert "García López" in table and "GARCIA" in table
    assert "1985-03-05" in table and "1985-03-04" in table
    assert "differs" in table
    assert "date of birth: one day apart" in table
    assert "family name: one is part of the other&#x27;s compound family name" in table
    assert f"Booking {booking.booking_number} (score" in table
    assert "None of these" in html


def test_it_records_none_of_these_with_the_clerks_note_in_the_audit_log(world: World, client: Client) -> None:
    from handoff.audit.models import AuditEvent

    req, booking = near_miss(world)
    login(client, world.users["clerk_la"])
    response = client.post(f"/requests/{req.request_id}/review",
                           {"booking": "0", "note": "different person: the I-247A photo shows a scar"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "waiting" and req.match_rejected == [booking.pk]
    event = AuditEvent.objects.filter(action="request.match_reject").get()
    assert req.request_id in event.object_ids and event.outcome == "success"
    page = client.get(f"/requests/{req.request_id}/").content.decode()
    assert "none of these" in page


def test_it_refuses_a_review_without_a_note_and_saves_nothing(world: World, client: Client) -> None:
    req, booking = near_miss(world)
    login(client, world.users["clerk_la"])
    response = client.post(f"/requests/{req.request_id}/review", {"booking": str(booking.pk), "note": ""})
    assert response.status_code == 400
    req.refresh_from_db()
    assert req.status == "review"


def test_it_never_shows_the_comparison_to_the_federal_office(world: World, client: Client) -> None:
    req, _ = near_miss(world)
    login(client, world.users["officer_los"])
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    assert "match-compare" not in html and "García López" not in html


def waiting_request(world: World, request_id: str = "LOS-2025-0102") -> Any:
    """A detainer whose subject's date of birth is keyed three days off: nothing fits, it waits."""
    from handoff.casework.flow import receive
    from handoff.core import clock
    from handoff.requests.inputs import RequestInput, SubjectInput

    data = RequestInput(
        request_id=request_id, kind="detainer", issued_at=clock.now() - timedelta(hours=1), office="LOS",
        facility="LA-MCJ", booking_number="",
        subject=SubjectInput(last_name="GARCIA", first_name="JOSE", date_of_birth=date(1985, 3, 8)),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",),
    )
    return receive(data, source="test", at=clock.now() - timedelta(hours=5)).request


def test_it_lists_waiting_requests_on_the_jail_dashboard_with_age_and_a_search(world: World, client: Client) -> None:
    req = waiting_request(world)
    assert req.status == "waiting"
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    section = html.split('data-testid="waiting"')[1].split("</section>")[0]
    assert req.request_id in section and "GARCIA, JOSE" in section
    assert "5 h 0 min" in section  # received five hours ago
    found = client.get("/jail/?waiting=garcia").content.decode().split('data-testid="waiting"')[1]
    assert req.request_id in found.split("</section>")[0]
    none = client.get("/jail/?waiting=nobody-by-that-name").content.decode().split('data-testid="waiting"')[1]
    assert req.request_id not in none.split("</section>")[0]


def test_it_finds_people_by_name_without_accents_and_a_date_a_day_off(world: World, client: Client) -> None:
    from handoff.audit.models import AuditEvent

    _, booking = near_miss(world)
    login(client, world.users["clerk_la"])
    html = client.get("/people/search", {"q": "garcia lopez 1985-03-05"}).content.decode()
    results = html.split('data-testid="search-results"')[1].split("</table>")[0]
    assert booking.booking_number in results and "date of birth one day apart" in results
    assert booking.booking_number in client.get("/people/search", {"q": booking.booking_number}).content.decode()
    # Montgomery County's bookings are not the Los Angeles clerk's to search
    mc = client.get("/people/search", {"q": "lopez ana"}).content.decode()
    assert "MC-CF" not in mc
    event = AuditEvent.objects.filter(action="person.search").order_by("seq").first()
    assert event is not None and "garcia" not in str(event.detail).lower()


def test_it_links_a_waiting_request_by_hand_and_refuses_another_countys_booking(world: World, client: Client) -> None:
    from handoff.audit.models import AuditEvent

    req = waiting_request(world)
    _, booking = near_miss(world, "LOS-2025-0103")
    login(client, world.users["clerk_la"])
    page = client.get(f"/requests/{req.request_id}/?link=LA-MCJ/{booking.booking_number}").content.decode()
    assert f'value="LA-MCJ/{booking.booking_number}"' in page
    mc_booking = world.requests["montgomery"].booking
    refused = client.post(f"/requests/{req.request_id}/link",
                          {"booking": f"MC-CF/{mc_booking.booking_number}", "reason": "same man, I think so"})
    assert refused.status_code == 404
    bad = client.post(f"/requests/{req.request_id}/link", {"booking": "no slash", "reason": "x"})
    assert bad.status_code == 400 and "FACILITY/NUMBER" in bad.content.decode()
    req.refresh_from_db()
    assert req.status == "waiting"
    done = client.post(f"/requests/{req.request_id}/link",
                       {"booking": f"LA-MCJ/{booking.booking_number}",
                        "reason": "date of birth keyed wrong on the fax; A-number agrees"})
    assert done.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.booking_id) == ("matched", booking.pk)
    assert req.current_decision is not None
    assert AuditEvent.objects.filter(action="request.link", outcome="success").exists()


def test_it_offers_to_relink_a_matched_request_folded_away(world: World, client: Client) -> None:
    req = world.requests["notify"]
    other = world.requests["declined"].booking
    login(client, world.users["clerk_la"])
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    assert "<summary>Wrong person? Link this request to another booking</summary>" in html
    done = client.post(f"/requests/{req.request_id}/link",
                       {"booking": f"LA-MCJ/{other.booking_number}", "reason": "the jail booked him under his brother's file"})
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.booking_id == other.pk and req.match_note.startswith("linked by hand")
    # the federal office cannot link at all
    login(client, world.users["officer_los"])
    assert "Link this request" not in client.get(f"/requests/{req.request_id}/").content.decode()
    assert client.post(f"/requests/{req.request_id}/link",
                       {"booking": f"LA-MCJ/{other.booking_number}", "reason": "x" * 12}).status_code == 403


def test_it_gives_a_match_review_a_due_time_before_the_candidates_release(world: World, client: Client) -> None:
    from django.conf import settings

    req, booking = near_miss(world)
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    row = html.split(f">{req.request_id}<")[1].split("</tr>")[0]
    due = row.split('data-testid="match-review-due">')[1]
    assert "no deadline" not in due
    # the booking is released in 30 hours; the review is due the margin before
    hours_left = 30 - float(settings.HANDOFF_REVIEW_MARGIN_HOURS)
    assert f"in {int(hours_left) - 1} h" in due or f"in {int(hours_left)} h" in due, due
