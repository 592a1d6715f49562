"""Security review C1 / law review X1: what a federal office may see follows the decision, on every channel.

The world's "own" case is a detainer at Men's Central Jail (Los Angeles County, California) about a person with
no conviction that 7282.5 counts: SB 54 declines it (notify no). Cal. Gov. Code 7284.6(a)(1)(C), (D) forbid
giving the office the release date or custody status. Each test reads it through one channel as the federal
office (ICE ERO Los Angeles) and asserts that no release time and no custody status come back.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.core import clock
from tests.access import world as W

pytestmark = pytest.mark.django_db

CITE = "Cal. Gov. Code 7284.6(a)(1)(C), (D)"


def _api(token: str, path: str, **kw: Any) -> Any:
    return Client().get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}", **kw)


def _release_strings(world: W.World) -> list[str]:
    """Every way the booking's release time could appear in a body (ISO in UTC, Z form, local date)."""
    b = world.bookings["own"]
    at = b.scheduled_release_at
    return [at.isoformat(), at.isoformat().replace("+00:00", "Z"), at.strftime("%Y-%m-%dT%H:%M"),
            b.booked_at.strftime("%Y-%m-%dT%H:%M")]


def test_c1_the_declined_california_decision_is_what_it_should_be(world: W.World) -> None:
    d = world.requests["own"].current_decision
    assert (d.notify, d.review, d.hold) == (False, False, "prohibited")


def test_c1_api_request_gives_a_federal_token_no_release_time_or_custody_status(world: W.World) -> None:
    r = _api(world.tokens["federal_officer"], f"/requests/{world.requests['own'].request_id}")
    assert r.status_code == 200
    body = r.json()
    booking = body["booking"]
    assert booking["scheduled_release_at"] is None and booking["released_at"] is None
    assert booking["in_custody"] is None and booking["booked_at"] is None
    assert booking["disclosed"] is False and CITE in booking["not_disclosed"]
    assert body["decision"]["facts"] == {} and body["decision"]["hold_until"] is None
    assert CITE in body["not_disclosed"]
    raw = r.content.decode()
    for s in _release_strings(world):
        assert s not in raw
    for n in body["notices"]:
        assert n["release_at"] is None and n["due_at"] is None


def test_c1_api_request_still_shows_the_jail_its_own_release_time(world: W.World) -> None:
    body = _api(world.tokens["jail_clerk"], f"/requests/{world.requests['own'].request_id}").json()
    assert body["booking"]["scheduled_release_at"] is not None and body["booking"]["in_custody"] is True
    assert body["booking"]["disclosed"] is True and body["not_disclosed"] is None


def test_c1_api_notices_list_gives_a_federal_token_no_release_time(world: W.World) -> None:
    from handoff.notices.models import Notice

    # a scheduled notice left under the declined decision (as if it had been created before a re-decision)
    req = world.requests["own"]
    Notice.objects.create(kind="release.advance_notice", request=req, decision=req.current_decision,
                          office=world.offices[W.OWN_OFFICE], booking=world.bookings["own"],
                          due_at=clock.now() + timedelta(hours=24),
                          release_at=world.bookings["own"].scheduled_release_at)
    body = _api(world.tokens["federal_officer"], f"/notices?request_id={req.request_id}").json()
    assert body["notices"], "the office still sees that a notice exists"
    for n in body["notices"]:
        if n["kind"].startswith("release."):
            assert n["release_at"] is None and n["due_at"] is None


def test_c1_office_page_lists_no_release_of_a_declined_request(world: W.World, client: Client) -> None:
    W.verified_login(client, world.users["federal_officer"])
    html = client.get("/office/").content.decode()
    req = world.requests["own"]
    assert req.request_id not in html.split('id="h-upcoming"')[1].split('id="h-law"')[0]
    assert "not disclosed" in html


def test_c1_request_page_gives_a_federal_officer_no_release_person_or_history(world: W.World,
                                                                               client: Client) -> None:
    W.verified_login(client, world.users["federal_officer"])
    req = world.requests["own"]
    html = client.get(f"/requests/{req.request_id}/").content.decode()
    assert "not disclosed" in html and CITE in html
    assert "Scheduled " not in html and "Released " not in html
    assert ", booked " not in html
    # the jail's clerk still sees it
    W.verified_login(client, world.users["jail_clerk"])
    assert "Scheduled " in client.get(f"/requests/{req.request_id}/").content.decode()


def test_c1_csv_export_gives_a_federal_officer_no_release_time(world: W.World, client: Client) -> None:
    W.verified_login(client, world.users["federal_officer"])
    r = client.get("/office/requests.csv")
    assert r.status_code == 200
    rows = {row["request_id"]: row for row in csv.DictReader(io.StringIO(r.content.decode()))}
    row = rows[world.requests["own"].request_id]
    assert row["scheduled_release_at"] == "" and row["released_at"] == "" and row["in_custody"] == ""
    assert CITE in row["not_disclosed"]
    for s in _release_strings(world):
        assert s not in r.content.decode()


def test_c1_acknowledgement_page_shows_no_release_time_for_a_declined_request(world: W.World) -> None:
    from handoff.notices.models import Notice
    from handoff.notices.services import ack_url

    req = world.requests["own"]
    n = Notice.objects.create(kind="request.declined", request=req, decision=req.current_decision,
                              office=world.offices[W.OWN_OFFICE], booking=world.bookings["own"], due_at=clock.now(),
                              release_at=world.bookings["own"].scheduled_release_at, status="sent",
                              sent_at=clock.now())
    path = ack_url(n).split("://", 1)[-1]
    path = path[path.index("/"):]
    html = Client().get(path).content.decode()
    assert "not disclosed" in html and CITE in html
    assert world.bookings["own"].scheduled_release_at.strftime("%Y-%m-%d %H:%M") not in html


def test_c1_a_request_on_a_guessed_booking_number_reveals_nothing(world: W.World) -> None:
    """Filed by the office with the right booking number but a made-up subject: review, and nothing about the
    booking (name, date of birth, release, even whether it exists) comes back."""
    booking = world.bookings["own"]
    body = {"request_id": "ENUM-0", "kind": "notification", "issued_at": "2025-01-05T07:00:00Z",
            "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "booking_number": booking.booking_number,
            "subject": {"last_name": "Unknown"}}
    r = Client().post("/api/v1/requests", data=json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {world.tokens['federal_officer']}")
    assert r.status_code in (200, 201), r.content
    out = r.json()["request"]
    assert out["status"] == "waiting" and out["match_note"] == ""
    assert out["booking"] is None and out["decision"] is None
    raw = r.content.decode()
    assert booking.person.last_name not in raw and booking.person.date_of_birth.isoformat() not in raw
    from handoff.requests.models import ImmigrationRequest

    stored = ImmigrationRequest.objects.get(request_id="ENUM-0")
    assert stored.status == "review" and stored.booking_id is None, "it goes to the jail's review"
    # the same office filing a booking number that does not exist sees exactly the same answer
    body2 = {**body, "request_id": "ENUM-1", "booking_number": "NO-SUCH-9999"}
    out2 = Client().post("/api/v1/requests", data=json.dumps(body2), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {world.tokens['federal_officer']}").json()["request"]
    assert {k: out2[k] for k in ("status", "match_note", "booking", "decision")} == \
        {k: out[k] for k in ("status", "match_note", "booking", "decision")}
    # only jail staff see why the match failed
    clerk = _api(world.tokens["jail_clerk"], "/requests/ENUM-0").json()
    assert clerk["status"] == "review" and "none of the request's identifiers" in clerk["match_note"]
