"""A records clerk's day on the pages (issue 12 item 2): a faxed detainer keyed in with its scan, a release
recorded, a booking corrected. Each change is audited; bad input re-renders with the field marked and
nothing saved."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from handoff.core import clock
from tests.web.conftest import login
from tests.web.world import World, add_booking

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _entry(**change: Any) -> dict[str, Any]:
    data = {"form": "I-247A", "request_id": "FAX-2026-0001", "facility": "LA-MCJ", "office": "LOS",
            "issued_at": "2026-12-04T09:30", "booking_number": "", "last_name": "Nguyen", "first_name": "Thanh",
            "date_of_birth": "1995-07-02", "a_number": "", "fbi_number": "", "warrant_type": "administrative",
            "warrant_form": "I-200", "basis": ["biometric_match"], "lead_time_hours": "48",
            "scan": SimpleUploadedFile("detainer.pdf", PDF, content_type="application/pdf")}
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


def _audit(action: str) -> list[Any]:
    from handoff.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action))


@pytest.mark.django_db
def test_it_keys_in_a_faxed_detainer_with_its_scan_and_shows_the_scan(world: World, client: Client) -> None:
    from handoff.requests.models import ImmigrationRequest

    login(client, world.users["clerk_la"])
    assert client.get("/requests/new").status_code == 200
    booking = world.requests["declined"].booking
    response = client.post("/requests/new", _entry(booking_number=booking.booking_number))
    assert response.status_code == 302, response.content.decode()[:2000]
    req = ImmigrationRequest.objects.get(request_id="FAX-2026-0001")
    assert req.form == "I-247A" and req.kind == "detainer" and req.warrant_form == "I-200"
    assert req.booking_id == world.requests["declined"].booking_id  # matched by the booking number
    scan = req.attachments.get()
    assert bytes(scan.content) == PDF and scan.content_type == "application/pdf"
    assert _audit("request.enter")
    page = client.get("/requests/FAX-2026-0001/").content.decode()
    assert "The form as received" in page and "detainer.pdf" in page
    served = client.get(f"/requests/FAX-2026-0001/scans/{scan.pk}")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf" and served.content == PDF
    officer = login(Client(), world.users["officer_los"])
    assert officer.get(f"/requests/FAX-2026-0001/scans/{scan.pk}").status_code in (403, 404)


@pytest.mark.django_db
def test_it_shows_an_image_scan_on_the_request_page(world: World, client: Client) -> None:
    login(client, world.users["clerk_la"])
    scan = SimpleUploadedFile("fax.png", PNG, content_type="image/png")
    assert client.post("/requests/new", _entry(scan=scan)).status_code == 302
    assert '<img src="/requests/FAX-2026-0001/scans/' in client.get("/requests/FAX-2026-0001/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("change,field", [
    ({"issued_at": "2026-13-45T10:00"}, "issued_at"),
    ({"date_of_birth": "1995-02-30"}, "date_of_birth"),
    ({"facility": "NOWHERE"}, "facility"),
    ({"facility": "MC-CF"}, "facility"),  # a real facility of another county
    ({"last_name": "X" * 101}, "last_name"),
    ({"request_id": "R" * 81}, "request_id"),
    ({"a_number": "12"}, "a_number"),
    ({"scan": SimpleUploadedFile("detainer.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")}, "scan"),
    ({"scan": SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")},
     "scan"),
    ({"scan": None}, "scan"),
    ({"last_name": "", "first_name": ""}, "booking_number"),
])
def test_it_rerenders_bad_input_with_the_field_marked_and_saves_nothing(world: World, client: Client,
                                                                       change: dict[str, Any], field: str) -> None:
    from handoff.requests.models import ImmigrationRequest, RequestAttachment

    login(client, world.users["clerk_la"])
    before = ImmigrationRequest.objects.count()
    response = client.post("/requests/new", _entry(**change))
    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in html and "Nothing was saved" in html
    assert 'aria-invalid="true"' in html
    assert ImmigrationRequest.objects.count() == before and not RequestAttachment.objects.exists()
    assert not _audit("request.enter")


@pytest.mark.django_db
def test_it_records_a_release_with_its_time_type_and_to_whom(world: World, client: Client) -> None:
    req = world.requests["notify"]
    b = req.booking
    login(client, world.users["clerk_la"])
    url = f"/bookings/{b.facility.code}/{b.booking_number}/release"
    assert client.get(url).status_code == 200
    when = (clock.now() - timedelta(minutes=30)).astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    response = client.post(url, {"released_at": when.strftime("%Y-%m-%dT%H:%M"), "release_type": "scheduled",
                                 "release_reason": "transferred_to_ice", "released_to": "ICE ERO Los Angeles, Officer Diaz"})
    assert response.status_code == 302 and response["Location"] == f"/requests/{req.request_id}/"
    b.refresh_from_db()
    assert b.released_at is not None and abs((b.released_at - when).total_seconds()) < 60
    assert b.release_reason == "transferred_to_ice" and b.released_to == "ICE ERO Los Angeles, Officer Diaz"
    assert _audit("booking.release")
    page = client.get(f"/requests/{req.request_id}/").content.decode()
    assert "to ICE ERO Los Angeles, Officer Diaz" in page


@pytest.mark.django_db
def test_it_refuses_a_release_in_the_future_and_saves_nothing(world: World, client: Client) -> None:
    b = world.requests["notify"].booking
    login(client, world.users["clerk_la"])
    later = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/bookings/{b.facility.code}/{b.booking_number}/release",
                           {"released_at": later, "release_reason": "sentence_served", "released_to": "self"})
    assert response.status_code == 400 and 'data-testid="error-released_at"' in response.content.decode()
    b.refresh_from_db()
    assert b.released_at is None and not _audit("booking.release")


@pytest.mark.django_db
def test_it_corrects_a_booking_and_keeps_the_old_value_in_the_history(world: World, client: Client) -> None:
    from handoff.custody.models import RecordChange

    req = world.requests["notify"]
    b = req.booking
    old = b.scheduled_release_at
    login(client, world.users["clerk_la"])
    url = f"/bookings/{b.facility.code}/{b.booking_number}/correct"
    assert client.get(url).status_code == 200
    response = client.post(url, {"field": "scheduled_release_at", "value": "2026-12-20 09:00",
                                 "reason": "court order of 4 December"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.scheduled_release_at.isoformat() == "2026-12-20T17:00:00+00:00"  # 09:00 in Los Angeles
    change = RecordChange.objects.get(model="Booking", object_id=b.pk)
    assert change.changes["scheduled_release_at"][0] == old.isoformat()
    assert "court order of 4 December" in change.source
    assert _audit("booking.correct")
    page = client.get(url).content.decode()
    assert old.isoformat() in page.split('id="h-history"')[1]
    # a person field too: the old name stays in the history
    assert client.post(url, {"field": "first_name", "value": "Miguel Angel", "reason": "passport seen"}).status_code == 302
    assert RecordChange.objects.filter(model="Person", object_id=b.person_id).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [("scheduled_release_at", "next tuesday"), ("date_of_birth", "2999-01-01"),
                                         ("released_to", "x" * 201), ("release_reason", "escaped")])
def test_it_refuses_a_bad_correction_and_saves_nothing(world: World, client: Client, field: str, value: str) -> None:
    from handoff.custody.models import RecordChange

    b = world.requests["notify"].booking
    login(client, world.users["clerk_la"])
    response = client.post(f"/bookings/{b.facility.code}/{b.booking_number}/correct",
                           {"field": field, "value": value, "reason": "typing it again"})
    assert response.status_code == 400 and 'data-testid="error-value"' in response.content.decode()
    assert not RecordChange.objects.exists() and not _audit("booking.correct")


@pytest.mark.django_db
def test_it_keeps_another_countys_bookings_out_of_reach(world: World, client: Client) -> None:
    other = add_booking(world.facilities["MC-CF"], last="Reyes", first="Ana", dob=date(1990, 2, 2),
                        release_in=timedelta(days=3))
    login(client, world.users["clerk_la"])
    for page in ("release", "correct"):
        assert client.get(f"/bookings/MC-CF/{other.booking_number}/{page}").status_code == 404
    assert client.get("/bookings/LA-MCJ/NOPE/release").status_code == 404
    officer = login(Client(), world.users["officer_los"])
    assert officer.get("/requests/new").status_code == 403


@pytest.mark.django_db
def test_it_links_a_clerk_to_release_correction_and_outcome_from_the_request(world: World, client: Client) -> None:
    req = world.requests["notify"]
    login(client, world.users["clerk_la"])
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    b = req.booking
    for link in (f"/bookings/LA-MCJ/{b.booking_number}/release", f"/bookings/LA-MCJ/{b.booking_number}/correct",
                 f"/requests/{req.request_id}/outcome/record"):
        assert link in html
    officer = login(Client(), world.users["officer_los"])
    assert 'data-testid="clerk-actions"' not in officer.get(f"/requests/{req.request_id}/").content.decode()
