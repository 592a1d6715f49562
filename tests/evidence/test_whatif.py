"""`handoff whatif`: real requests replayed under another chain, request by request and in totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from handoff.custody.models import Booking, Person
from handoff.evidence.whatif import parse_chain, replay
from handoff.jurisdictions.models import Jurisdiction, PolicyAssignment

from .conftest import make_request

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    out = StringIO()
    try:
        call_command("whatif", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


@pytest.fixture
def pierce_requests(jails: dict, office: Any) -> list[Any]:
    PolicyAssignment.objects.create(jurisdiction=Jurisdiction.objects.get(fips="us"), policy_id="us-federal")
    PolicyAssignment.objects.create(jurisdiction=Jurisdiction.objects.get(fips="53"), policy_id="us-wa")
    made = []
    t = datetime(2025, 3, 1, 18, tzinfo=UTC)
    for i in range(3):
        p = Person.objects.create(last_name="DOE", first_name=f"J{i}", date_of_birth="1980-01-01")
        b = Booking.objects.create(facility=jails["PIERCE"], booking_number=f"W{i}", person=p,
                                   booked_at=t + timedelta(days=i))
        made.append(make_request(b, office, i, received_at=t + timedelta(days=i, hours=2),
                                 warrant_type="administrative", warrant_form="I-200", basis=["biometric_match"]))
    b = Booking.objects.create(facility=jails["HARRIS"], booking_number="TX1",
                               person=Person.objects.create(last_name="X", first_name="Y", date_of_birth="1980-01-01"),
                               booked_at=t)
    make_request(b, office, 99, received_at=t)  # another state: out of the jurisdiction asked for
    b = Booking.objects.create(facility=jails["PIERCE"], booking_number="H1",
                               person=Person.objects.create(last_name="H", first_name="Z", date_of_birth="1980-01-01"),
                               booked_at=t)
    make_request(b, office, 98, received_at=t, historical=True)  # a jail export's hold: never decided, not replayed
    return made


def test_it_replays_washington_requests_under_texas_law_and_counts_the_holds(pierce_requests: list) -> None:
    code, out, _ = run("--chain", "us-federal,us-tx", "--from", "2025-03-01", "--to", "2025-03-31",
                       "--jurisdiction", "53053", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["chain"] == "us-federal,us-tx" and data["totals"]["requests"] == 3
    assert data["totals"]["changed"] == 3
    assert data["totals"]["hold"]["required"] == {"actual": 0, "whatif": 3}
    assert data["totals"]["notify"]["whatif"] == 3
    first = data["requests"][0]
    assert first["actual"]["hold"] == "prohibited" and first["whatif"]["hold"] == "required"
    assert "hold" in first["differs"]
    assert any(p.startswith("us-wa@") for p in first["actual"]["policies"])
    assert any(p.startswith("us-tx@") for p in first["whatif"]["policies"])
    same = json.loads(run("--chain", "us-federal,us-wa", "--jurisdiction", "53053", "--json")[1])
    assert same["totals"]["changed"] == 0 and same["totals"]["requests"] == 3
    text = run("--chain", "us-federal,us-tx", "--jurisdiction", "53053")[1]
    assert "3 would be decided differently" in text and "prohibited->required" in text


def test_it_pins_the_chain_to_the_law_on_a_date(pierce_requests: list) -> None:
    data = json.loads(run("--chain", "us-federal,us-tx@2018-01-01", "--jurisdiction", "53", "--json")[1])
    assert data["chain"] == "us-federal,us-tx@2018-01-01"
    policies = data["requests"][0]["whatif"]["policies"]
    assert all("0001-01-01" not in p for p in policies)
    tx = [p for p in policies if p.startswith("us-tx@")]
    assert tx and tx[0] <= "us-tx@2018-01-01"


def test_it_refuses_what_it_cannot_replay_and_gives_zeros_for_an_empty_period(pierce_requests: list) -> None:
    assert run("--chain", "us-federal,us-zz", "--json")[0] == 2
    code, _, err = run("--chain", "us-federal,us-tx@1990-01-01", "--json")
    assert code == 2 and "no version in force on 1990-01-01" in err
    assert run("--chain", "us-federal,us-tx@yesterday")[0] == 2
    assert run("--chain", "", "--json")[0] == 2
    empty = json.loads(run("--chain", "us-federal,us-tx", "--from", "2001-01-01", "--to", "2001-12-31", "--json")[1])
    assert empty["totals"]["requests"] == 0 and empty["requests"] == []
    assert parse_chain("us-federal, us-wa @2020-02-29").pinned is not None
    assert replay(parse_chain("us-federal,us-tx"), facilities=[]).totals()["requests"] == 0
