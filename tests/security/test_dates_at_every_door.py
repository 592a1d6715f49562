"""Review L3 and L5: dates and times are read the same way at every door (ingest files and the API): a year
between 1880 and 2199 in UTC (after the offset or the facility's zone), a date with a time where an hour
matters, and a release with its reason."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from handoff.core import clock
from handoff.custody.models import Booking
from handoff.requests.models import ImmigrationRequest
from tests.access import world as W
from tests.security.conftest import api

pytestmark = pytest.mark.django_db


def _ingest(kind: str, rows: list[dict[str, Any]], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / f"{kind}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = StringIO()
    with contextlib.suppress(SystemExit):  # exit 1 when a row is rejected; the summary is printed first
        call_command("ingest", kind, str(path), "--json", stdout=out)
    return dict(json.loads(out.getvalue().strip().splitlines()[-1]))


def _booking(number: str, **extra: Any) -> dict[str, Any]:
    return {"facility": W.OWN_FACILITY, "booking_number": number, "last_name": "Dates", "first_name": "Ann",
            "date_of_birth": "1990-01-01", "booked_at": (clock.now() - timedelta(days=1)).isoformat(), **extra}


def test_l3_ingest_refuses_years_outside_1880_to_2199(world: W.World, tmp_path: Path) -> None:
    """`0001-01-01T00:00:00` was stored as 0001-01-01 07:52:58 (the zone's 1883 offset): a typo became a
    booking 2000 years old that sorts first on every list."""
    rows = [_booking("L3-Y1", booked_at="0001-01-01T00:00:00"), _booking("L3-Y2", booked_at="1879-12-31T12:00:00Z"),
            _booking("L3-Y3", scheduled_release_at="2200-01-01T00:00:00"), _booking("L3-OK")]
    result = _ingest("bookings", rows, tmp_path)
    assert (result["accepted"], result["rejected"]) == (1, 3)
    assert set(Booking.objects.filter(booking_number__startswith="L3-").values_list("booking_number", flat=True)) == {
        "L3-OK"}


def test_l3_ingest_refuses_a_request_issued_on_a_week_date_or_a_date_without_a_time(world: W.World,
                                                                                   tmp_path: Path) -> None:
    """A detainer's issue time starts the clock on hours that matter; "2026-12-01" is not a time, and
    "2026-W48-2" is no export's format: both meant a guess, now a refusal naming the row."""
    issued = (clock.now() - timedelta(hours=2)).isoformat()
    base = {"kind": "detainer", "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY,
            "subject": {"last_name": "Dates", "a_number": "A012345678"}}
    rows = [{**base, "request_id": "L3-R1", "issued_at": clock.now().date().isoformat()},
            {**base, "request_id": "L3-R2", "issued_at": "2026-W48-2"},
            {**base, "request_id": "L3-R3", "issued_at": issued}]
    result = _ingest("requests", rows, tmp_path)
    assert (result["accepted"], result["rejected"]) == (1, 2)
    assert list(ImmigrationRequest.objects.filter(request_id__startswith="L3-").values_list(
        "request_id", flat=True)) == ["L3-R3"]


def test_l5_the_api_checks_the_year_after_the_offset(world: W.World) -> None:
    """`1880-01-01T00:00:00+23:59` passed the year check and was stored as 1879."""
    answer = api(Client(), "post", "/bookings", world.tokens["jail_clerk"],
                 _booking("L5-OFF", booked_at="1880-01-01T00:00:00+23:59"))
    assert answer.status_code == 422, answer.content
    assert "booked_at" in json.dumps(answer.json()) and "1880" in json.dumps(answer.json())
    assert not Booking.objects.filter(booking_number="L5-OFF").exists()


def test_l5_a_booking_released_without_a_reason_is_refused(world: W.World) -> None:
    """POST .../release needs a reason; POST /bookings with `released_at` took none, so the release could
    not be reported (transferred to ICE or bail posted?)."""
    released = (clock.now() - timedelta(hours=1)).isoformat()
    token = world.tokens["jail_clerk"]
    answer = api(Client(), "post", "/bookings", token, _booking("L5-REL", released_at=released))
    assert answer.status_code == 422, answer.content
    assert "release_reason" in json.dumps(answer.json())
    assert not Booking.objects.filter(booking_number="L5-REL").exists()
    answer = api(Client(), "post", "/bookings", token,
                 _booking("L5-REL", released_at=released, release_reason="bail_posted"))
    assert answer.status_code in (200, 201), answer.content
    assert Booking.objects.get(booking_number="L5-REL").release_reason == "bail_posted"
