"""The hold clock on a Texas detainer (law review X3, us-tx 5; issue 9 item 2): `hold_until` in the decision
JSON and `handoff holds`, moved through time with time-machine."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tests.access import world as W

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> W.World:
    return W.build()


def _decision_json(request_id: str) -> dict[str, Any]:
    out = StringIO()
    call_command("decision", "show", request_id, "--json", stdout=out)
    return dict(json.loads(out.getvalue()))


def _holds() -> tuple[dict[str, Any], int]:
    out = StringIO()
    code = 0
    try:
        call_command("holds", "--json", stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return dict(json.loads(out.getvalue())), code


def test_it_gives_a_texas_detainer_the_release_time_plus_48_clock_hours(world: W.World) -> None:
    req = world.requests["other"]  # Dallas County, Texas: an I-247A with an I-200 and a biometric match
    booking = world.bookings["other"]
    d = _decision_json(req.request_id)
    assert d["hold"] == "required"
    assert d["hold_until"] == (booking.scheduled_release_at + timedelta(hours=48)).isoformat()


def test_it_gives_no_hold_until_to_a_california_decline(world: W.World) -> None:
    d = _decision_json(world.requests["own"].request_id)
    assert d["hold"] == "prohibited" and d["hold_until"] is None and "does not permit" in d["hold_note"]


def test_it_says_why_a_hold_on_a_booking_without_a_release_time_has_no_end(world: W.World) -> None:
    booking = world.bookings["other"]
    booking.scheduled_release_at = None
    booking.save(update_fields=["scheduled_release_at"])
    d = _decision_json(world.requests["other"].request_id)
    assert d["hold_until"] is None and "no release time" in d["hold_note"]
    holds, _ = _holds()
    [h] = [h for h in holds["holds"] if h["request_id"] == world.requests["other"].request_id]
    assert h["state"] == "no_release_time" and "no release time" in h["note"]


def test_it_counts_a_texas_hold_down_and_says_release_now_when_it_ends(world: W.World) -> None:
    req = world.requests["other"]
    release = world.bookings["other"].scheduled_release_at
    holds, code = _holds()
    [h] = [h for h in holds["holds"] if h["request_id"] == req.request_id]
    assert h["state"] == "upcoming" and code == 0
    with time_machine.travel(release + timedelta(hours=1), tick=False):
        holds, code = _holds()
        [h] = [h for h in holds["holds"] if h["request_id"] == req.request_id]
        assert h["state"] == "holding" and h["seconds_left"] == 47 * 3600 and code == 0
    with time_machine.travel(release + timedelta(hours=48), tick=False):
        holds, code = _holds()
        [h] = [h for h in holds["holds"] if h["request_id"] == req.request_id]
        assert h["state"] == "expired" and h["note"] == "hold expired: release now" and code == 1
