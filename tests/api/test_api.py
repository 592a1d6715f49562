"""The REST API: bearer tokens (hashed, expiring, revocable), strict input, JSON errors, and an audit entry
for every read and write."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from handoff.access.models import ApiToken
from handoff.audit.models import AuditEvent
from handoff.custody.models import Booking
from tests.access import world as W


def call(client: Client, method: str, path: str, token: str | None, body: Any = None, raw: bytes | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get("/api/v1" + path, **headers)
    data = raw if raw is not None else json.dumps(body)
    return client.post("/api/v1" + path, data, content_type="application/json", **headers)


def booking(**over: Any) -> dict[str, Any]:
    body = {"facility": W.OWN_FACILITY, "booking_number": "B-100", "booked_at": "2025-01-02T03:04:05-08:00",
            "last_name": "Roe", "first_name": "Pat", "date_of_birth": "1990-02-03"}
    body.update(over)
    return body


def test_it_stores_only_a_digest_of_a_token_and_shows_it_once(world: W.World) -> None:
    raw = world.tokens["jail_clerk"]
    row = ApiToken.objects.get(user=world.users["jail_clerk"])
    assert raw.startswith(f"hnd_{row.prefix}_")
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    out = StringIO()
    call_command("token", "create", "--user", "jail_clerk", "--json", stdout=out)
    token = json.loads(out.getvalue())["token"]
    assert call(Client(), "GET", "/me", token).json()["role"] == "jail_clerk"


def test_it_refuses_missing_wrong_revoked_and_expired_tokens(world: W.World, client: Client) -> None:
    token = world.tokens["jail_clerk"]
    assert call(client, "GET", "/me", token).status_code == 200
    for bad in (None, "hnd_nope", token + "x", token[:-1]):
        response = call(client, "GET", "/me", bad)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=91), tick=False):
        assert call(client, "GET", "/me", token).status_code == 401  # expired after 90 days
    prefix = ApiToken.objects.get(user=world.users["jail_clerk"]).prefix
    call_command("token", "revoke", prefix, stdout=StringIO())
    assert call(client, "GET", "/me", token).status_code == 401
    assert AuditEvent.objects.filter(action="api.unauthenticated").count() >= 5


def test_it_gives_a_token_a_narrower_scope_than_its_account_only(world: W.World) -> None:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_token
    from handoff.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        create_token(SYSTEM, "jail_clerk", facilities=[W.OTHER_FACILITY])


def test_it_answers_a_number_where_a_date_belongs_with_422(world: W.World, client: Client) -> None:
    token = world.tokens["jail_clerk"]
    for bad in (booking(booked_at=20250102), booking(date_of_birth=19900203), booking(booked_at="yesterday"),
                booking(date_of_birth="1990-02-03T00:00:00"), booking(booked_at="0001-01-01T00:00:00+14:00"),
                booking(ice_hold="no"), booking(ice_hold=0), booking(seq=1), booking(sex="male"),
                booking(last_name=123), booking(last_name="Ro\x00e"), booking(booking_number="x" * 61),
                booking(a_number="12345678")):
        response = call(client, "POST", "/bookings", token, bad)
        assert response.status_code == 422, (bad, response.content)
        body = response.json()
        assert body["error"] == "invalid" and body["detail"]
    assert not Booking.objects.filter(booking_number="B-100").exists()


def test_it_answers_bad_json_with_400_and_a_wrong_shape_with_422(world: W.World, client: Client) -> None:
    token = world.tokens["jail_clerk"]
    for raw in (b"{", b"not json", b"\xff\xfe", b"[" * 5000):
        response = call(client, "POST", "/bookings", token, raw=raw)
        assert response.status_code == 400 and response.json()["error"] == "bad_request", raw[:10]
    for body in ([], "booking", 42, None, {}):
        response = call(client, "POST", "/bookings", token, body)
        assert response.status_code == 422 and response.json()["error"] == "invalid"


def test_it_creates_then_reports_unchanged_and_audits_both(world: W.World, client: Client) -> None:
    token = world.tokens["jail_clerk"]
    first = call(client, "POST", "/bookings", token, booking())
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "created"
    assert first.json()["booking"]["booked_at"] == "2025-01-02T11:04:05Z"
    again = call(client, "POST", "/bookings", token, booking())
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    entries = AuditEvent.objects.filter(action="booking.upsert")
    assert [e.detail["outcome"] for e in entries] == ["created", "unchanged"]
    assert all(e.actor == f"jail_clerk/token:{e.actor.split(':')[-1]}" and e.role == "jail_clerk" for e in entries)


def test_it_maps_service_errors_to_4xx(world: W.World, client: Client) -> None:
    token = world.tokens["jail_clerk"]
    # a charge for a booking that does not exist
    missing = call(client, "POST", "/charges", token, {"facility": W.OWN_FACILITY, "booking_number": "NOPE", "seq": 1,
                                                        "statute": "PC 1", "level": "felony", "disposition": "pending"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    # released before booked: the service's own rule
    early = call(client, "POST", f"/bookings/{W.OWN_FACILITY}/{world.bookings['own_release'].booking_number}/release",
                 token, {"released_at": "2001-01-01T00:00:00Z", "release_reason": "bail_posted"})
    assert early.status_code == 422 and early.json()["error"] == "invalid"
    # an override where the law decided (no review): a conflict
    supervisor = world.tokens["jail_supervisor"]
    conflict = call(client, "POST", f"/requests/{world.requests['own'].request_id}/override", supervisor,
                    {"reason": "because"})
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"
    assert AuditEvent.objects.filter(action="decision.override", outcome="failure").exists()


def test_it_records_every_read_without_names_or_dates_of_birth(world: W.World, client: Client) -> None:
    req = world.requests["own"]
    response = call(client, "GET", f"/requests/{req.request_id}", world.tokens["federal_officer"])
    assert response.status_code == 200
    body = response.json()
    assert body["subject"]["last_name"] == "DoeOwn" and body["decision"]["policies"]
    entry = AuditEvent.objects.filter(action="request.read").last()
    assert entry is not None and entry.object_ids == [req.pk] and entry.source == "127.0.0.1"
    assert entry.detail["booking"] == req.booking_id and entry.detail["person"] == req.booking.person_id
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "DoeOwn" not in everything and "1980-01-01" not in everything


def test_it_lets_an_office_acknowledge_only_its_own_notices(world: W.World, client: Client) -> None:
    own, other = world.notices["own"], world.notices["other"]
    token = world.tokens["federal_officer"]
    assert call(client, "POST", f"/notices/{own.uid}/ack", token).json()["status"] == "acknowledged"
    assert call(client, "POST", f"/notices/{other.uid}/ack", token).status_code == 404
    assert call(client, "POST", "/notices/not-a-uuid/ack", token).status_code == 422


def test_it_serves_the_openapi_document_and_the_docs(client: Client, db: None) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    doc = spec.json()
    assert "/api/v1/requests/{request_id}" in doc["paths"]
    booking_schema = doc["components"]["schemas"]["BookingIn"]
    assert booking_schema["additionalProperties"] is False
    assert doc["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content  # served from our own static files: the CSP allows nothing else


def test_it_refuses_unknown_query_parameters(world: W.World, client: Client) -> None:
    token = world.tokens["auditor"]
    assert call(client, "GET", "/notices?limit=5", token).status_code == 200
    assert call(client, "GET", "/notices?limit=five", token).status_code == 422
    for query in ("?limits=5", "?=", "?admin=1"):
        response = call(client, "GET", "/notices" + query, token)
        assert response.status_code == 422 and response.json()["error"] == "invalid", query
    assert call(client, "GET", f"/requests/{world.requests['own'].request_id}?x=1", token).status_code == 422


def test_it_answers_an_oversized_body_with_413_not_500(world: W.World, client: Client) -> None:
    big = json.dumps(booking(middle_name="x" * 3_000_000)).encode()
    response = call(client, "POST", "/bookings", world.tokens["jail_clerk"], raw=big)
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_it_answers_a_wrong_method_on_any_route_with_json_and_the_allowed_methods(
    world: W.World, client: Client
) -> None:
    from handoff.access.permissions import API_RULES

    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['admin']}"}
    response = client.delete("/api/v1/me", **headers)
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": "method_not_allowed",
                               "detail": "DELETE is not allowed on /api/v1/me; allowed: GET"}
    assert response["Allow"] == "GET"
    declared: dict[str, set[str]] = {}
    for key in API_RULES:
        method, path = key.split(" ", 1)
        declared.setdefault(path, set()).add(method)
    checked = 0
    for path, methods in declared.items():
        concrete = "/api/v1" + re.sub(r"\{\w+\}", "X-1", path)
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            for auth in (headers, {}):  # the method is refused before the token is looked at
                answer = client.generic(method, concrete, **auth)
                assert answer.status_code == 405, (method, concrete, answer.status_code)
                body = answer.json()
                assert body["error"] == "method_not_allowed" and method in body["detail"], body
                assert set(answer["Allow"].replace(" ", "").split(",")) == methods
                checked += 1
    assert checked == 2 * sum(5 - len(methods) for methods in declared.values())


def test_it_answers_an_unknown_api_path_with_json_404(world: W.World, client: Client) -> None:
    for auth in ({"HTTP_AUTHORIZATION": f"Bearer {world.tokens['admin']}"}, {}):
        for method, path in [("GET", "/api/v1/no-such-route"), ("POST", "/api/v1/requests/R-1/nothing"),
                             ("GET", "/api/v1/notices/")]:
            response = client.generic(method, path, **auth)
            assert response.status_code == 404 and response["Content-Type"] == "application/json", (method, path)
            assert response.json() == {"error": "not_found", "detail": f"no API route at {path}"}
    # pages outside the API keep their HTML answers
    assert "text/html" in Client().get("/no-such-page")["Content-Type"]
