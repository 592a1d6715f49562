"""Scheduling and reconciling notices as the facts change, travelling in time; every notice that leaves goes to a
real receiver that checks its signature."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import (
    Receiver,
    make_case,
    make_world,
    move_release,
    notices,
    redecide,
    release,
    withdraw,
)

pytestmark = pytest.mark.django_db


def _release_notices(case: Any) -> list[Any]:
    return [n for n in notices(case) if n.kind.startswith("release.")]


def test_it_schedules_the_advance_notice_at_release_minus_the_lead_time(travel: Any, receiver: Receiver,
                                                                         worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    [n] = notices(case)
    assert (n.kind, n.status, n.short_notice) == ("release.advance_notice", "scheduled", False)
    assert n.due_at == T0 + timedelta(hours=24)
    assert worker.step() == 0, "nothing leaves before it is due"
    travel.move_to(T0 + timedelta(hours=24))
    assert worker.step() == 1
    [body] = receiver.bodies()
    assert body["type"] == "release.advance_notice"
    assert body["notice_id"] == str(n.uid)
    assert body["request_id"] == case.request.request_id
    assert body["release_at"] == "2025-06-05T16:00:00Z"
    assert body["decision"]["notify"] is True and body["decision"]["lead_time_hours"] == 48
    n.refresh_from_db()
    assert n.status == "sent" and n.lag_ms is not None and n.lag_ms < 2000
    assert timedelta(0) <= n.sent_at - (T0 + timedelta(hours=24)) < timedelta(seconds=2)


def test_it_counts_business_hours_when_the_policy_says_so(travel: Any, receiver: Receiver) -> None:
    world = make_world(webhook_url=receiver.url)
    # release Monday 2025-06-09 09:00 in Los Angeles; 48 business hours before skips the weekend
    case = make_case(world, release_at=T0 + timedelta(days=7), calendar="business")
    [n] = notices(case)
    assert n.due_at == T0 + timedelta(days=3), "two business days back from Monday 09:00 is Thursday 09:00"
    clock_case = make_case(world, release_at=T0 + timedelta(days=7))
    assert notices(clock_case)[0].due_at == T0 + timedelta(days=5)


def test_it_brings_the_due_time_earlier_when_the_release_moves_earlier(travel: Any, receiver: Receiver) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    [before] = notices(case)
    webhook_id = before.deliveries.get().webhook_id
    move_release(case, T0 + timedelta(hours=60))
    [after] = notices(case)
    assert after.pk == before.pk and after.kind == "release.advance_notice"
    assert after.due_at == T0 + timedelta(hours=12)
    delivery = after.deliveries.get()
    assert delivery.webhook_id == webhook_id, "the idempotency key survives a reschedule"
    assert delivery.next_attempt_at == T0 + timedelta(hours=12)


def test_it_sends_a_short_notice_at_once_when_the_release_moves_inside_the_lead_time(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=1))
    move_release(case, T0 + timedelta(hours=11))
    [n] = _release_notices(case)
    assert (n.kind, n.short_notice, n.due_at) == ("release.short_notice", True, T0 + timedelta(hours=1))
    assert worker.step() == 1
    [body] = receiver.bodies()
    assert body["type"] == "release.short_notice" and body["short_notice"] is True
    assert body["release_at"] == "2025-06-03T03:00:00Z"


def test_it_sends_a_short_notice_when_the_first_decision_comes_inside_the_lead_time(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=6))
    [n] = notices(case)
    assert n.kind == "release.short_notice" and n.due_at == T0
    worker.step()
    assert receiver.types() == ["release.short_notice"]


def test_it_pushes_the_due_time_later_when_the_release_moves_later(travel: Any, receiver: Receiver,
                                                                    worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    move_release(case, T0 + timedelta(hours=96))
    [n] = notices(case)
    assert n.due_at == T0 + timedelta(hours=48)
    travel.move_to(T0 + timedelta(hours=24))  # the old due time
    assert worker.step() == 0
    travel.move_to(T0 + timedelta(hours=48))
    assert worker.step() == 1
    assert receiver.bodies()[0]["release_at"] == "2025-06-06T16:00:00Z"


def test_it_cancels_unsent_deliveries_when_the_request_is_withdrawn(travel: Any, receiver: Receiver,
                                                                     worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True)
    withdraw(case, T0 + timedelta(hours=1))
    assert {n.status for n in notices(case)} == {"cancelled"}
    assert {n.cancel_reason for n in notices(case)} == {"request withdrawn"}
    travel.move_to(T0 + timedelta(hours=30))
    assert worker.step() == 0 and receiver.received == []
    assert _release_notices(case)[0].deliveries.get().status == "cancelled"


def test_it_cancels_when_the_decision_no_longer_notifies_and_answers_a_declined_request(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.shift(timedelta(hours=2))
    redecide(case, notify=False, answer_declined=True)
    advance, declined = notices(case)
    assert advance.status == "cancelled" and advance.cancel_reason == "decision no longer notifies"
    assert (declined.kind, declined.status, declined.due_at) == ("request.declined", "scheduled",
                                                                  T0 + timedelta(hours=2))
    assert worker.step() == 1
    assert receiver.types() == ["request.declined"]
    travel.move_to(T0 + timedelta(hours=30))
    assert worker.step() == 0, "the cancelled advance notice never goes out"


def test_it_sends_no_declined_answer_where_the_policy_does_not_ask_for_one(travel: Any, receiver: Receiver,
                                                                           worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), notify=False, answer_declined=False)
    assert notices(case) == []
    assert worker.step() == 0


def test_it_marks_the_notice_missed_and_sends_release_occurred_when_released_from_court(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    from handoff.notices.models import Outcome

    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=3))
    release(case, T0 + timedelta(hours=3), release_type="courtroom")
    advance, occurred = notices(case)
    assert (advance.status, advance.missed) == ("cancelled", True)
    assert (occurred.kind, occurred.due_at, occurred.release_at) == ("release.occurred", T0 + timedelta(hours=3),
                                                                     T0 + timedelta(hours=3))
    assert worker.step() == 1
    assert receiver.types() == ["release.occurred"]
    outcome = Outcome.objects.get(booking=case.booking)
    assert (outcome.kind, outcome.source) == ("released_before_notice", "system")


def test_it_marks_a_release_with_no_release_time_ever_known_as_missed(travel: Any, receiver: Receiver,
                                                                      worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=None)
    assert notices(case) == [], "no release time, nothing to schedule yet"
    release(case, T0 + timedelta(minutes=5))
    advance, occurred = notices(case)
    assert advance.missed and advance.status == "cancelled"
    assert occurred.kind == "release.occurred"
    release(case, T0 + timedelta(minutes=5))  # the same fact again changes nothing
    assert len(notices(case)) == 2


def test_it_sends_nothing_more_when_the_person_is_released_as_the_office_was_told(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=24))
    worker.step()
    travel.move_to(T0 + timedelta(hours=72))
    release(case, T0 + timedelta(hours=72), reason="sentence_served", release_type="scheduled")
    assert [n.kind for n in notices(case)] == ["release.advance_notice"]
    assert not notices(case)[0].missed


def test_it_tells_the_office_when_the_release_came_earlier_than_it_was_told(travel: Any, receiver: Receiver,
                                                                            worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=24))
    worker.step()
    travel.move_to(T0 + timedelta(hours=30))
    release(case, T0 + timedelta(hours=30))
    assert [n.kind for n in notices(case)] == ["release.advance_notice", "release.occurred"]
    worker.step()
    assert receiver.types() == ["release.advance_notice", "release.occurred"]


def test_it_corrects_a_delivered_notice_when_the_release_moves_afterwards(travel: Any, receiver: Receiver,
                                                                         worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=24))
    worker.step()
    first = notices(case)[0]
    travel.move_to(T0 + timedelta(hours=25))
    move_release(case, T0 + timedelta(hours=90))
    first_again, correction = notices(case)
    assert first_again.status == "sent", "what the office holds is never rewritten"
    assert correction.supersedes_id == first.pk and correction.due_at == T0 + timedelta(hours=25)
    assert correction.kind == "release.advance_notice"
    worker.step()
    body = receiver.bodies()[1]
    assert body["supersedes"] == str(first.uid) and body["release_at"] == "2025-06-06T10:00:00Z"


def test_it_corrects_a_notice_that_left_with_the_old_release_time_while_it_was_being_moved(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    travel.move_to(T0 + timedelta(hours=24))
    claim = worker.claim()
    assert claim is not None
    move_release(case, T0 + timedelta(hours=80))  # while the worker holds the old notice
    worker.deliver(claim)
    assert receiver.bodies()[0]["release_at"] == "2025-06-05T16:00:00Z"
    first, correction = notices(case)
    assert first.status == "sent" and first.release_at == T0 + timedelta(hours=72)
    assert correction.supersedes_id == first.pk and correction.release_at == T0 + timedelta(hours=80)
    worker.step()
    assert receiver.bodies()[1]["release_at"] == "2025-06-06T00:00:00Z"


def test_it_holds_the_notice_pending_review_while_a_decision_awaits_review(travel: Any, receiver: Receiver,
                                                                         worker: Any) -> None:
    """Law review X4: a review used to switch every notice off. Now the notice the law would send waits in the
    outbox as pending review (no delivery) and goes out once a supervisor confirms."""
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), review=True, individual_notice=True)
    [n] = notices(case)
    assert (n.kind, n.status, n.due_at) == ("release.advance_notice", "pending_review", T0 + timedelta(hours=24))
    assert n.deliveries.count() == 0
    redecide(case, review=False)
    assert [(n.kind, n.status) for n in notices(case)] == [("release.advance_notice", "scheduled"),
                                                            ("letter.individual", "scheduled")]


def test_it_cancels_the_notice_when_the_release_time_is_no_longer_known(travel: Any, receiver: Receiver) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    move_release(case, None)
    assert notices(case)[0].status == "cancelled"
    move_release(case, T0 + timedelta(hours=80))
    assert [n.status for n in notices(case)] == ["cancelled", "scheduled"]
    assert notices(case)[1].due_at == T0 + timedelta(hours=32)


def test_it_changes_nothing_when_reconciled_again_with_the_same_facts(travel: Any, receiver: Receiver) -> None:
    from django.db import transaction

    from handoff.notices.models import Delivery, Notice
    from handoff.notices.services import reconcile_request

    world = make_world(webhook_url=receiver.url, email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=30), individual_notice=True, attorney_notice=True)
    before = list(Notice.objects.values_list("pk", "kind", "status", "due_at", "updated_at"))
    deliveries = list(Delivery.objects.values_list("pk", "webhook_id", "next_attempt_at"))
    travel.shift(timedelta(minutes=10))
    for _ in range(3):
        with transaction.atomic():
            reconcile_request(case.request, trigger="nothing changed")
    assert list(Notice.objects.values_list("pk", "kind", "status", "due_at", "updated_at")) == before
    assert list(Delivery.objects.values_list("pk", "webhook_id", "next_attempt_at")) == deliveries
    assert len(deliveries) == 2, "one delivery per channel the office has (webhook and e-mail)"


def test_it_writes_letters_when_the_decision_requires_them_and_renews_them_after_handover(
        travel: Any, receiver: Receiver) -> None:
    from handoff.notices.services import record_handover

    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True, attorney_notice=True)
    kinds = [n.kind for n in notices(case)]
    assert kinds == ["release.advance_notice", "letter.individual", "letter.attorney"]
    letter = notices(case)[1]
    assert letter.release_at == T0 + timedelta(hours=72), "the letter repeats the release time ICE is told"
    move_release(case, T0 + timedelta(hours=70))  # not handed over yet: the same letter, new facts
    assert notices(case)[1].pk == letter.pk and notices(case)[1].release_at == T0 + timedelta(hours=70)
    record_handover(letter.uid, language="es", recipient="the person")
    move_release(case, T0 + timedelta(hours=60))
    individual = [n for n in notices(case) if n.kind == "letter.individual"]
    assert [n.status for n in individual] == ["sent", "scheduled"]
    assert individual[1].supersedes_id == letter.pk and individual[1].release_at == T0 + timedelta(hours=60)


def test_it_writes_no_letters_where_the_decision_does_not_require_them(travel: Any, receiver: Receiver) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), notify=False, answer_declined=True)
    assert [n.kind for n in notices(case)] == ["request.declined"]


def test_it_cancels_everything_unsent_when_the_request_loses_its_booking(travel: Any, receiver: Receiver) -> None:
    from django.db import transaction

    from handoff.notices.services import reconcile_request

    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True)
    with transaction.atomic():
        case.request.booking = None
        case.request.current_decision = None
        case.request.status = "review"
        case.request.save()
        reconcile_request(case.request, trigger="match changed")
    assert {n.status for n in notices(case)} == {"cancelled"}


def test_it_cancels_a_failed_notice_when_the_request_is_withdrawn_or_no_longer_notifies(travel: Any) -> None:
    from handoff.notices.models import Notice

    world = make_world()  # an office with no contact at all: its notice fails at once
    withdrawn = make_case(world, release_at=T0 + timedelta(hours=72))
    declined = make_case(world, release_at=T0 + timedelta(hours=72))
    assert [n.status for n in notices(withdrawn) + notices(declined)] == ["failed", "failed"]
    travel.move_to(T0 + timedelta(hours=30))
    withdraw(withdrawn, T0 + timedelta(hours=30))
    redecide(declined, notify=False)
    assert [(n.status, n.cancel_reason) for n in notices(withdrawn)] == [("cancelled", "request withdrawn")]
    assert [(n.status, n.cancel_reason) for n in notices(declined)] == [("cancelled", "decision no longer notifies")]
    assert not Notice.objects.at_risk(T0 + timedelta(hours=30)).exists(), \
        "nothing is owed any more, so nothing is at risk on the dashboard"
