"""Review M8: filing a request id tells the writer nothing about other counties.

Why the ids are unique per (office, facility) and not system-wide: with one system-wide namespace, filing an
id another county held answered 403 or 404 while a free id answered 201, so a clerk could test which ids
exist elsewhere. Now everyone who may file into one namespace (that office's officers, that facility's
clerks) sees all of it. These tests file a taken id and a free id side by side and compare every part of the
answer a writer can observe: status, body, the page shown, what a second filing says, what they can read
afterwards, and that the other county's request is untouched. The world (tests/access/world.py): Los Angeles
(LA-MCJ, office LOS) and Dallas (DAL-LEW, office HOU), Dallas's cooperation confidential.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from handoff.casework import flow
from handoff.core import clock
from handoff.core.errors import Conflict
from handoff.requests.inputs import RequestInput, SubjectInput
from handoff.requests.models import ImmigrationRequest, RequestStatus
from handoff.requests.services import find
from tests.access import world as W
from tests.security.conftest import api, page

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHARED = "LOS-SHARED-0001"  # an id office LOS already used at Dallas's jail


def _dallas_request_from_los(world: W.World) -> ImmigrationRequest:
    """The hard case: one office covers both counties, and holds SHARED at the Dallas jail (Los Angeles's
    clerk cannot see it). With per-office ids alone, the clerk would still learn it exists."""
    world.offices[W.OWN_OFFICE].covers.add(world.jurisdictions[W.OTHER_FIPS])
    data = RequestInput(request_id=SHARED, kind="notification", issued_at=clock.now() - timedelta(hours=2),
                        office=W.OWN_OFFICE, facility=W.OTHER_FACILITY,
                        subject=SubjectInput(last_name="Dallasperson", a_number="A099999999"))
    return flow.receive(data, source="test").request


ISSUED = "2026-01-05T09:30:00+00:00"


def _body(request_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "kind": "notification", "issued_at": ISSUED, "office": W.OWN_OFFICE,
            "facility": W.OWN_FACILITY, "subject": {"last_name": "Probe", "a_number": "A012345678"}}


def _shape(answer: Any) -> tuple[int, str, list[str]]:
    data = answer.json()
    return answer.status_code, data.get("outcome", data.get("error")), sorted(data.get("request", data))


def test_m8_filing_a_taken_id_answers_as_filing_a_free_one_on_the_api(world: W.World) -> None:
    """Los Angeles's clerk files the id LOS holds in Dallas and a free id: both are created (201), the same
    answer in every field; filing each again is `unchanged` for both; the Dallas request is untouched."""
    theirs = _dallas_request_from_los(world)
    before = ImmigrationRequest.objects.filter(pk=theirs.pk).values().get()
    token = world.tokens["jail_clerk"]
    taken = api(Client(), "post", "/requests", token, _body(SHARED))
    free = api(Client(), "post", "/requests", token, _body("LOS-FREE-0001"))
    assert _shape(taken) == _shape(free) and taken.status_code == 201, (taken.content, free.content)
    assert taken.json()["request"]["facility"]["code"] == free.json()["request"]["facility"]["code"] == W.OWN_FACILITY
    again = [api(Client(), "post", "/requests", token, _body(rid)) for rid in (SHARED, "LOS-FREE-0001")]
    assert _shape(again[0]) == _shape(again[1]) and again[0].json()["outcome"] == "unchanged"
    # what the clerk reads afterwards is its own request, in both cases
    mine = api(Client(), "get", f"/requests/{SHARED}", token)
    assert mine.status_code == 200 and mine.json()["subject"]["last_name"] == "Probe"
    assert "Dallasperson" not in mine.content.decode()
    assert ImmigrationRequest.objects.filter(pk=theirs.pk).values().get() == before
    # another county's id from another office (the review's HC-REQ-1 probe) is no different
    hou = world.requests["other"].request_id
    other_office = api(Client(), "post", "/requests", token, _body(hou))
    assert _shape(other_office) == _shape(free)


def test_m8_filing_a_taken_id_answers_as_filing_a_free_one_on_the_clerks_form(world: W.World) -> None:
    """The keyed-in fax: the taken id and the free id both lead to the new request's page with the same
    message; neither says "already recorded"."""
    _dallas_request_from_los(world)
    client = page(world.users["jail_clerk"])

    def enter(request_id: str) -> Any:
        return client.post("/requests/new", {
            "form": "I-247N", "request_id": request_id, "facility": W.OWN_FACILITY, "office": W.OWN_OFFICE,
            "issued_at": (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "booking_number": "",
            "last_name": "Probe", "first_name": "Pat", "date_of_birth": "1990-01-01", "a_number": "",
            "fbi_number": "", "warrant_type": "none", "warrant_form": "", "basis": ["biometric_match"],
            "lead_time_hours": "48", "scan": SimpleUploadedFile("fax.pdf", PDF, content_type="application/pdf")})

    taken, free = enter(SHARED), enter("LOS-FREE-0002")
    assert taken.status_code == free.status_code == 302, (taken.content.decode()[:2000])
    assert (taken["Location"], free["Location"]) == (f"/requests/{SHARED}/", "/requests/LOS-FREE-0002/")
    shown = [client.get(r["Location"]).content.decode() for r in (taken, free)]
    assert "Dallasperson" not in shown[0] and "Probe" in shown[0] and "Probe" in shown[1]
    # the same number again from the same office for the same jail is the one thing refused, for both alike
    again = [enter(SHARED), enter("LOS-FREE-0002")]
    assert [a.status_code for a in again] == [400, 400]
    assert all("already recorded" in a.content.decode() for a in again)


def test_m8_a_reader_who_sees_one_id_twice_names_the_office_and_facility(world: W.World) -> None:
    """A jail that got the same number from two offices sees two requests: the API answers 409 until the
    office and facility are named, the page offers both, and naming the office alone is enough when it tells
    them apart."""
    world.offices[W.OTHER_OFFICE].covers.add(world.jurisdictions[W.OWN_FIPS])
    token = world.tokens["jail_clerk"]
    for office in (W.OWN_OFFICE, W.OTHER_OFFICE):
        assert api(Client(), "post", "/requests", token, {**_body("TWICE-1"), "office": office}).status_code == 201
    both = api(Client(), "get", "/requests/TWICE-1", token)
    assert both.status_code == 409 and both.json()["error"] == "conflict"
    named = api(Client(), "get", f"/requests/TWICE-1?office={W.OTHER_OFFICE}&facility={W.OWN_FACILITY}", token)
    assert named.status_code == 200 and named.json()["office"]["code"] == W.OTHER_OFFICE
    officer = api(Client(), "get", f"/requests/TWICE-1?office={W.OWN_OFFICE}", world.tokens["federal_officer"])
    assert officer.status_code == 200 and officer.json()["office"]["code"] == W.OWN_OFFICE
    client = page(world.users["jail_clerk"])
    choose = client.get("/requests/TWICE-1/")
    assert choose.status_code == 409
    links = [f"/requests/TWICE-1/?office={o}&amp;facility={W.OWN_FACILITY}" for o in (W.OWN_OFFICE, W.OTHER_OFFICE)]
    assert all(link in choose.content.decode() for link in links)
    chosen = client.get(f"/requests/TWICE-1/?office={W.OTHER_OFFICE}&facility={W.OWN_FACILITY}")
    assert chosen.status_code == 200 and "ICE ERO Houston" in chosen.content.decode()
    # withdrawing one withdraws that one only
    withdrawn = api(Client(), "post", f"/requests/TWICE-1/withdraw?office={W.OTHER_OFFICE}&facility={W.OWN_FACILITY}",
                    token, {"withdrawn_at": clock.now().isoformat()})
    assert withdrawn.status_code == 200
    statuses = dict(ImmigrationRequest.objects.filter(request_id="TWICE-1").values_list("office__code", "status"))
    assert statuses == {W.OWN_OFFICE: RequestStatus.WAITING, W.OTHER_OFFICE: RequestStatus.WITHDRAWN}


def test_m8_an_import_of_withdrawals_names_the_office_and_facility_when_an_id_is_not_unique(
        world: W.World, tmp_path: Any) -> None:
    """A withdrawals file row whose id two requests carry is rejected with the reason, and taken when its
    office and facility columns say which; nothing is withdrawn by guess."""
    from django.core.management import call_command

    world.offices[W.OTHER_OFFICE].covers.add(world.jurisdictions[W.OWN_FIPS])
    for office in (W.OWN_OFFICE, W.OTHER_OFFICE):
        flow.receive(RequestInput(request_id="TWICE-2", kind="notification", issued_at=clock.now() - timedelta(hours=1),
                                  office=office, facility=W.OWN_FACILITY,
                                  subject=SubjectInput(last_name="Probe", a_number="A012345678")), source="test")
    with pytest.raises(Conflict):
        find("TWICE-2")
    when = clock.now().isoformat()
    path = tmp_path / "w.csv"
    path.write_text(f"request_id,withdrawn_at,office,facility\nTWICE-2,{when},,\n"
                    f"TWICE-2,{when},{W.OTHER_OFFICE},{W.OWN_FACILITY}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_code:  # one row rejected: exit 1
        call_command("ingest", "withdrawals", str(path), "--json", "--rejects", str(tmp_path / "r.csv"))
    assert exit_code.value.code == 1
    assert "give the office and the facility" in (tmp_path / "r.csv").read_text(encoding="utf-8")
    statuses = dict(ImmigrationRequest.objects.filter(request_id="TWICE-2").values_list("office__code", "status"))
    assert statuses == {W.OWN_OFFICE: RequestStatus.WAITING, W.OTHER_OFFICE: RequestStatus.WITHDRAWN}
