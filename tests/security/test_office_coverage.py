"""Review H1, strictly: an office covers only the places it has a coverage row for. An office registered
without `--covers` used to count as covering everywhere, so a jail could record a request naming it for any
county, confidential ones included, and its webhooks and e-mails then carried that county's data."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from handoff.core import clock
from handoff.jurisdictions.models import FederalOffice
from handoff.jurisdictions.services import add_office
from handoff.requests.models import ImmigrationRequest
from tests.access import world as W
from tests.office_coverage import cover
from tests.security.conftest import api


def _paper_request(request_id: str, office: str) -> dict[str, object]:
    return {"request_id": request_id, "kind": "detainer", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "office": office, "facility": W.OTHER_FACILITY, "booking_number": "DAL-LEW-0002",
            "subject": {"last_name": "DoeOther"}}


def test_h1_an_office_without_coverage_covers_nothing(world: W.World) -> None:
    office, _ = add_office("NOCOV", "ICE ERO registered without --covers", email="nocov@example.gov")
    answer = api(Client(), "post", "/requests", world.tokens["other_clerk"], _paper_request("H1-NOCOV-1", "NOCOV"))
    assert answer.status_code == 422 and answer.json()["field"] == "office"
    assert "does not cover" in answer.json()["detail"]
    assert not ImmigrationRequest.objects.filter(request_id="H1-NOCOV-1").exists()
    cover(FederalOffice.objects.get(pk=office.pk), W.OTHER_FIPS)  # once it covers the county, it may
    answer = api(Client(), "post", "/requests", world.tokens["other_clerk"], _paper_request("H1-NOCOV-1", "NOCOV"))
    assert answer.status_code == 201, answer.content
