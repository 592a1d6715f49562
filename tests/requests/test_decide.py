"""Deciding: the law's answer is stored, changes when the facts change, and never grows on a no-op."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from tests.requests.conftest import add_charge, add_conviction, make_booking, make_person, receive

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2025-06-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _matched(place, **booking_kw):
    person = make_person(a_number="A012345678")
    booking = make_booking(place["facility"], person, number="24-001", **booking_kw)
    req = receive(booking_number="24-001").request
    assert req.status == "matched"
    return req, booking, person


def _current(req):
    req.refresh_from_db()
    return req.current_decision


def test_it_decides_under_the_facilitys_chain_of_policies(place):
    req, _, _ = _matched(place)
    d = _current(req)
    assert d.policies == ["t-federal@2017-04-02", "t-state@2018-01-01"]
    # the state prohibition: no listed offence, so no notice, no hold
    assert (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")
    rules = {r["rule"]: r for r in d.reasons}
    assert rules["t-serious-conviction"]["holds"] is False
    assert rules["t-serious-conviction"]["cite"] == "Test Code 1(a)(1)"
    assert d.facts["request"]["warrant"] == {"type": "administrative", "form": "I-200"}


def test_a_conviction_added_changes_the_decision(place):
    req, _, person = _matched(place)
    first = _current(req)
    add_conviction(person, "CA PC 211", date(2012, 5, 1))  # the offence table makes it a serious felony
    second = _current(req)
    assert second.pk != first.pk
    assert second.notify is True and second.attorney_notice is True
    assert second.trigger == "conviction added"
    assert second.facts["convictions"][0]["statute"] == "CA PC 211"


def test_a_charge_disposed_changes_the_decision(place):
    from handoff.casework import flow as services
    from handoff.custody.models import Charge

    req, booking, _ = _matched(place)
    charge = add_charge(booking, "CA PC 211", probable_cause_found=True)
    assert _current(req).notify is True
    Charge.objects.filter(pk=charge.pk).update(disposition="dismissed", disposition_date=date(2025, 6, 2))
    services.on_booking_changed(booking, trigger="charge disposed")
    d = _current(req)
    assert d.notify is False
    assert d.trigger == "charge disposed"
    assert [x.trigger for x in req.decisions.order_by("pk")] == ["request received (test)", "charge added",
                                                                 "charge disposed"]


def test_a_conviction_on_an_earlier_booking_counts(place):
    from handoff.custody.models import Booking, Charge

    person = make_person()
    old = make_booking(place["facility"], person, released_at=datetime.fromisoformat("2024-01-01T00:00+00:00"))
    Charge.objects.create(booking=old, seq=1, statute="CA PC 211", level="felony", disposition="convicted",
                          disposition_date=date(2023, 12, 1))
    current = make_booking(place["facility"], person, number="24-555")
    req = receive(booking_number="24-555").request
    assert Booking.objects.get(pk=current.pk).person_id == person.pk
    assert _current(req).notify is True


def test_a_release_that_becomes_a_courtroom_release_goes_to_review(place):
    from handoff.casework import flow as services
    from handoff.custody.models import Booking

    req, booking, _ = _matched(place)
    Booking.objects.filter(pk=booking.pk).update(release_type="courtroom")
    booking.refresh_from_db()
    services.on_booking_changed(booking, trigger="release type changed")
    d = _current(req)
    assert d.review is True
    assert any(r["uncertain"] and r["holds"] for r in d.reasons)


def test_a_moved_release_time_with_the_same_answer_writes_no_new_decision(place):
    from handoff.casework import flow as services
    from handoff.custody.models import Booking
    from handoff.requests.models import Decision

    req, booking, _ = _matched(place)
    before = Decision.objects.count()
    Booking.objects.filter(pk=booking.pk).update(scheduled_release_at=datetime.fromisoformat("2025-06-20T16:00+00:00"))
    booking.refresh_from_db()
    for _ in range(3):
        services.on_booking_changed(booking, trigger="release moved")
    assert Decision.objects.count() == before


def test_a_withdrawn_request_is_decided_not_to_notify(place):
    from handoff.casework import flow as services

    req, _, person = _matched(place)
    add_conviction(person, "CA PC 211", date(2012, 5, 1))
    assert _current(req).notify is True
    services.withdraw(req.request_id, NOW, source="test")
    d = _current(req)
    assert (d.notify, d.hold, d.transfer, d.individual_notice) == (False, "prohibited", "prohibited", False)
    assert d.trigger == "request withdrawn"
    assert any(r["rule"] == "request-withdrawn" and r["holds"] for r in d.reasons)


def test_a_new_policy_version_taking_effect_is_caught_by_the_daily_recheck(place):
    from handoff.casework import flow as services

    with time_machine.travel(datetime.fromisoformat("2029-12-31T12:00:00+00:00"), tick=False):
        req, booking, _ = _matched(place)
        add_charge(booking, "CA PC 211", probable_cause_found=True)
        d = _current(req)
        assert d.notify is True  # v1: pending serious charge with probable cause
        assert services.recheck().redecided == 0  # nothing changed yet
    with time_machine.travel(datetime.fromisoformat("2030-01-02T12:00:00+00:00"), tick=False):
        result = services.recheck()
        assert (result.checked, result.redecided, result.changed) == (1, 1, 1)
        d = _current(req)
        assert d.policies == ["t-federal@2017-04-02", "t-state@2030-01-01"]
        assert d.notify is False
        assert d.lead_time_hours == 72
        assert d.trigger == "policy version changed"
        assert services.recheck().redecided == 0  # a second run the same day is a no-op


def test_the_daily_recheck_catches_a_lookback_window_closing(place):
    from handoff.casework import flow as services

    req, _, person = _matched(place)
    add_conviction(person, "CA PC 242", date(2020, 6, 3), level="misdemeanor", wobbler=True)
    assert _current(req).notify is True  # within 5 years on 2025-06-02
    with time_machine.travel(datetime.fromisoformat("2025-06-03T12:00:00+00:00"), tick=False):
        assert services.recheck().changed == 0  # exactly five years: still inside (inclusive)
        assert _current(req).notify is True
    with time_machine.travel(datetime.fromisoformat("2025-06-04T12:00:00+00:00"), tick=False):
        assert services.recheck().changed == 1
        d = _current(req)
        assert d.notify is False
        assert d.trigger == "lookback window rolled over"


def test_the_recheck_command_prints_json(place, capsys):
    import json

    from django.core.management import call_command

    _matched(place)
    call_command("requests", "recheck", "--all", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {"checked": 1, "redecided": 1, "changed": 0, "failed": [], "unmatched_checked": 0, "rematched": 0}


def test_an_override_needs_a_reason_and_a_decision_needing_review(place, django_user_model):
    from handoff.casework import flow as services
    from handoff.core.errors import Conflict, InvalidInput
    from handoff.custody.models import Booking

    supervisor = django_user_model.objects.create_user("supervisor")
    req, booking, _ = _matched(place)
    with pytest.raises(Conflict):
        services.override_decision(req, supervisor, "I say so", notify=True)  # the law decided; no review
    Booking.objects.filter(pk=booking.pk).update(release_type="courtroom")
    booking.refresh_from_db()
    services.on_booking_changed(booking, trigger="release type changed")
    req.refresh_from_db()
    reviewed = req.current_decision
    assert reviewed.review is True
    for blank in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            services.override_decision(req, supervisor, blank, notify=False)
        assert exc.value.field == "reason"
    row = services.override_decision(req, supervisor, "County counsel: no advance notice on courtroom releases",
                                     notify=False)
    assert (row.notify, row.review, row.overrides_id, row.override_by) == (False, False, reviewed.pk, supervisor)
    assert row.reasons == reviewed.reasons
    # the same facts again: the override stands
    services.on_booking_changed(booking, trigger="nothing new")
    assert _current(req).pk == row.pk
    # the facts change the law's answer: the override no longer applies
    Booking.objects.filter(pk=booking.pk).update(release_type="scheduled")
    booking.refresh_from_db()
    services.on_booking_changed(booking, trigger="release type changed back")
    d = _current(req)
    assert d.pk != row.pk and d.overrides_id is None and d.review is False


def test_decide_refuses_an_unmatched_request(place):
    from handoff.casework import flow as services
    from handoff.core.errors import Conflict

    req = receive(subject={"a_number": "A099999999"}).request
    with pytest.raises(Conflict):
        services.decide(req, trigger="test")


def test_lawful_status_proven_changes_the_federal_baseline(place):
    from handoff.casework import flow as services
    from handoff.jurisdictions.models import PolicyAssignment

    # a state with no detainer law: the federal baseline shows through (without any state policy on file the
    # answer would be "no policy on file for this place and date", review)
    PolicyAssignment.objects.filter(policy_id="t-state").update(policy_id="t-neutral")
    req, _, person = _matched(place)
    assert _current(req).notify is True
    person.lawful_status_proven = True
    person.save()
    services.on_person_changed(person, trigger="lawful status proven")
    assert _current(req).notify is False


def test_a_release_moved_through_custody_moves_the_notice_but_not_the_decision(place):
    """The real path: custody's booking service calls on_booking_changed; the advance notice follows the
    new release time, and the law's answer (unchanged) writes no new decision."""
    from handoff.casework import flow as custody
    from handoff.notices.models import Notice, NoticeKind
    from handoff.requests.models import Decision

    record = {"facility": "LA-MCJ", "booking_number": "24-900", "booked_at": "2025-05-01T10:00:00",
              "last_name": "Roe", "first_name": "Rita", "date_of_birth": "1980-02-02",
              "scheduled_release_at": "2025-06-20T09:00:00", "release_type": "scheduled"}
    custody.upsert_booking(record, source="test")
    custody.add_conviction({"last_name": "Roe", "first_name": "Rita", "date_of_birth": "1980-02-02",
                            "statute": "CA PC 211", "level": "felony", "convicted_on": "2012-01-01"},
                           source="test")
    req = receive(booking_number="24-900",
                  subject={"last_name": "Roe", "first_name": "Rita", "date_of_birth": "1980-02-02"}).request
    assert _current(req).notify is True
    decisions = Decision.objects.filter(request=req).count()
    advance = Notice.objects.filter(request=req, kind=NoticeKind.ADVANCE, cancelled_at__isnull=True)
    assert [n.release_at for n in advance] == [datetime.fromisoformat("2025-06-20T16:00:00+00:00")]
    custody.upsert_booking(dict(record, scheduled_release_at="2025-06-25T09:00:00"), source="test")
    assert Decision.objects.filter(request=req).count() == decisions
    advance = Notice.objects.filter(request=req, kind=NoticeKind.ADVANCE, cancelled_at__isnull=True)
    assert [n.release_at for n in advance] == [datetime.fromisoformat("2025-06-25T16:00:00+00:00")]
