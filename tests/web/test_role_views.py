"""Each role's missing view (issue 12 item 4): the officer's list of all the office's requests, counsel's
overrides and their county's audit log, the auditor's export, and the public's front page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from handoff.core import clock
from tests.web.conftest import login
from tests.web.world import World


def _row(html: str, request_id: str) -> str:
    return next(r for r in html.split("<tr>") if f">{request_id}<" in r).split("</tr>")[0]


@pytest.mark.django_db
def test_it_lists_every_request_of_the_office_with_status_decision_and_reason(world: World, client: Client) -> None:
    login(client, world.users["officer_los"])
    html = client.get("/office/requests").content.decode()
    for key in ("notify", "declined", "review", "uncertain"):
        assert world.requests[key].request_id in html
    assert "HOU-2025-0001" not in html and "BAL-2025-0001" not in html  # other offices' requests
    declined = client.get("/office/requests?decision=declined").content.decode()
    assert world.requests["declined"].request_id in declined and world.requests["notify"].request_id not in declined
    assert "Declined" in declined
    row = _row(declined, world.requests["declined"].request_id)
    # the reason, cited (the deciding policy is the most specific in the chain: Los Angeles County's, on us-ca)
    assert "none of these held" in row and "Cal. Gov. Code 7282.5(a)(1)" in row, row
    # a match under review reads "waiting" to the office (C1), and nothing of the booking shows
    assert world.requests["review"].booking_number == ""
    review_row = _row(html, world.requests["review"].request_id)
    assert "Waiting for booking" in review_row and "Smith" not in review_row


@pytest.mark.django_db
def test_it_lists_overrides_for_counsel_with_the_reason(world: World, client: Client) -> None:
    from handoff.casework import flow

    req = world.requests["uncertain"]
    flow.override_decision(req, world.users["super_la"], "Burglary record checked: first degree, a felony",
                           notify=True)
    login(client, world.users["counsel_la"])
    html = client.get("/counsel/overrides").content.decode()
    assert req.request_id in html and "Burglary record checked" in html and "super_la" in html
    assert client.get("/counsel/overrides").status_code == 200
    officer = login(Client(), world.users["officer_los"])
    assert officer.get("/counsel/overrides").status_code == 403


@pytest.mark.django_db
def test_it_shows_counsel_the_audit_log_of_their_county_only(world: World, client: Client) -> None:
    login(Client(), world.users["clerk_la"]).get(f"/requests/{world.requests['notify'].request_id}/")
    login(Client(), world.users["clerk_mc"]).get(f"/requests/{world.requests['montgomery'].request_id}/")
    login(client, world.users["counsel_la"])
    response = client.get("/audit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "clerk_la" in html and "clerk_mc" not in html
    assert 'data-testid="counsel-scope"' in html
    assert client.get("/audit/export?start=2026-01-01&end=2027-01-01").status_code == 403


@pytest.mark.django_db
def test_it_exports_the_audit_log_for_a_date_range_as_csv_and_json(world: World, client: Client) -> None:
    login(Client(), world.users["clerk_la"]).get("/jail/")
    login(client, world.users["auditor"])
    today = clock.now().date().isoformat()
    response = client.get(f"/audit/export?start={today}&end={today}&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and any(r["actor"] == "clerk_la" and r["action"] == "request.list" for r in rows)
    assert all(len(r["hash"]) == 64 for r in rows)
    response = client.get(f"/audit/export?start={today}&end={today}&format=json")
    body = json.loads(b"".join(response.streaming_content))
    assert body["from"] == today and len(body["entries"]) >= len(rows)
    empty = client.get("/audit/export?start=2001-01-01&end=2001-01-02&format=json")
    assert json.loads(b"".join(empty.streaming_content))["entries"] == []
    bad = client.get("/audit/export?start=2026-12-31&end=2026-01-01")
    assert bad.status_code == 400 and "end" in bad.json()["fields"]
    assert client.get("/audit/export?start=soon").status_code == 400
    from handoff.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="audit.export", actor="auditor").count() == 3
