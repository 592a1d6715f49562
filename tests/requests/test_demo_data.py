"""The demo data set: real counties under different laws, and a spread of outcomes to look at."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped_library():
    from handoff.policy.registry import use_registry

    use_registry(None)
    yield
    use_registry(None)


def _snapshot() -> list[tuple]:
    from handoff.requests.models import ImmigrationRequest

    out = []
    for r in ImmigrationRequest.objects.select_related("current_decision", "booking").order_by("request_id"):
        d = r.current_decision
        out.append((r.request_id, r.status, r.booking.booking_number if r.booking else None,
                    None if d is None else (d.notify, d.hold, d.transfer, d.review, tuple(d.policies))))
    return out


def test_it_builds_a_spread_of_outcomes_through_the_real_services(shipped_library):
    from handoff.custody.models import Booking, Charge, Conviction
    from handoff.ops import demo, demo_data
    from handoff.requests.models import Decision, ImmigrationRequest

    with time_machine.travel(datetime.fromisoformat("2025-06-02T15:30:00+00:00"), tick=False):
        assert demo.load_demo_if_empty() is True
        assert demo.load_demo_if_empty() is False  # never twice
    assert Booking.objects.count() >= 300
    assert Charge.objects.count() >= 300 and Conviction.objects.count() >= 100
    requests = ImmigrationRequest.objects.all()
    assert 35 <= requests.count() <= 50
    statuses = set(requests.values_list("status", flat=True))
    assert statuses == {"matched", "review", "waiting", "withdrawn"}
    decisions = Decision.objects.filter(pk__in=requests.values("current_decision"))
    assert decisions.filter(notify=True).exists() and decisions.filter(notify=False).exists()
    assert decisions.filter(review=True).exists()
    assert decisions.filter(hold="required").exists() or decisions.filter(hold="permitted").exists()
    review = [r for r in requests.filter(status="review") if len(r.match_candidates) == 2]
    assert review, "the demo shows a request with two candidate bookings"
    near = [r for r in requests.filter(status="review")
            if any("one day apart" in d for m in r.match_details for d in m.get("differences", []))]
    assert near, "the demo shows a near miss (a date of birth one day off) in review with its differences"
    # every place's law is in play
    chains = {tuple(p.split("@")[0] for p in d.policies) for d in decisions}
    assert any("us-ga" in c for c in chains)  # Fulton County: Georgia's state law (issue 10), no longer the bare baseline
    assert ("us-federal",) not in chains  # no policy, no permission: every demo place has its state's law
    assert any("us-md-montgomery" in c for c in chains)
    assert any("us-il" in c for c in chains)
    # later facts made a history: some request has more than one answer
    assert any(r.decisions.count() > 1 for r in requests)
    assert demo_data.PLACES[0].fips == "06037"


def test_it_is_deterministic(shipped_library):
    from django.db import transaction

    from handoff.ops import demo_data

    at = datetime.fromisoformat("2025-06-02T15:30:00+00:00")
    snapshots = []
    for _ in range(2):
        with transaction.atomic():  # a savepoint: build, look, roll back
            with time_machine.travel(at, tick=False):
                demo_data.build()
            snapshots.append(_snapshot())
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0]) >= 35
