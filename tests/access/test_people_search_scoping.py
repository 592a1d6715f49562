"""People search and linking by hand stay inside the caller's county (issue 12.1): each route's scoping test."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.access import world as W

pytestmark = pytest.mark.django_db


def _api(client: Client, world: W.World, role: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}
    if method == "GET":
        return client.get("/api/v1" + path, **headers)
    return client.post("/api/v1" + path, body or {}, content_type="application/json", **headers)


def test_it_finds_only_the_clerks_own_countys_people_by_api(world: W.World, client: Client) -> None:
    from handoff.audit.models import AuditEvent

    own, other = world.bookings["own"], world.bookings["other"]
    got = _api(client, world, "jail_clerk", "GET", "/people/search?q=Jan").json()
    found = {r["booking_number"] for r in got["results"]}
    assert own.booking_number in found and other.booking_number not in found
    for number in (other.booking_number, other.person.a_number, other.person.fbi_number):
        assert _api(client, world, "jail_clerk", "GET", f"/people/search?q={number}").json()["total"] == 0
    # the other county's clerk finds it: the control for the line above
    assert _api(client, world, "other_clerk", "GET", f"/people/search?q={other.booking_number}").json()["total"] == 1
    event = AuditEvent.objects.filter(action="person.search").order_by("seq").first()
    assert event is not None and "Jan" not in json.dumps(event.detail)  # the text typed is never logged


def test_it_refuses_a_search_to_roles_outside_the_jail(world: W.World, client: Client) -> None:
    for role in ("federal_officer", "county_counsel", "auditor"):
        assert _api(client, world, role, "GET", "/people/search?q=Jan").status_code == 403


def test_it_answers_a_manual_link_to_another_countys_booking_with_404(world: W.World, client: Client) -> None:
    from handoff.audit.models import AuditEvent

    req = world.requests["own"]
    before = (req.status, req.booking_id)
    response = _api(client, world, "jail_clerk", "POST", f"/requests/{req.request_id}/link",
                    {"booking": f"{W.OTHER_FACILITY}/{world.bookings['other'].booking_number}",
                     "reason": "looks like the same man"})
    assert response.status_code == 404
    req.refresh_from_db()
    assert (req.status, req.booking_id) == before
    assert AuditEvent.objects.filter(action="request.link", outcome="not_found").exists()


def test_it_links_a_request_to_a_booking_of_its_own_facility_by_api(world: W.World, client: Client) -> None:
    req, booking = world.requests["own"], world.bookings["own_release"]
    response = _api(client, world, "jail_clerk", "POST", f"/requests/{req.request_id}/link",
                    {"booking": f"{W.OWN_FACILITY}/{booking.booking_number}",
                     "reason": "A-number on the faxed I-213 matches"})
    assert response.status_code == 200, response.content
    req.refresh_from_db()
    assert (req.status, req.booking_id) == ("matched", booking.pk)
    assert _api(client, world, "jail_clerk", "POST", f"/requests/{req.request_id}/link",
                {"booking": "no-slash", "reason": "x"}).status_code == 422


def test_it_keeps_the_command_line_inside_the_users_county(world: W.World) -> None:
    out = StringIO()
    call_command("people", "search", world.bookings["other"].booking_number, "--as", "jail_clerk", "--json",
                 stdout=out)
    assert json.loads(out.getvalue())["total"] == 0
    out = StringIO()
    call_command("people", "search", "doeown 1980-01-02", "--as", "jail_clerk", "--json", stdout=out)
    got = json.loads(out.getvalue())
    assert got["total"] == 2 and "date of birth one day apart" in got["results"][0]["found_by"]
    req = world.requests["own"]
    with pytest.raises(CommandError, match="not found"):
        call_command("requests", "link", req.request_id, "--booking",
                     f"{W.OTHER_FACILITY}/{world.bookings['other'].booking_number}", "--reason", "same man",
                     "--as", "jail_clerk")
    out = StringIO()
    call_command("requests", "link", req.request_id, "--booking",
                 f"{W.OWN_FACILITY}/{world.bookings['own_release'].booking_number}", "--reason",
                 "checked the I-213", "--as", "jail_clerk", "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "matched"
