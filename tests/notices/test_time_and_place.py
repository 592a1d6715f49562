"""Time and place: what a person reads is in the facility's local time with its zone named (e-mail through a
real SMTP server, the acknowledgement page, the audit log, the admin), and e-mail links start with
HANDOFF_BASE_URL (the review found the acknowledgement link pointing at 127.0.0.1:8000 on another port).

T0 is Monday 2 June 2025, 16:00 UTC = 09:00 in Los Angeles (PDT); the release ten hours later is 19:00 PDT."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client, override_settings

from tests.notices.conftest import T0
from tests.notices.support import SmtpSink, make_case, make_world

pytestmark = pytest.mark.django_db
BASE = "https://handoff.county.example"


def _text(mail: Any) -> str:
    return next(part.get_payload(decode=True).decode() for part in mail.walk()
                if part.get_content_type() == "text/plain")


def test_it_writes_release_times_in_the_facilitys_zone_and_links_to_the_base_url(
        travel: Any, smtp: SmtpSink, worker: Any, client: Client) -> None:
    world = make_world(email="ero@example.gov")
    make_case(world, release_at=T0 + timedelta(hours=10))
    with override_settings(HANDOFF_BASE_URL=BASE):
        worker.step()
    [mail] = smtp.messages
    text = _text(mail)
    assert "Release: Mon 2 Jun 2025 19:00 PDT (facility time; 2025-06-03T02:00:00Z UTC)" in text
    assert "release Mon 2 Jun 2025 19:00 PDT" in mail["Subject"]
    html = next(p.get_payload(decode=True).decode() for p in mail.walk() if p.get_content_type() == "text/html")
    assert "Mon 2 Jun 2025 19:00 PDT" in html
    link = re.search(r"https?://\S+/notices/ack/\S+", text)
    assert link is not None
    assert f"{urlparse(link.group()).scheme}://{urlparse(link.group()).netloc}" == BASE

    page = client.get(urlparse(link.group()).path).content.decode()
    assert "release Mon 2 Jun 2025 19:00 PDT (facility time)" in page and "UTC" not in page
    done = client.post(urlparse(link.group()).path).content.decode()
    assert "as of Mon 2 Jun 2025 09:00 PDT" in done


def test_it_shows_the_audit_log_in_the_readers_zone(client: Client) -> None:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user
    from handoff.audit.models import AuditEvent
    from tests.access import world as W

    w = W.World()
    W.build_places(w)
    auditor = create_user(SYSTEM, "county-auditor", "auditor")
    W.verified_login(client, auditor)
    assert "When (UTC)" in client.get("/audit/").content.decode(), "jails in two zones: UTC, named"
    w.facilities[W.OTHER_FACILITY].delete()  # a county's deployment: every jail in one zone
    html = client.get("/audit/").content.decode()
    assert "When (America/Los_Angeles)" in html
    latest = AuditEvent.objects.order_by("-seq").first()
    assert latest is not None
    local = latest.at.astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    assert local.strftime("%H:%M:%S ") + local.tzname() in html  # type: ignore[operator]


def test_it_shows_and_reads_booking_times_in_the_facilitys_zone_in_the_admin(client: Client) -> None:
    from handoff.custody.models import Booking, Person
    from tests.access import world as W

    w = W.World()
    W.build_places(w)
    W.build_accounts(w)
    person = Person.objects.create(last_name="Doe", first_name="Jan")
    booking = Booking.objects.create(facility=w.facilities[W.OWN_FACILITY], booking_number="B-1", person=person,
                                     booked_at=datetime(2026, 12, 1, 18, 0, tzinfo=UTC))  # 10:00 PST
    W.verified_login(client, w.users["admin"])
    listing = client.get("/admin/custody/booking/").content.decode()
    assert "Tue 1 Dec 2026 10:00 PST" in listing
    form = client.get(f"/admin/custody/booking/{booking.pk}/change/").content.decode()
    assert 'value="10:00:00"' in form and "America/Los_Angeles" in form
