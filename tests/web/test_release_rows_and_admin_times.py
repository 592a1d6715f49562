"""The jail's release list leads to each booking, and the Django admin never shows a bare UTC time (issue 12).

Why: a clerk reading "Releases in the next 72 hours" had to open the request, then find the booking, to correct
a release time or record the release; and the admin showed "Dec. 1, 2026, 6 p.m." for a 10:00 PST booking, so
an administrator fixing a record read (and typed) the wrong hour.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from handoff.core import clock
from tests.web.conftest import login
from tests.web.world import World

pytestmark = pytest.mark.django_db


def _release_section(html: str) -> str:
    return html.split('id="h-releases"')[1].split("</section>")[0]


def test_it_links_each_release_row_to_its_booking(world: World, client: Client) -> None:
    booking = world.requests["notify"].booking  # released in 60 hours: on the 72-hour list
    login(client, world.users["clerk_la"])
    rows = _release_section(client.get("/jail/").content.decode())
    href = f"/bookings/LA-MCJ/{booking.booking_number}/correct"
    assert f'href="{href}"' in rows
    assert len(re.findall(r'data-testid="release-booking"', rows)) == rows.count("<tr>") - 1  # every row, not the head
    page = client.get(href)
    assert page.status_code == 200 and f"Correct booking {booking.booking_number}" in page.content.decode()


def test_it_shows_the_release_rows_without_a_link_to_readers_who_cannot_open_a_booking(world: World) -> None:
    counsel = login(Client(), world.users["counsel_la"])
    rows = _release_section(counsel.get("/jail/").content.decode())
    booking = world.requests["notify"].booking
    assert f"booking {booking.booking_number}" in rows and "release-booking" not in rows
    assert counsel.get(f"/bookings/LA-MCJ/{booking.booking_number}/correct").status_code in (403, 404)


def test_it_shows_admin_times_in_the_facilitys_local_time_with_its_zone(world: World) -> None:
    from handoff.casework import flow
    from handoff.custody.models import ReleaseScheduleChange

    booking = world.requests["declined"].booking
    la = ZoneInfo("America/Los_Angeles")
    day = (clock.now() + timedelta(days=5)).astimezone(la).date()
    flow.correct_booking(booking, "scheduled_release_at", f"{day.isoformat()} 10:00", reason="court moved the date",
                         source="clerk_la")
    typed = datetime(day.year, day.month, day.day, 10, 0, tzinfo=la)
    change = ReleaseScheduleChange.objects.filter(booking=booking).latest("pk")
    admin = login(Client(), world.users["admin"])
    listing = admin.get("/admin/custody/releaseschedulechange/").content.decode()
    assert clock.local_text(typed, "America/Los_Angeles") in listing  # as typed: the jail's 10:00, not UTC
    assert clock.local_text(change.changed_at, "America/Los_Angeles", seconds=True) in listing
    history = admin.get("/admin/custody/recordchange/").content.decode()
    assert " PST" in history or " PDT" in history
    bookings = admin.get("/admin/custody/booking/").content.decode()
    assert clock.local_text(booking.booked_at, "America/Los_Angeles") in bookings
    form = admin.get(f"/admin/custody/booking/{booking.pk}/change/").content.decode()
    assert "Times in America/Los_Angeles" in form
    audit = admin.get("/admin/audit/auditevent/").content.decode()
    assert re.search(r"\d{2}:\d{2}:\d{2} UTC", audit)  # an entry belongs to no facility: UTC, and it says so
    tokens = admin.get("/admin/access/account/").content.decode()
    assert re.search(r"\d{2}:\d{2} UTC", tokens)
