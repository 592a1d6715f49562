"""The paper-form page carries every field of a request the product models (issue 12 item 2).

Why: a detainer keyed in from a fax left the subject's sex and citizenship, a judge's probable-cause
determination and what the office states about the person (an aggravated-felony conviction, an outstanding
federal felony warrant, a terrorist-screening match) at their defaults. Several places' law turns on exactly
those (Montgomery County on a judicial determination, Connecticut on a terrorist-screening match), so a
request keyed from paper could be decided differently from the same request sent through the API.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client

from handoff.requests.inputs import RequestInput, SubjectInput
from tests.web.conftest import login
from tests.web.test_clerk_day import _entry
from tests.web.world import World

pytestmark = pytest.mark.django_db

#: fields of a request that are not typed from the form: the form's kind follows from which form it is
NOT_TYPED = {"kind", "subject"}


def test_it_has_an_input_for_every_field_a_request_carries(world: World, client: Client) -> None:
    """Read from the request's own definition, so a field added to requests later fails here until the page
    asks for it."""
    login(client, world.users["clerk_la"])
    html = client.get("/requests/new").content.decode()
    wanted = [f.name for f in dataclasses.fields(RequestInput) if f.name not in NOT_TYPED]
    wanted += [f.name for f in dataclasses.fields(SubjectInput)]
    missing = [name for name in wanted if f'name="{name}"' not in html]
    assert missing == []


def test_it_keeps_and_shows_every_field_keyed_from_the_form(world: World, client: Client) -> None:
    from handoff.requests.models import ImmigrationRequest

    login(client, world.users["clerk_la"])
    response = client.post("/requests/new", _entry(
        sex="F", citizenship="Viet Nam", judicial_probable_cause="on", federal_aggravated_felony_conviction="on",
        federal_terrorist_screening_match="on", warrant_type="judicial", warrant_form="Order 24-117",
        basis=["final_order", "statements"], lead_time_hours="72", a_number="A012345678", fbi_number="123456ab7"))
    assert response.status_code == 302, response.content.decode()[:2000]
    req = ImmigrationRequest.objects.get(request_id="FAX-2026-0001")
    assert (req.subject_sex, req.subject_citizenship, req.judicial_probable_cause) == ("F", "Viet Nam", True)
    assert (req.federal_aggravated_felony_conviction, req.federal_outstanding_felony_warrant,
            req.federal_terrorist_screening_match) == (True, False, True)
    assert (req.warrant_type, req.warrant_form, req.lead_time_hours) == ("judicial", "Order 24-117", 72)
    assert req.basis == ["final_order", "statements"] and req.subject_fbi_number == "123456AB7"
    page = client.get("/requests/FAX-2026-0001/").content.decode()
    subject = page.split('data-testid="form-subject">')[1].split("</td>")[0]
    assert "sex F" in subject and "citizenship Viet Nam" in subject and "A012345678" in subject
    assert "judicial probable-cause determination" in page
    assert "aggravated-felony conviction" in page and "terrorist-screening match" in page


@pytest.mark.parametrize("change,field", [({"sex": "Q"}, "sex"), ({"citizenship": "C" * 61}, "citizenship")])
def test_it_refuses_a_bad_sex_or_an_overlong_citizenship_and_saves_nothing(world: World, client: Client,
                                                                          change: dict[str, Any], field: str) -> None:
    from handoff.requests.models import ImmigrationRequest

    login(client, world.users["clerk_la"])
    response = client.post("/requests/new", _entry(**change))
    assert response.status_code == 400 and f'data-testid="error-{field}"' in response.content.decode()
    assert not ImmigrationRequest.objects.filter(request_id="FAX-2026-0001").exists()
