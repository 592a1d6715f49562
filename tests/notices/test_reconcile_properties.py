"""Property test: whatever sequence of changes a request goes through, the outbox agrees with the facts.

Hypothesis draws sequences of (move the release, let time pass, flip the decision, change the lead time,
withdraw, release) and after every step checks what must always hold. No worker runs, so nothing is ever
delivered here: every release notice that should exist is open, and nothing may be marked sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.notices.conftest import T0
from tests.notices.support import make_case, make_world, move_release, notices, redecide, release, withdraw

steps = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.integers(min_value=-6, max_value=120)),
        st.tuples(st.just("wait"), st.integers(min_value=0, max_value=30)),
        st.tuples(st.just("notify"), st.booleans()),
        st.tuples(st.just("lead"), st.sampled_from([24, 48, 72])),
        st.tuples(st.just("withdraw"), st.none()),
        st.tuples(st.just("release"), st.none()),
    ),
    min_size=1, max_size=8,
)


def _check(case: Any, now: Any, *, notify: bool, lead: int, withdrawn: bool, changed_at: Any) -> None:
    from handoff.notices.models import Delivery

    rows = notices(case)
    open_release = [n for n in rows if n.kind.startswith("release.") and n.kind != "release.occurred"
                    and n.status in ("scheduled", "sending")]
    assert len(open_release) <= 1, "one live release notice at most"
    assert not any(n.status in ("sent", "acknowledged") for n in rows), "nothing is sent without a worker"
    assert not Delivery.objects.filter(notice__request=case.request, status="sent").exists()
    booking = case.booking
    booking.refresh_from_db()
    if withdrawn or not notify:
        assert open_release == []
        return
    if booking.released_at is not None:
        assert open_release == []
        assert any(n.missed for n in rows), "a release nobody was told about is a missed notice"
        occurred = [n for n in rows if n.kind == "release.occurred" and n.status != "cancelled"]
        assert [n.release_at for n in occurred] == [booking.released_at]
        return
    if booking.scheduled_release_at is None:
        assert open_release == []
        return
    if booking.scheduled_release_at <= changed_at:
        # law review X7: a scheduled release already past while still booked is stale data, never a
        # "short notice" announcing a time that has gone
        assert open_release == []
        return
    [n] = open_release
    assert n.release_at == booking.scheduled_release_at
    wanted = booking.scheduled_release_at - timedelta(hours=lead)
    if n.kind == "release.advance_notice":
        assert n.due_at == wanted and not n.short_notice
    else:
        assert n.kind == "release.short_notice" and n.short_notice
        assert n.due_at <= changed_at and wanted <= changed_at, "short only when the lead time was already gone"
    for d in n.deliveries.all():
        assert d.status == "pending" and d.next_attempt_at == n.due_at and d.due_at == n.due_at


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=steps)
def test_it_keeps_the_outbox_in_agreement_with_the_facts(ops: list[tuple[str, Any]]) -> None:
    from django.db import transaction

    with time_machine.travel(T0, tick=False) as travel, transaction.atomic():
        _run(travel, ops)
        transaction.set_rollback(True)  # every example starts from an empty outbox


def _run(travel: Any, ops: list[tuple[str, Any]]) -> None:
    world = make_world(webhook_url="http://127.0.0.1:9/hook")
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    notify, lead, withdrawn, now, changed_at = True, 48, False, T0, T0
    for op, arg in ops:
        if withdrawn or case.booking.released_at is not None:
            break
        if op == "move":
            move_release(case, now + timedelta(hours=arg) if arg >= 0 else None)
            changed_at = now
        elif op == "wait":
            now = now + timedelta(hours=arg)
            travel.move_to(now)
        elif op == "notify":
            redecide(case, notify=arg)
            notify, changed_at = arg, now
        elif op == "lead":
            redecide(case, lead_time_hours=arg)
            lead, changed_at = arg, now
        elif op == "withdraw":
            withdraw(case, now)
            withdrawn = True
        elif op == "release":
            release(case, now)
        _check(case, now, notify=notify, lead=lead, withdrawn=withdrawn, changed_at=changed_at)
