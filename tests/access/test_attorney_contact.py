"""The attorney or designee of a booked person (TRUTH Act copies, Cal. Gov. Code 7283.1(b)): jail staff record
it on a page and through the API, audited; a federal officer sees nothing of it on any channel (API, page,
notices list, office CSV, office dashboard, request page) and is answered 404, exactly as for a booking that
does not exist. The webhook and e-mail channels are in tests/notices/test_attorney_email.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.access import world as W

pytestmark = pytest.mark.django_db

LAWYER = "dana.counsel@lawyers.example"


def _api(token: str, method: str, path: str, body: Any = None) -> Any:
    c = Client()
    if method == "GET":
        return c.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
    return c.post(f"/api/v1{path}", body or {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _with_contact(world: W.World) -> Any:
    """The own booking with a recorded attorney and an e-mailed copy in the outbox."""
    from handoff.casework import flow
    from handoff.custody import contacts
    from handoff.notices.models import Notice

    booking = world.bookings["own"]
    flow.set_attorney_contact(booking, contacts.validate({"name": "Dana Counsel", "email": LAWYER}),
                              source="test:clerk")
    req = world.requests["own"]
    Notice.objects.create(kind="email.attorney", request=req, decision=req.current_decision, office=req.office,
                          booking=booking, due_at=req.received_at)
    return booking


def _path(booking: Any) -> str:
    return f"/bookings/{booking.facility.code}/{booking.booking_number}/attorney"


def test_it_records_the_attorney_through_the_api_for_jail_staff_and_audits_it(world: W.World) -> None:
    from handoff.audit.models import AuditEvent

    booking = world.bookings["own"]
    token = world.tokens["jail_clerk"]
    assert _api(token, "GET", _path(booking)).json()["contact"] is None
    r = _api(token, "POST", _path(booking), {"relation": "designee", "name": "Rosa Roe", "email": LAWYER,
                                             "phone": "+1 213 555 0100"})
    assert r.status_code == 200, r.content
    assert r.json()["contact"]["relation"] == "designee" and r.json()["changed_fields"] == ["email", "name",
                                                                                          "phone", "relation"]
    assert _api(token, "GET", _path(booking)).json()["contact"]["email"] == LAWYER
    again = _api(token, "POST", _path(booking), {"relation": "designee", "name": "Rosa Roe", "email": LAWYER,
                                                 "phone": "+1 213 555 0100"})
    assert again.json()["changed_fields"] == [], "the same contact again changes nothing"
    bad = _api(token, "POST", _path(booking), {"name": "Rosa Roe"})
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    assert _api(token, "POST", _path(booking), {"name": "Rosa", "email": "nope"}).status_code == 422
    actions = list(AuditEvent.objects.filter(action__startswith="attorney.").values_list("action", "outcome"))
    assert ("attorney.set", "success") in actions and ("attorney.read", "success") in actions
    assert any(a == "attorney.set" and o != "success" for a, o in actions), "a refusal is audited too"
    assert LAWYER not in str(list(AuditEvent.objects.values_list("detail", flat=True))), "no address in the log"


def test_it_answers_a_federal_officer_404_for_the_attorney_on_every_door(world: W.World) -> None:
    booking = _with_contact(world)
    token = world.tokens["federal_officer"]
    missing = f"/bookings/{booking.facility.code}/NO-SUCH-BOOKING/attorney"
    for method in ("GET", "POST"):
        for path in (_path(booking), missing):
            r = _api(token, method, path, {"name": "X", "email": "x@example.gov"})
            assert r.status_code == 404, (method, path, r.status_code)
    listed = _api(token, "GET", "/notices")
    assert listed.status_code == 200
    kinds = {n["kind"] for n in listed.json()["notices"]}
    assert kinds and "email.attorney" not in kinds and not any(k.startswith("letter.") for k in kinds)
    assert LAWYER not in listed.content.decode()
    request = _api(token, "GET", f"/requests/{world.requests['own'].request_id}")
    assert request.status_code == 200 and "email.attorney" not in request.content.decode()
    assert LAWYER not in request.content.decode() and "Dana Counsel" not in request.content.decode()


def test_it_shows_the_attorney_page_to_jail_staff_only(world: W.World) -> None:
    from handoff.audit.models import AuditEvent

    booking = _with_contact(world)
    officer = Client()
    W.verified_login(officer, world.users["federal_officer"])
    assert officer.get(f"{_path(booking)}").status_code == 404
    assert officer.post(f"{_path(booking)}", {"name": "X", "email": "x@example.gov",
                                              "relation": "attorney"}).status_code == 404
    for page in ("/office/", "/office/requests", "/office/requests.csv",
                 f"/requests/{world.requests['own'].request_id}/"):
        body = officer.get(page).content.decode()
        assert LAWYER not in body and "Dana Counsel" not in body and "email.attorney" not in body, page
    clerk = Client()
    W.verified_login(clerk, world.users["jail_clerk"])
    page = clerk.get(_path(booking))
    assert page.status_code == 200 and "Dana Counsel" in page.content.decode()
    refused = clerk.post(_path(booking), {"relation": "attorney", "name": "Dana Counsel", "email": "",
                                          "address": ""})
    assert refused.status_code == 400 and "Give an e-mail address or a postal address" in refused.content.decode()
    assert 'aria-invalid="true"' in refused.content.decode()
    saved = clerk.post(_path(booking), {"relation": "attorney", "name": "Dana Counsel", "email": "",
                                        "address": "1 Main St\nLos Angeles CA 90012"})
    assert saved.status_code == 302
    assert AuditEvent.objects.filter(action="attorney.set", outcome="success").exists()
    assert "1 Main St" in clerk.get(_path(booking)).content.decode()
