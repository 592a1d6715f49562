"""`handoff decision show`: the text a county counsel reads, and the JSON other systems read."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.requests.conftest import add_conviction, make_booking, make_person, receive

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2025-06-02T12:00:00+00:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def decided(place):
    person = make_person(a_number="A012345678")
    make_booking(place["facility"], person, number="24-001")
    req = receive(booking_number="24-001", request_id="ICE-2025-0001").request
    add_conviction(person, "CA PC 211", date(2012, 5, 1))
    req.refresh_from_db()
    return req


def _run(*args: str) -> tuple[str, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("decision", *args, stdout=out)
    except SystemExit as exc:
        return out.getvalue(), int(exc.code or 0)
    return out.getvalue(), 0


def test_it_prints_the_decision_json_of_interfaces_md(decided):
    out, code = _run("show", "ICE-2025-0001", "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("request_id", "policies", "evaluated_at", "notify", "hold", "transfer", "individual_notice",
                "attorney_notice", "lead_time_hours", "review", "reasons"):
        assert key in d
    assert d["request_id"] == "ICE-2025-0001"
    assert d["policies"] == ["t-federal@2017-04-02", "t-state@2018-01-01"]
    assert (d["notify"], d["hold"], d["transfer"]) == (True, "prohibited", "prohibited")
    assert d["lead_time_hours"] == 48 and d["calendar"] == "clock"
    assert datetime.fromisoformat(d["evaluated_at"]) == NOW
    for r in d["reasons"]:
        assert set(r) >= {"rule", "cite", "holds", "detail"}
    held = [r for r in d["reasons"] if r["holds"]]
    assert "t-serious-conviction" in [r["rule"] for r in held]
    assert "t-pending-charge" not in [r["rule"] for r in held]
    assert d["override"] is None


def test_it_explains_the_decision_in_words(decided):
    out, code = _run("show", "ICE-2025-0001")
    assert code == 0
    assert "Request ICE-2025-0001" in out
    assert "Detainer (Form I-247A)" in out
    assert "Warrant:     administrative (signed by an immigration officer, not a judge); form I-200" in out
    assert "Los Angeles County, California (06037)" in out
    assert "Source: Test Act v1" in out
    assert "t-state, version in force since 2018-01-01" in out
    assert "Notify the federal office before release:  YES - at least 48 hours before release" in out
    assert "Hold past release:                         PROHIBITED" in out
    assert "[HELD    ] t-state t-serious-conviction" in out
    assert "Citation: Test Code 1(a)(1)" in out
    assert "Convicted of a serious felony." in out
    assert "[not held] t-state t-pending-charge" in out
    assert "No pending serious felony charge with a probable-cause finding." in out
    assert "CA PC 211 (felony), convicted 2012-05-01 in CA" in out
    assert "HISTORY OF ANSWERS" in out  # received -> conviction added
    assert "(conviction added)" in out
    assert "PDT" in out  # times in the facility's zone


def test_it_shows_an_override_with_its_reason(place, django_user_model):
    from handoff.casework import flow as services
    from handoff.custody.models import Booking

    booking = make_booking(place["facility"], number="24-009", release_type="courtroom")
    req = receive(booking_number="24-009", request_id="ICE-2025-0009").request
    req.refresh_from_db()
    assert req.current_decision.review is True
    out, _ = _run("show", "ICE-2025-0009")
    assert "UNCERTAIN LAW, and it holds" in out
    assert "Needs review by a person:                  YES" in out
    user = django_user_model.objects.create_user("sgt.lee")
    services.override_decision(req, user, "Counsel memo 2025-14: no courtroom notices", notify=False)
    out, _ = _run("show", "ICE-2025-0009")
    assert "OVERRIDE" in out
    assert "A supervisor (sgt.lee)" in out
    assert "Reason given: Counsel memo 2025-14: no courtroom notices" in out
    assert "Changed notify: True -> False" in out
    d = json.loads(_run("show", "ICE-2025-0009", "--json")[0])
    assert d["override"]["reason"] == "Counsel memo 2025-14: no courtroom notices"
    assert d["override"]["by"] == "sgt.lee"
    assert Booking.objects.get(pk=booking.pk).release_type == "courtroom"


def test_it_lists_the_candidates_of_a_request_in_review_and_exits_1(place):
    make_booking(place["facility"], make_person(a_number="A012345678"), number="24-100")
    make_booking(place["facility"], make_person(a_number="A012345678", first_name="Juan"), number="24-101")
    receive(request_id="ICE-2025-0100", subject={"a_number": "A012345678"})
    out, code = _run("show", "ICE-2025-0100")
    assert code == 1
    assert "NO DECISION YET" in out
    assert "booking 24-100" in out and "booking 24-101" in out
    out, code = _run("show", "ICE-2025-0100", "--json")
    assert code == 1
    assert json.loads(out)["status"] == "review"


def test_an_unknown_request_is_a_usage_error(place):
    with pytest.raises(CommandError) as exc:
        call_command("decision", "show", "NOPE")
    assert exc.value.returncode == 2
