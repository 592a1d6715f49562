"""The evidence pages: jail staff record an outcome (validated, audited, scoped); county counsel replay
their own jurisdiction's requests (permission rule, scope, audit)."""

from __future__ import annotations

import pytest
from django.test import Client

from handoff.audit.models import AuditEvent
from handoff.jurisdictions.models import Jurisdiction, PolicyAssignment
from handoff.notices.models import Outcome
from tests.web.conftest import login
from tests.web.world import World

pytestmark = pytest.mark.django_db
URL = "/requests/LOS-2025-0002/outcome/record"


def test_it_lets_a_clerk_record_how_a_request_ended_with_an_audit_entry(world: World) -> None:
    c = login(Client(), world.users["clerk_la"])
    page = c.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Detainer cancelled" in html and "Still in custody" in html and 'class="usa-radio__input"' in html
    done = c.post(URL, {"outcome": "detainer_cancelled", "note": "ICE cancelled by phone"})
    assert done.status_code == 302 and done["Location"] == "/requests/LOS-2025-0002/"
    o = Outcome.objects.get(request__request_id="LOS-2025-0002")
    assert (o.kind, o.source, o.note, o.recorded_by) == ("detainer_cancelled", "staff", "ICE cancelled by phone",
                                                         world.users["clerk_la"])
    entry = AuditEvent.objects.filter(action="outcome.record").latest("seq")
    assert entry.object_ids[0] == "LOS-2025-0002" and entry.actor == "clerk_la"


def test_it_refuses_a_bad_outcome_with_the_reason_on_the_page(world: World) -> None:
    c = login(Client(), world.users["clerk_la"])
    missing = c.post(URL, {"outcome": ""})
    assert missing.status_code == 400 and "Choose how the request ended." in missing.content.decode()
    made_up = c.post(URL, {"outcome": "escaped"})
    assert made_up.status_code == 400 and "Choose one of the outcomes listed." in made_up.content.decode()
    derived = c.post(URL, {"outcome": "still_in_custody"})
    assert derived.status_code == 400
    early = c.post(URL, {"outcome": "released_ice_not_present"})
    assert early.status_code == 400 and "has not been released" in early.content.decode()
    assert not Outcome.objects.filter(request__request_id="LOS-2025-0002").exists()


def test_it_keeps_other_jails_and_roles_out(world: World) -> None:
    assert login(Client(), world.users["clerk_mc"]).get(URL).status_code == 404  # not in scope: not found
    assert login(Client(), world.users["counsel_la"]).get(URL).status_code == 403  # reads, never records
    assert login(Client(), world.users["officer_los"]).post(URL, {"outcome": "withdrawn"}).status_code == 403
    assert Client().get(URL).status_code in (302, 403)


@pytest.fixture
def with_law(world: World) -> World:
    for fips, pid in (("us", "us-federal"), ("06", "us-ca")):
        PolicyAssignment.objects.get_or_create(jurisdiction=Jurisdiction.objects.get(fips=fips), policy_id=pid)
    return world


def test_it_shows_counsel_their_own_requests_replayed_under_another_law(with_law: World) -> None:
    c = login(Client(), with_law.users["counsel_la"])
    empty = c.get("/counsel/whatif")
    assert empty.status_code == 200 and "What if another law had applied?" in empty.content.decode()
    page = c.get("/counsel/whatif", {"chain": "us-federal,us-tx"})
    html = page.content.decode()
    assert page.status_code == 200 and "Under us-federal,us-tx" in html
    assert "LOS-2025-0001" in html or "LOS-2025-0002" in html
    assert "BAL-2025-0001" not in html and "HOU-2025-0001" not in html  # other jurisdictions stay out
    entry = AuditEvent.objects.filter(action="whatif.view").latest("seq")
    assert entry.actor == "counsel_la" and all(i.startswith("LOS-") for i in entry.object_ids)
    bad = c.get("/counsel/whatif", {"chain": "us-federal,us-zz", "start": "2025-02-01", "end": "2025-01-01"})
    text = bad.content.decode()
    assert bad.status_code == 400 and "unknown policy us-zz" in text and "on or after the first day" in text


def test_it_keeps_the_whatif_page_to_counsel(world: World) -> None:
    for name in ("clerk_la", "officer_los", "auditor"):
        assert login(Client(), world.users[name]).get("/counsel/whatif").status_code == 403, name
    assert login(Client(), world.users["admin"]).get("/counsel/whatif").status_code == 200


def test_it_takes_a_clerk_from_the_request_page_to_the_outcome_page(world: World) -> None:
    c = login(Client(), world.users["clerk_la"])
    html = c.get("/requests/LOS-2025-0002/").content.decode()
    assert "How the request ended" in html and "Still in custody" in html
    assert f'href="{URL}"' in html  # reachable from the request page
    assert c.post(URL, {"outcome": "withdrawn"}).status_code == 302
    html = c.get("/requests/LOS-2025-0002/").content.decode()
    assert "<strong>Withdrawn</strong> (recorded)" in html
    officer = login(Client(), world.users["officer_los"]).get("/requests/LOS-2025-0002/").content.decode()
    assert f'href="{URL}"' not in officer


def test_it_offers_the_office_every_outcome_it_may_record_and_refuses_one_before_release(world: World) -> None:
    from handoff.core import clock
    from handoff.evidence.outcomes import LABELS, RECORDABLE

    c = login(Client(), world.users["officer_los"])
    booking = world.requests["notify"].booking
    booking.released_at = clock.now()
    booking.save(update_fields=["released_at"])
    html = c.get("/office/").content.decode()
    for kind in RECORDABLE:  # all six: a released person's request can have ended any of these ways
        assert f'<option value="{kind}"' in html and LABELS[kind] in html, kind
    assert 'value="still_in_custody"' not in html
    # security review M14: not for a person the jail still holds
    c.post("/requests/LOS-2025-0002/outcome", {"outcome": "transferred_to_ice"})
    assert not Outcome.objects.filter(request__request_id="LOS-2025-0002").exists()
    assert c.post("/requests/LOS-2025-0001/outcome", {"outcome": "released_ice_not_present"}).status_code == 302
    assert Outcome.objects.get(request__request_id="LOS-2025-0001").kind == "released_ice_not_present"
