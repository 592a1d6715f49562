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


def test_it_warns_4_hours_before_a_texas_hold_ends_and_says_release_now_at_its_end(world: W.World) -> None:
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    release = world.bookings["other"].scheduled_release_at
    with time_machine.travel(release + timedelta(hours=43, minutes=59), tick=False):
        fired = fire_due(force=True)
        assert (fired.hold_warning, fired.hold_expired) == (0, 0)
    with time_machine.travel(release + timedelta(hours=44), tick=False):
        assert fire_due(force=True).hold_warning == 1
        assert fire_due(force=True).hold_warning == 0, "once"
    with time_machine.travel(release + timedelta(hours=48), tick=False):
        assert fire_due(force=True).hold_expired == 1
    expired = Alarm.objects.get(kind="hold.expired")
    assert expired.message.startswith("hold expired: release now")
    assert expired.about_at == release + timedelta(hours=48)


def test_it_flags_a_release_after_the_hold_end_as_over_detention(world: W.World) -> None:
    from handoff.audit.models import AuditEvent
    from handoff.casework import flow
    from handoff.notices.models import Alarm

    booking = world.bookings["other"]
    release = booking.scheduled_release_at
    late = release + timedelta(hours=50)
    with time_machine.travel(late + timedelta(minutes=5), tick=False):
        flow.record_release(W.OTHER_FACILITY, booking.booking_number, late.isoformat(), "other", "", source="test")
    alarm = Alarm.objects.get(kind="hold.over_detention")
    assert alarm.about_at == release + timedelta(hours=48) and "Over-detention" in alarm.message
    assert AuditEvent.objects.filter(action="alarm.hold.over_detention").count() == 1


def test_it_does_not_flag_a_release_inside_the_hold(world: W.World) -> None:
    from handoff.casework import flow
    from handoff.notices.models import Alarm

    booking = world.bookings["other"]
    on_time = booking.scheduled_release_at + timedelta(hours=47)
    with time_machine.travel(on_time, tick=False):
        flow.record_release(W.OTHER_FACILITY, booking.booking_number, on_time.isoformat(), "other", "",
                            source="test")
    assert not Alarm.objects.filter(kind="hold.over_detention").exists()
