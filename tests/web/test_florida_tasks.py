"""Florida's duties on a detainer become the jail's tasks (Fla. Stat. 908.105(1)(a)-(b), SB 168 of 2019; law
review us-fl 3): where an immigration detainer as 908.102(2) defines it is on file, the agency holding the person
must tell the judge who decides release on bail and record the detainer in the case file. Before, those were
policy settings nothing read; now the decision's reason says the task with its citation and the jail dashboard
lists it while the person is booked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
RULE = "fl-908.105-1-a-b-court-and-file"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def florida(db: None) -> dict[str, Any]:
    """Alachua County's jail under the shipped library (chain us-federal, us-fl), an ICE office and a clerk."""
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    fl = Jurisdiction.objects.create(fips="12", name="Florida", kind="state", parent=us, postal="FL",
                                     default_timezone="America/New_York")
    alachua = Jurisdiction.objects.create(fips="12001", name="Alachua County", kind="county", parent=fl,
                                          postal="FL", default_timezone="America/New_York")
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    facility = Facility.objects.create(code="AL-JAIL", name="Alachua County Jail", jurisdiction=alachua,
                                       timezone="America/New_York")
    office = FederalOffice.objects.create(code="MIA", name="ICE ERO Miami", email="ero-mia@example.gov")
    office.covers.set([alachua])
    clerk = create_user(SYSTEM, "clerk_al", "jail_clerk", facilities=["AL-JAIL"])
    return {"facility": facility, "clerk": clerk}


def _case(florida: dict, n: int, **extra: Any) -> Any:
    from tests.web.world import add_booking, send_request

    booking = add_booking(florida["facility"], last=f"Vega{n}", first="Ana", dob=date(1990, 1, n),
                          release_in=timedelta(days=3))
    return send_request(f"MIA-2025-{n:04d}", booking, "MIA", **extra)


def _reason(req: Any) -> dict[str, Any]:
    return next(r for r in req.current_decision.reasons if r["rule"] == RULE)


def _dashboard(client: Client, florida: dict) -> str:
    from tests.web.conftest import login

    login(client, florida["clerk"])
    html = client.get("/jail/").content.decode()
    return html.split('id="h-tasks"')[1].split('id="h-releases"')[0]


def test_it_puts_the_908_105_duties_in_the_decision_with_their_citation(florida: dict) -> None:
    req = _case(florida, 1)  # an I-247A with an I-200 and a biometric probable-cause basis
    d = req.current_decision
    assert d.hold == "required"
    reason = _reason(req)
    assert reason["holds"] is True and reason["uncertain"] is False
    assert "908.105(1)(a)" in reason["cite"] and "908.105(1)(b)" in reason["cite"]
    assert "judge who decides this person's release on bail" in reason["task"]
    assert "case file" in reason["task"]


def test_it_gives_no_task_for_a_detainer_that_is_not_one_under_908_102(florida: dict, client: Client) -> None:
    """No probable-cause basis on the form: not an immigration detainer under 908.102(2), so no 908.105 duty."""
    from handoff.casework import flow
    from handoff.requests.models import ImmigrationRequest

    req = _case(florida, 2)
    ImmigrationRequest.objects.filter(pk=req.pk).update(basis=[])  # as if keyed in with no box checked
    req.refresh_from_db()
    flow.decide(req, trigger="test: basis removed")
    req.refresh_from_db()
    reason = _reason(req)
    assert reason["holds"] is False and "task" not in reason
    assert req.request_id not in _dashboard(client, florida)


def test_it_lists_the_task_on_the_jail_dashboard_while_the_person_is_booked(florida: dict, client: Client) -> None:
    from handoff.casework import flow

    req = _case(florida, 3)
    section = _dashboard(client, florida)
    assert req.request_id in section and "Vega3" in section
    assert "record the detainer in the person&#x27;s case file" in section
    assert "Fla. Stat. 908.105(1)(a)" in section
    flow.record_release("AL-JAIL", req.booking.booking_number, (NOW - timedelta(minutes=5)).isoformat(), "other", "",
                        source="test")
    assert req.request_id not in _dashboard(client, florida)  # released: the task is no longer the jail's


def test_it_shows_the_task_on_the_request_page(florida: dict, client: Client) -> None:
    from tests.web.conftest import login

    req = _case(florida, 4)
    login(client, florida["clerk"])
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    assert 'data-testid="reason-task"' in html and "Task for the jail:" in html
