"""Law review X4 / us-md-montgomery 1, 5 (issue 9 item 3): in Montgomery County's ordinary case - a detainer on a
person with a listed violent, serious or sex-offence conviction - the 48-hour notice is scheduled with no review
and no override; a detainer on anyone else waits for a supervisor as a pending-review notice with a deadline."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from handoff.core import clock
from tests.web.world import World, add_booking, send_request

pytestmark = pytest.mark.django_db


def test_it_schedules_the_montgomery_48_hour_notice_without_an_override(world: World) -> None:
    from handoff.jurisdictions.models import FederalOffice
    from handoff.notices.models import Notice

    FederalOffice.objects.filter(code="BAL").update(email="bal@example.gov")
    booking = add_booking(world.facilities["MC-CF"], last="Vance", first="Ann", dob=date(1981, 2, 2),
                          release_in=timedelta(hours=96),
                          convictions=[{"statute": "MD CR 3-202", "level": "felony", "convicted_on": date(2016, 3, 1),
                                        "state": "MD", "categories": ["violent_felony"]}])
    req = send_request("BAL-2025-0098", booking, "BAL")
    d = req.current_decision
    assert (d.notify, d.review, d.lead_time_hours, d.overrides_id) == (True, False, 48, None)
    [n] = Notice.objects.filter(request=req, kind__startswith="release.")
    assert n.status == "scheduled" and n.deliveries.exists()
    assert n.due_at == req.booking.scheduled_release_at - timedelta(hours=48)


def test_it_holds_a_montgomery_notice_for_an_unlisted_person_pending_review_with_a_deadline(world: World) -> None:
    from handoff.casework.alarms import open_reviews
    from handoff.notices.models import Notice

    booking = add_booking(world.facilities["MC-CF"], last="Reyes", first="Dan", dob=date(1990, 4, 4),
                          release_in=timedelta(hours=80),
                          convictions=[{"statute": "MD TR 21-902", "level": "misdemeanor",
                                        "convicted_on": date(2023, 11, 1), "state": "MD"}])
    req = send_request("BAL-2025-0099", booking, "BAL")
    assert req.current_decision.review and req.current_decision.notify
    [n] = Notice.objects.filter(request=req, kind__startswith="release.")
    assert n.status == "pending_review" and not n.deliveries.exists()
    due = dict((r.pk, d) for r, d in open_reviews())[req.pk]
    assert due == n.due_at - timedelta(hours=12)
    assert due > clock.now()


def test_it_shows_the_texas_hold_clock_on_the_jail_dashboard(world: World, client: Any) -> None:
    from tests.web.conftest import login

    login(client, world.users["clerk_dal"])
    html = client.get("/jail/").content.decode()
    section = html.split('id="h-holds"')[1].split('id="h-releases"')[0]
    assert world.requests["confidential"].request_id in section and 'data-testid="hold-until"' in section
