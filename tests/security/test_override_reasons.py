"""Review H2 follow-up: a supervisor's override reason is free text, and their user name is a county
employee's. For a reader who gets a confidential place's label (an office that does not cover it), both are
withheld whole, on the current decision and on every earlier one, on the request page and in the API;
redacting the names we know would leave "as the sheriff's pledge of March requires" pointing at one county."""

from __future__ import annotations

import json

from django.test import Client

from handoff.access import scoping
from handoff.access.actor import SYSTEM
from handoff.access.services import create_user
from handoff.casework import flow
from handoff.requests.models import Decision, ImmigrationRequest
from tests.access import world as W
from tests.security.conftest import api, page

REASONS = ["as the sheriff's pledge of March requires (Lt. Ramirez)", "second look: the pledge's carve-out for Okafor"]
SUPERVISOR = "jones.sheriff.supervisor"


def _overridden_twice(world: W.World) -> ImmigrationRequest:
    """The confidential county's request, held by an office that does not cover it (review H1's situation),
    overridden twice by the county's supervisor: the page shows one current and one earlier override."""
    req = world.requests["other"]
    ImmigrationRequest.objects.filter(pk=req.pk).update(office=world.offices[W.OWN_OFFICE])
    type(world.notices["other"]).objects.filter(request=req).update(office=world.offices[W.OWN_OFFICE])
    supervisor = create_user(SYSTEM, SUPERVISOR, "jail_supervisor", jurisdictions=[W.OTHER_FIPS])
    for i, reason in enumerate(REASONS):
        req.refresh_from_db()
        Decision.objects.filter(pk=req.current_decision_id).update(review=True)
        req.refresh_from_db()
        flow.override_decision(req, supervisor, reason, notify=bool(i))
    req.refresh_from_db()
    return req


def _shows_supervisor(text: str) -> list[str]:
    found = [r for r in REASONS if r in text or json.dumps(r)[1:-1] in text]
    found += [w for w in ("Ramirez", "Okafor", "pledge", SUPERVISOR) if w in text]
    return found


def test_h2_override_reasons_and_supervisor_are_withheld_from_a_label_reader(world: W.World) -> None:
    req = _overridden_twice(world)
    html = page(world.users["federal_officer"]).get(f"/requests/{req.request_id}/")
    assert html.status_code == 200
    text = html.content.decode()
    assert _shows_supervisor(text) == [], _shows_supervisor(text)
    assert text.count(scoping.WITHHELD_REASON) == 2  # the current override and the earlier one
    assert "override by a supervisor" in text
    answer = api(Client(), "get", f"/requests/{req.request_id}", world.tokens["federal_officer"])
    assert answer.status_code == 200
    assert _shows_supervisor(answer.content.decode()) == []
    override = answer.json()["request"]["decision"]["override"] if "request" in answer.json() else \
        answer.json()["decision"]["override"]
    assert (override["reason"], override["by"]) == (scoping.WITHHELD_REASON, scoping.WITHHELD_SUPERVISOR)


def test_h2_the_county_still_reads_its_supervisors_reasons(world: W.World) -> None:
    req = _overridden_twice(world)
    text = page(world.users["other_clerk"]).get(f"/requests/{req.request_id}/").content.decode()
    assert all(r.replace("'", "&#x27;") in text for r in REASONS) and SUPERVISOR in text
    answer = api(Client(), "get", f"/requests/{req.request_id}", world.tokens["other_clerk"]).json()
    decision = answer["request"]["decision"] if "request" in answer else answer["decision"]
    assert decision["override"] == {"overrides": decision["override"]["overrides"], "reason": REASONS[1],
                                    "by": SUPERVISOR}
