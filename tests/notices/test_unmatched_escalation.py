"""A request no booking is matched to is never left alone (issue 12): waiting or in match review past a threshold,
it escalates to the facility's supervisors (an alarm on the dashboard and an e-mail, once, like a decision
review); and waiting requests are matched again when bookings change, both on each change through the flow
and in the daily re-check (which catches a booking that changed outside the flow, e.g. in the admin).

Why: such a request has no decision and so no notice whose deadline would raise anything. A detainer for
"GARCIA, JOSE" against a booking for "García López, José" sat unseen while the person could walk out.
Times are fixed with time-machine (T0); the e-mail goes to a real SMTP peer (aiosmtpd).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import SmtpSink, World, make_world

pytestmark = pytest.mark.django_db


def _world() -> World:
    """Alameda County's jail under the shipped law (a matched request is decided)."""
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry

    world = make_world()
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    return world


def _supervisor(world: World, email: str = "sup@jail.example") -> Any:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user

    return create_user(SYSTEM, "sup_ala", "jail_supervisor", facilities=[world.facility.code], email=email)


def _book(world: World, number: str, last: str, first: str, born: date, release_in: timedelta) -> Any:
    from handoff.casework import flow
    from handoff.core import clock

    return flow.upsert_booking({
        "facility": world.facility.code, "booking_number": number, "booked_at": (clock.now() - timedelta(days=1)).isoformat(),
        "last_name": last, "first_name": first, "date_of_birth": born.isoformat(),
        "scheduled_release_at": (clock.now() + release_in).isoformat(), "release_type": "scheduled"},
        source="jail export").obj


