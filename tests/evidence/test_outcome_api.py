"""Jail staff record an outcome through the API (issue 11 item 1): the rule in access/permissions.py, the
request's scope (another county's request does not exist for the caller), bad input as 4xx JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from handoff.access.actor import SYSTEM
from handoff.access.services import create_token
from handoff.audit.models import AuditEvent
from handoff.notices.models import Outcome
from tests.web.world import World

pytestmark = pytest.mark.django_db
PATH = "/api/v1/requests/{}/outcome"


def _post(world: World, who: str, request_id: str, body: dict[str, Any]) -> Any:
    _, token = create_token(SYSTEM, who)
    return Client().post(PATH.format(request_id), body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_records_a_clerks_outcome_for_a_request_of_their_jail(world: World) -> None:
    r = _post(world, "clerk_la", "LOS-2025-0002", {"outcome": "detainer_cancelled", "note": "ICE cancelled by fax"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["request_id"], body["outcome"], body["label"], body["source"]) == (
        "LOS-2025-0002", "detainer_cancelled", "Detainer cancelled", "api")
    o = Outcome.objects.get(request__request_id="LOS-2025-0002")
    assert (o.kind, o.note, o.recorded_by) == ("detainer_cancelled", "ICE cancelled by fax", world.users["clerk_la"])
    entry = AuditEvent.objects.filter(action="outcome.record").latest("seq")
    assert entry.actor.startswith("clerk_la/token:") and entry.outcome == "success"


def test_it_keeps_the_outcome_route_to_the_requests_own_jail(world: World) -> None:
    # another county's clerk: the request does not exist for them
    assert _post(world, "clerk_mc", "LOS-2025-0002", {"outcome": "withdrawn"}).status_code == 404
    # roles outside the rule: the office, county counsel, the auditor
    for who in ("officer_los", "counsel_la", "auditor"):
        assert _post(world, who, "LOS-2025-0002", {"outcome": "withdrawn"}).status_code == 403, who
    assert Client().post(PATH.format("LOS-2025-0002"), {"outcome": "withdrawn"},
                         content_type="application/json").status_code == 401
    assert not Outcome.objects.filter(request__request_id="LOS-2025-0002").exists()
    refused = AuditEvent.objects.filter(action="outcome.record", actor__startswith="clerk_mc/").latest("seq")
    assert refused.outcome == "not_found"


def test_it_answers_bad_outcomes_with_a_4xx_json_reason(world: World) -> None:
    made_up = _post(world, "clerk_la", "LOS-2025-0002", {"outcome": "escaped"})
    assert made_up.status_code in (400, 422) and made_up["Content-Type"].startswith("application/json")
    derived = _post(world, "clerk_la", "LOS-2025-0002", {"outcome": "still_in_custody"})
    assert derived.status_code in (400, 422)
    held = _post(world, "clerk_la", "LOS-2025-0002", {"outcome": "released_ice_not_present"})
    assert held.status_code == 409 and "has not been released" in held.json()["detail"]
    assert not Outcome.objects.filter(request__request_id="LOS-2025-0002").exists()
