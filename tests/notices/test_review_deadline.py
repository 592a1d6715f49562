"""Review never silences a deadline (law review X4; issue 9 item 3): the notice the law would send waits as
pending review, the review has a due time (the notice's due time less HANDOFF_REVIEW_MARGIN_HOURS), the review
escalates to the facility's supervisors by e-mail at that time (a real aiosmtpd peer), /healthz reports the
oldest open review, and the notice goes out the moment a supervisor confirms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tests.notices.conftest import T0
from tests.notices.support import Receiver, SmtpSink, make_case, make_world, notices, redecide

pytestmark = pytest.mark.django_db

RELEASE = T0 + timedelta(hours=72)  # the notice is due at T0 + 24 h, so the review at T0 + 12 h


def _supervisor(world: Any, email: str = "sup@jail.example") -> Any:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user

    return create_user(SYSTEM, "sup_ala", "jail_supervisor", facilities=[world.facility.code], email=email)


def test_it_gives_a_review_a_due_time_12_hours_before_the_notice_it_holds_back(travel: Any, receiver: Receiver) -> None:
    from handoff.casework.alarms import open_reviews

    case = make_case(make_world(webhook_url=receiver.url), release_at=RELEASE, review=True)
    [(req, due)] = open_reviews()
    assert req.pk == case.request.pk and due == T0 + timedelta(hours=12)


def test_it_escalates_an_open_review_to_the_supervisors_at_its_due_time(
        travel: Any, receiver: Receiver, smtp: SmtpSink, django_capture_on_commit_callbacks: Any) -> None:
    from handoff.audit.models import AuditEvent
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    world = make_world(webhook_url=receiver.url)
    _supervisor(world)
    case = make_case(world, release_at=RELEASE, review=True)
    assert fire_due(T0 + timedelta(hours=11, minutes=59), force=True).review_due == 0
    travel.move_to(T0 + timedelta(hours=12))
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the alarm row commits
        assert fire_due(force=True).review_due == 1
    assert fire_due(force=True).review_due == 0, "once"
    [alarm] = Alarm.objects.filter(kind="review.due")
    assert alarm.request_id == case.request.pk and alarm.about_at == T0 + timedelta(hours=12)
    [mail] = smtp.messages
    assert mail["To"] == "sup@jail.example" and "Review due" in mail["Subject"]
    assert AuditEvent.objects.filter(action="alarm.review.due").count() == 1
    assert receiver.bodies() == [], "the office still hears nothing until a supervisor confirms"


def test_it_sends_the_waiting_notice_the_moment_a_supervisor_confirms_after_its_due_time(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    case = make_case(make_world(webhook_url=receiver.url), release_at=RELEASE, review=True)
    travel.move_to(T0 + timedelta(hours=30))  # the review ran past the notice's due time
    assert worker.step() == 0 and receiver.bodies() == []
    redecide(case, review=False)
    [n] = [n for n in notices(case) if n.kind.startswith("release.")]
    assert n.status == "scheduled" and n.due_at == T0 + timedelta(hours=30) and n.short_notice
    assert worker.step() == 1
    [body] = receiver.bodies()
    assert body["type"] == "release.short_notice" and body["release_at"] == RELEASE.isoformat().replace("+00:00", "Z")


def test_it_cancels_the_waiting_notice_when_the_supervisor_declines(travel: Any, receiver: Receiver,
                                                                    worker: Any) -> None:
    case = make_case(make_world(webhook_url=receiver.url), release_at=RELEASE, review=True)
    redecide(case, review=False, notify=False)
    [n] = [n for n in notices(case) if n.kind.startswith("release.")]
    assert n.status == "cancelled"
    travel.move_to(T0 + timedelta(hours=30))
    worker.step()
    assert receiver.bodies() == []


def test_it_reports_the_oldest_open_review_on_healthz(travel: Any, receiver: Receiver) -> None:
    make_case(make_world(webhook_url=receiver.url), release_at=RELEASE, review=True)
    travel.move_to(T0 + timedelta(hours=13))
    body = Client().get("/healthz").json()
    assert body["open_reviews"] == 1 and body["overdue_reviews"] == 1
    assert body["oldest_open_review_seconds"] == 13 * 3600
    assert body["soonest_review_due_at"] == (T0 + timedelta(hours=12)).isoformat()


def test_it_never_sends_a_short_notice_for_a_release_time_already_past(travel: Any, receiver: Receiver,
                                                                       worker: Any) -> None:
    """Law review X7 (e2e R-GA-PAST): release four days ago, still booked: stale data, not a short notice."""
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    case = make_case(make_world(webhook_url=receiver.url), release_at=T0 - timedelta(days=4))
    assert [n for n in notices(case) if n.status in ("scheduled", "sending")] == []
    worker.step()
    assert receiver.bodies() == []
    assert fire_due(force=True).release_stale == 1
    assert Alarm.objects.get(kind="release.stale").request_id == case.request.pk