def _detainer(world: World, request_id: str, last: str = "GARCIA", first: str = "JOSE",
              born: date = date(1985, 3, 5), booking_number: str = "") -> Any:
    from handoff.casework.flow import receive
    from handoff.core import clock
    from handoff.requests.inputs import RequestInput, SubjectInput

    data = RequestInput(
        request_id=request_id, kind="detainer", issued_at=clock.now() - timedelta(hours=1), office=world.office.code,
        facility=world.facility.code, booking_number=booking_number,
        subject=SubjectInput(last_name=last, first_name=first, date_of_birth=born),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",))
    return receive(data, source="test").request


def test_it_escalates_a_request_waiting_for_a_booking_after_the_threshold(
        travel: Any, smtp: SmtpSink, django_capture_on_commit_callbacks: Any) -> None:
    from handoff.audit.models import AuditEvent
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    world = _world()
    _supervisor(world)
    req = _detainer(world, "SFR-0001")
    assert req.status == "waiting"
    assert fire_due(T0 + timedelta(hours=23, minutes=59), force=True).match_overdue == 0
    travel.move_to(T0 + timedelta(hours=24))  # HANDOFF_MATCH_ESCALATION_HOURS, 24 by default
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the alarm row commits
        assert fire_due(force=True).match_overdue == 1
    assert fire_due(force=True).match_overdue == 0, "once"
    [alarm] = Alarm.objects.filter(kind="match.overdue")
    assert alarm.request_id == req.pk and alarm.about_at == T0 + timedelta(hours=24)
    assert "waits for a booking" in alarm.message
    assert "Mon 2 Jun 2025 09:00 PDT" in alarm.message  # received, in the jail's own time with its zone
    [mail] = smtp.messages
    assert mail["To"] == "sup@jail.example" and "Not matched: request SFR-0001" in mail["Subject"]
    assert AuditEvent.objects.filter(action="alarm.match.overdue").count() == 1


def test_it_escalates_a_match_review_before_a_candidate_is_released(travel: Any) -> None:
    """A near miss whose candidate leaves in 20 hours is due 12 hours before (HANDOFF_REVIEW_MARGIN_HOURS),
    long before the 24-hour threshold."""
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    world = _world()
    _book(world, "B-1", "García López", "José", date(1985, 3, 4), release_in=timedelta(hours=20))
    req = _detainer(world, "SFR-0002")
    assert req.status == "review"
    assert fire_due(T0 + timedelta(hours=7, minutes=59), force=True).match_overdue == 0
    assert fire_due(T0 + timedelta(hours=8), force=True).match_overdue == 1
    [alarm] = Alarm.objects.filter(kind="match.overdue")
    assert alarm.about_at == T0 + timedelta(hours=8) and "in match review" in alarm.message


def test_it_escalates_sooner_where_the_county_sets_a_shorter_threshold(travel: Any, settings: Any) -> None:
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    settings.HANDOFF_MATCH_ESCALATION_HOURS = 2
    req = _detainer(_world(), "SFR-0003", last="NOBODY")
    assert fire_due(T0 + timedelta(hours=1, minutes=59), force=True).match_overdue == 0
    assert fire_due(T0 + timedelta(hours=2), force=True).match_overdue == 1
    assert Alarm.objects.get(request=req).about_at == T0 + timedelta(hours=2)


def test_it_never_escalates_a_request_matched_in_time(travel: Any) -> None:
    from handoff.casework.alarms import fire_due

    world = _world()
    req = _detainer(world, "SFR-0004", last="Roe", first="Ana", born=date(1990, 2, 3), booking_number="B-9")
    assert req.status == "waiting"
    travel.move_to(T0 + timedelta(hours=2))
    _book(world, "B-9", "Roe", "Ana", date(1990, 2, 3), release_in=timedelta(days=5))  # the jail books him
    req.refresh_from_db()
    assert req.status == "matched"
    assert fire_due(T0 + timedelta(days=3), force=True).match_overdue == 0


def test_it_adds_a_later_booking_to_a_request_already_in_review(travel: Any) -> None:
    """The first near miss put the request to review; a second booking of the same man arrives afterwards:
    the clerk must see both, not only the first."""
    world = _world()
    first = _book(world, "B-1", "García López", "José", date(1985, 3, 4), release_in=timedelta(days=3))
    req = _detainer(world, "SFR-0005")
    assert req.status == "review" and req.match_candidates == [first.pk]
    later = _book(world, "B-2", "Garcia", "Jose Luis", date(1985, 3, 5), release_in=timedelta(days=3))
    req.refresh_from_db()
    assert req.status == "review" and set(req.match_candidates) == {first.pk, later.pk}


def test_it_drops_a_candidate_released_before_anyone_reviewed_it(travel: Any) -> None:
    from handoff.casework import flow

    world = _world()
    _book(world, "B-1", "García López", "José", date(1985, 3, 4), release_in=timedelta(days=3))
    req = _detainer(world, "SFR-0006")
    assert req.status == "review"
    travel.move_to(T0 + timedelta(hours=1))
    flow.record_release(world.facility.code, "B-1", T0 + timedelta(minutes=30), "bail_posted", source="jail export")
    req.refresh_from_db()
    assert req.status == "waiting" and req.match_candidates == []  # waiting again: on the list, and escalating


def test_the_daily_recheck_matches_a_waiting_request_against_a_booking_changed_outside_the_flow(
        travel: Any) -> None:
    """A booking keyed straight into the database (the Django admin, a restore) never passed through the flow:
    the daily re-check still puts the waiting request to review, and writes nothing when nothing changed."""
    from handoff.casework import flow
    from handoff.custody.models import Booking, Person

    world = _world()
    req = _detainer(world, "SFR-0007")
    person = Person.objects.create(jurisdiction=world.facility.jurisdiction, last_name="García López",
                                   first_name="José", date_of_birth=date(1985, 3, 4))
    booking = Booking.objects.create(facility=world.facility, booking_number="B-ADMIN", person=person,
                                     booked_at=T0 - timedelta(days=1), scheduled_release_at=T0 + timedelta(days=2))
    req.refresh_from_db()
    assert req.status == "waiting"
    result = flow.recheck()
    req.refresh_from_db()
    assert req.status == "review" and req.match_candidates == [booking.pk]
    assert (result.unmatched_checked, result.rematched) == (1, 1)
    assert "date of birth: one day apart" in req.match_details[0]["differences"]
    again = flow.recheck()
    assert (again.unmatched_checked, again.rematched) == (1, 0)


def test_it_ends_the_alarm_once_a_clerk_links_the_request(travel: Any) -> None:
    """The dashboard lists what still needs someone: linked by hand, the request's alarm is resolved."""
    from django.contrib.auth import get_user_model

    from handoff.casework import flow
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    world = _world()
    req = _detainer(world, "SFR-0008")
    booking = _book(world, "B-8", "Ngata", "Aroha", date(1970, 1, 1), release_in=timedelta(days=3))
    assert fire_due(T0 + timedelta(hours=24), force=True).match_overdue == 1
    clerk = get_user_model().objects.create(username="clerk_ala")
    flow.link_by_hand(req, booking, by=clerk, reason="the fax names the wrong person; ICE confirmed by phone")
    fired = fire_due(T0 + timedelta(hours=25), force=True)
    assert (fired.match_overdue, fired.match_resolved) == (0, 1)
    assert Alarm.objects.get(request=req).resolved_at == T0 + timedelta(hours=25)
