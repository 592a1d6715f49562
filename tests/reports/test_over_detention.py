"""Over-detention made visible (issue 9 item 2; law review X3): a release recorded after the hold's end (the
I-247A's 48 hours) is counted on the jail dashboard, on /transparency (counts only, suppressed like every
other figure) and in `handoff report over-detention`. The audit log and the alarm already had it; a count
nobody reads protects nobody.

Every test runs on a fixed clock (time-machine); releases are recorded at fixed offsets from the hold's end."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from tests.access import world as W

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
YEAR = "2025"


@pytest.fixture
def world(db: None) -> Iterator[W.World]:
    """The access world with Dallas County public (so its row is published), built at a fixed time."""
    with time_machine.travel(START, tick=False):
        yield W.build(confidential=False)


def _texas_case(world: W.World, n: int) -> Any:
    """Another Dallas County booking with a Texas detainer (hold required), released at the scheduled time
    plus 48 hours at the latest."""
    from handoff.custody.models import Booking, Person
    from tests.web.world import send_request

    facility = world.facilities[W.OTHER_FACILITY]
    person = Person.objects.create(jurisdiction=facility.jurisdiction, last_name=f"Case{n}", first_name="Lee",
                                   date_of_birth=date(1985, 1, n), sex="M", fbi_number=f"{n:07d}XY1")
    booking = Booking.objects.create(facility=facility, booking_number=f"DAL-X{n:03d}", person=person,
                                     booked_at=START - timedelta(days=2),
                                     scheduled_release_at=START + timedelta(hours=72), release_type="scheduled")
    with time_machine.travel(START, tick=False):
        req = send_request(f"HOU-2025-9{n:03d}", booking, W.OTHER_OFFICE)
    assert req.current_decision.hold == "required"
    return booking


def _release(booking: Any, after_hold_end: timedelta) -> datetime:
    """Record the release `after_hold_end` past the hold's end (negative: inside the hold)."""
    from handoff.casework import flow

    booking.refresh_from_db()
    at = booking.scheduled_release_at + timedelta(hours=48) + after_hold_end
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        flow.record_release(W.OTHER_FACILITY, booking.booking_number, at.isoformat(), "other", "", source="test")
    return at


@pytest.fixture
def late(world: W.World) -> dict[str, Any]:
    """Two people released after the hold's end (2 h and 30 h late), one released inside it."""
    first = world.bookings["other"]
    second, inside = _texas_case(world, 1), _texas_case(world, 2)
    return {"late": [(first, _release(first, timedelta(hours=2))), (second, _release(second, timedelta(hours=30)))],
            "inside": (inside, _release(inside, -timedelta(hours=1)))}


def test_it_counts_releases_after_the_hold_end_on_the_jail_dashboard(world: W.World, late: dict,
                                                                      client: Client) -> None:
    with time_machine.travel(START + timedelta(days=8), tick=False):
        W.verified_login(client, world.users["other_clerk"])
        html = client.get("/jail/").content.decode()
    section = html.split('id="h-over-detention"')[1].split('id="h-releases"')[0]
    assert "2</span> releases recorded after the hold's end" in section
    for booking, _ in late["late"]:
        assert booking.booking_number in section
    assert late["inside"][0].booking_number not in section
    assert "30.0" in section and "2.0" in section  # hours past the hold's end


def test_it_shows_no_other_jails_over_detention_on_a_dashboard(world: W.World, late: dict, client: Client) -> None:
    with time_machine.travel(START + timedelta(days=8), tick=False):
        W.verified_login(client, world.users["jail_clerk"])  # Los Angeles: it held nobody
        html = client.get("/jail/").content.decode()
    section = html.split('id="h-over-detention"')[1].split('id="h-releases"')[0]
    assert "0</span> releases recorded" in section
    assert all(b.booking_number not in html for b, _ in late["late"])


def test_it_counts_over_detention_in_the_public_figures(world: W.World, late: dict) -> None:
    from handoff.reports.public import ALL, OVER_DETAINED, build_public_data

    data = build_public_data(now=START + timedelta(days=8), threshold=0)  # no small-count suppression here
    assert data.get(OVER_DETAINED, W.OTHER_FIPS, YEAR) == 2
    assert data.get(OVER_DETAINED, W.OWN_FIPS, YEAR) == 0
    assert data.get(OVER_DETAINED, ALL, YEAR) == 2


def test_it_stops_counting_a_release_corrected_to_inside_the_hold(world: W.World, late: dict) -> None:
    from handoff.custody.models import Booking
    from handoff.reports.public import OVER_DETAINED, build_public_data

    booking, at = late["late"][0]
    Booking.objects.filter(pk=booking.pk).update(released_at=at - timedelta(hours=3))  # 1 h inside the hold
    data = build_public_data(now=START + timedelta(days=8), threshold=0)
    assert data.get(OVER_DETAINED, W.OTHER_FIPS, YEAR) == 1


def test_it_suppresses_a_small_over_detention_count_on_the_public_page(world: W.World, late: dict,
                                                                       client: Client) -> None:
    from django.core.cache import cache

    cache.clear()
    with time_machine.travel(START + timedelta(days=8), tick=False):
        page = client.get("/transparency").content.decode()
        rows = list(csv.DictReader(StringIO(client.get("/transparency.csv").content.decode())))
    table = page.split('id="table-over-detention"')[1].split("</table>")[0]
    assert "Lew Sterrett" not in table and "Dallas County" in table
    dallas = table.split("Dallas County")[1].split("</tr>")[0]
    assert "handoff-suppressed" in dallas and ">2<" not in dallas  # 2 is a small count: never published
    mine = [r for r in rows if r["measure"] == "over_detained" and r["row_key"] == W.OTHER_FIPS and r["period"] == YEAR]
    assert len(mine) == 1 and mine[0]["suppressed"] == "yes" and mine[0]["value"] == ""


def test_it_files_the_over_detention_report(world: W.World, late: dict, tmp_path: Path) -> None:
    out = StringIO()
    call_command("report", "over-detention", "--year", YEAR, "--jurisdiction", W.OTHER_FIPS, "--no-public",
                 "--out", str(tmp_path), stdout=out)
    assert "2 records" in out.getvalue()
    with (tmp_path / f"over-detention-{YEAR}.csv").open(encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert sorted(r["Hours past the hold's end"] for r in records) == ["2.0", "30.0"]
    assert {r["Facility"] for r in records} == {W.OTHER_FACILITY_NAME}
    text = (tmp_path / f"over-detention-{YEAR}.csv").read_text(encoding="utf-8")
    for booking, _ in late["late"]:
        assert booking.booking_number not in text and booking.person.last_name not in text  # no personal data


def test_it_certifies_a_year_with_no_over_detention(world: W.World, late: dict, tmp_path: Path) -> None:
    out = StringIO()
    call_command("report", "over-detention", "--year", "2024", "--out", str(tmp_path), stdout=out)
    assert "No release in 2024 was recorded after the end of a hold" in out.getvalue()


def test_it_suppresses_small_counts_in_the_public_over_detention_report(world: W.World, late: dict,
                                                                        tmp_path: Path) -> None:
    call_command("report", "over-detention", "--year", YEAR, "--jurisdiction", W.OTHER_FIPS, "--public",
                 "--out", str(tmp_path), stdout=StringIO())
    text = (tmp_path / f"over-detention-{YEAR}-public.csv").read_text(encoding="utf-8")
    assert "suppressed" in text and ",2" not in text
