"""One meaning of "at risk" (Notice.objects.at_risk), and every screen that shows it agrees: the command
line, the jail dashboard, /healthz and /metrics count the same notices.

Why: before, the command line flagged a delivered notice days before release and missed a failing one due
in two hours, while the dashboard did the reverse (house review d4)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from tests.notices.conftest import T0
from tests.notices.support import make_case, make_world

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests-0123456789"


def _notice(world: Any, *, status: str, due: float, release: float, attempts: int = 0) -> Any:
    """A release notice whose state is set outright: due and release in hours from T0."""
    from handoff.notices.models import Delivery, Notice

    case = make_case(world, release_at=T0 + timedelta(hours=72))  # an advance notice, then set outright
    notice = Notice.objects.get(request=case.request, kind="release.advance_notice")
    Notice.objects.filter(pk=notice.pk).update(
        status=status, due_at=T0 + timedelta(hours=due), release_at=T0 + timedelta(hours=release),
        acknowledged_at=T0 if status == "acknowledged" else None)
    Delivery.objects.filter(notice=notice).update(attempts=attempts)
    return notice.pk


def _cases(world: Any) -> tuple[set[int], set[int]]:
    at_risk = {
        _notice(world, status="scheduled", due=-0.1, release=10),  # due, not delivered
        _notice(world, status="failed", due=-1, release=20),  # every channel gave up
        _notice(world, status="sending", due=2, release=30, attempts=1),  # due soon, its channel failing
        _notice(world, status="sent", due=-40, release=5),  # delivered, unanswered, release within 24 h
        _notice(world, status="pending_review", due=-0.5, release=12),  # the review ran past the notice's due time
    }
    safe = {
        _notice(world, status="sent", due=-10, release=60),  # delivered, release days away
        _notice(world, status="acknowledged", due=-40, release=5),  # answered
        _notice(world, status="failed", due=-5, release=-1),  # release past: missed, not at risk
        _notice(world, status="scheduled", due=3, release=40),  # due later, never tried
    }
    return at_risk, safe


def test_it_finds_each_kind_of_notice_at_risk_and_nothing_else(travel: Any) -> None:
    from handoff.notices.models import Notice

    at_risk, safe = _cases(make_world(webhook_url="http://127.0.0.1:9/hook"))
    found = set(Notice.objects.at_risk(T0).values_list("pk", flat=True))
    assert found == at_risk and not found & safe
    flagged = {n.pk for n in Notice.objects.with_at_risk(T0) if n.is_at_risk}
    assert flagged == at_risk


def test_it_counts_the_same_notices_on_every_screen(travel: Any, client: Client) -> None:
    from handoff.notices.models import Notice
    from handoff.web.views.jail import _problem_notices

    at_risk, _ = _cases(make_world(webhook_url="http://127.0.0.1:9/hook"))
    uids = {str(u) for u in Notice.objects.filter(pk__in=at_risk).values_list("uid", flat=True)}

    out = StringIO()
    call_command("notices", "--at-risk", "--json", stdout=out)
    listed = json.loads(out.getvalue())["notices"]
    assert {n["notice_id"] for n in listed} == uids and all(n["at_risk"] for n in listed)

    shown, _missed = _problem_notices(Notice.objects.all(), T0)
    overdue = set(Notice.objects.overdue(T0).filter(kind__startswith="release.").values_list("pk", flat=True))
    assert {n.pk for n in shown} | overdue == at_risk  # the dashboard lists the overdue ones in their own table

    assert client.get("/healthz").json()["at_risk_notices"] == len(at_risk)
    with override_settings(HANDOFF_METRICS_TOKEN=TOKEN):
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert f"handoff_notices_at_risk {float(len(at_risk))}" in body.splitlines()


def test_it_stops_calling_an_unanswered_notice_at_risk_when_the_escalation_window_is_shorter(travel: Any) -> None:
    from handoff.notices.models import Notice

    world = make_world(webhook_url="http://127.0.0.1:9/hook")
    pk = _notice(world, status="sent", due=-40, release=5)
    assert Notice.objects.at_risk(T0).filter(pk=pk).exists()
    with override_settings(HANDOFF_ESCALATE_UNACKED_HOURS=4):
        assert not Notice.objects.at_risk(T0).filter(pk=pk).exists()
