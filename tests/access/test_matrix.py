"""The authorization matrix, generated from the permission map: every role by every API route and every page
by own or other jurisdiction, against the status the map and the scoping rules promise.

Expected statuses come from the rules themselves: a role the rule does not list gets 403; a listed role gets
the route's success status on its own jurisdiction's objects and on anything when it is global (auditor,
admin); on another jurisdiction's objects it gets 404 when the object is named in the path (existence is not
confirmed) and 403 when it writes to a facility it does not belong to. Without credentials: 401 (API) or a
redirect to the log-on page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from handoff.access.permissions import ANYONE, API_RULES, rule_for_view
from handoff.core import clock
from tests.access import world as W

SUCCESS = {
    "POST /bookings": 201,
    "POST /charges": 201,
    "POST /convictions": 201,
    "POST /bookings/{facility}/{booking_number}/release": 200,
    "POST /requests": 201,
    "GET /requests/{request_id}": 200,
    "POST /requests/{request_id}/withdraw": 200,
    "POST /requests/{request_id}/override": 200,
    "POST /requests/{request_id}/outcome": 200,
    "GET /notices": 200,
    "POST /notices/{notice_id}/ack": 200,
    "GET /notices/{notice_id}/letter": 200,
    "POST /notices/{notice_id}/handover": 200,
    "GET /me": 200,
    "GET /people/search": 200,
    "POST /requests/{request_id}/link": 200,
    "GET /bookings/{facility}/{booking_number}/attorney": 200,
    "POST /bookings/{facility}/{booking_number}/attorney": 200,
    "GET /bookings/{facility}/{booking_number}/interviews": 200,
    "POST /bookings/{facility}/{booking_number}/interviews": 201,
}
# reads first, destructive writes (withdrawal) last, so each cell finds the world as it expects
ORDER = ["GET /me", "GET /requests/{request_id}", "GET /notices", "POST /notices/{notice_id}/ack",
         "GET /notices/{notice_id}/letter", "POST /notices/{notice_id}/handover",
         "POST /requests/{request_id}/override", "POST /requests/{request_id}/outcome", "GET /people/search",
         "POST /requests/{request_id}/link", "GET /bookings/{facility}/{booking_number}/attorney",
         "POST /bookings/{facility}/{booking_number}/attorney",
         "GET /bookings/{facility}/{booking_number}/interviews",
         "POST /bookings/{facility}/{booking_number}/interviews", "POST /bookings", "POST /charges", "POST /convictions",
         "POST /bookings/{facility}/{booking_number}/release", "POST /requests",
         "POST /requests/{request_id}/withdraw"]
GLOBAL = {"auditor", "admin"}


def iso(delta: timedelta = timedelta()) -> str:
    return (clock.now() + delta).isoformat()


def api_call(w: W.World, key: str, side: str, role: str, n: int) -> tuple[str, str, dict[str, Any] | None]:
    """The method, path and body that exercise `key` against `side`'s objects."""
    facility = W.OWN_FACILITY if side == "own" else W.OTHER_FACILITY
    office = W.OWN_OFFICE if side == "own" else W.OTHER_OFFICE
    req, notice, booking = w.requests[side], w.notices[side], w.bookings[side]
    if "/letter" in key or "/handover" in key:
        notice = w.notices[f"{side}_letter"]
    release = w.bookings[f"{side}_release"]
    path = key.split(" ", 1)[1].format(request_id=req.request_id, notice_id=notice.uid, facility=facility,
                                       booking_number=release.booking_number)
    body: dict[str, Any] | None = {
        "POST /bookings": {"facility": facility, "booking_number": f"MX-{n}", "booked_at": iso(-timedelta(days=1)),
                           "last_name": "Roe", "first_name": "Pat", "date_of_birth": "1990-02-03"},
        "POST /charges": {"facility": facility, "booking_number": booking.booking_number, "seq": 100 + n,
                          "statute": "PC 459", "level": "felony", "disposition": "pending"},
        "POST /convictions": {"fbi_number": booking.person.fbi_number, "statute": f"PC {n}", "level": "felony",
                              "convicted_on": "2015-01-02"},
        "POST /bookings/{facility}/{booking_number}/release": {"released_at": iso(-timedelta(minutes=1)),
                                                               "release_reason": "bail_posted"},
        "POST /requests": {"request_id": f"MX-{role}-{n}", "kind": "notification", "issued_at": iso(-timedelta(hours=1)),
                           "office": office, "facility": facility,
                           "subject": {"last_name": "Roe", "first_name": "Pat", "date_of_birth": "1990-02-03"}},
        "POST /requests/{request_id}/withdraw": {"withdrawn_at": iso()},
        "POST /notices/{notice_id}/handover": {"to": "person"},
        "POST /requests/{request_id}/override": {"reason": "counsel advised: notify", "notify": True},
        "POST /requests/{request_id}/link": {"booking": f"{facility}/{booking.booking_number}",
                                             "reason": "checked the A-number on the faxed form"},
        "POST /requests/{request_id}/outcome": {"outcome": "detainer_cancelled", "note": "matrix"},
        "POST /bookings/{facility}/{booking_number}/attorney": {"name": "Dana Counsel",
                                                                "email": "dana@lawyers.example"},
        "POST /bookings/{facility}/{booking_number}/interviews": {
            "requested_at": iso(-timedelta(hours=2, minutes=n)), "answer": "consented", "form_language": "es",
            "form_signed": True, "signed_at": iso(-timedelta(hours=1)), "attorney": "declined",
            "interview_at": iso(-timedelta(minutes=30))},
    }.get(key)
    if key == "GET /people/search":
        path += f"?q={booking.booking_number}"
    return key.split(" ", 1)[0], "/api/v1" + path, body


def expected_api(key: str, role: str | None, side: str) -> int:
    rule = API_RULES[key]
    method = key.split(" ", 1)[0]
    if role is None:
        return 401
    if not (role in rule.roles_for(method) or ANYONE in rule.roles_for(method)):
        return 404 if rule.conceal else 403
    if side == "own" or role in GLOBAL or rule.scope is None:
        return SUCCESS[key]
    return 404 if rule.scope in {"request", "notice", "person"} or rule.conceal else 403


def _send(client: Client, method: str, path: str, body: dict[str, Any] | None, token: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(path, **headers)
    return client.post(path, body or {}, content_type="application/json", **headers)


def test_it_covers_every_api_route_in_the_matrix() -> None:
    assert set(API_RULES) == set(SUCCESS) == set(ORDER)


@pytest.mark.parametrize("role", [*W.ROLES, None], ids=[*W.ROLES, "no-token"])
def test_it_answers_every_api_route_as_the_permission_map_says(world: W.World, role: str | None) -> None:
    W.needs_review(world.requests["own"])
    W.needs_review(world.requests["other"])
    client = Client()
    token = world.tokens[role] if role else None
    wrong = []
    n = 0
    for key in ORDER:
        for side in ("own", "other"):
            n += 1
            method, path, body = api_call(world, key, side, role or "anon", n)
            response = _send(client, method, path, body, token)
            want = expected_api(key, role, side)
            if response.status_code != want:
                wrong.append(f"{role} {key} [{side}]: expected {want}, got {response.status_code} {response.content[:200]!r}")
    assert not wrong, "\n".join(wrong)


# --- pages ----------------------------------------------------------------------------------------------------

def _page_patterns() -> list[tuple[str, str, list[str]]]:
    """(view name, route, kwarg names) of every named page URL, the admin's index standing for the admin."""
    out: list[tuple[str, str, list[str]]] = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                walk(p.url_patterns, prefix + str(p.pattern), ns or "")
            elif isinstance(p, URLPattern) and p.name:
                if getattr(p.callback, "__qualname__", "").startswith("PathView.get_view"):
                    continue  # API routes: covered above
                name = f"{namespace}:{p.name}" if namespace else p.name
                if name.startswith("admin:") and name != "admin:index":
                    continue
                route = prefix + str(p.pattern)
                out.append((name, route, re.findall(r"<(?:\w+:)?(\w+)>", route)))

    walk(get_resolver().url_patterns, "/", "")
    return out


def _scan(req: object) -> object:
    """The scanned form a clerk attached to a request (the clerk's request page)."""
    from handoff.core import clock
    from handoff.requests.models import RequestAttachment

    scan, _ = RequestAttachment.objects.get_or_create(
        request=req, filename="fax.pdf",
        defaults={"content_type": "application/pdf", "size": 9, "sha256": "0" * 64, "content": b"%PDF-1.4\n",
                  "uploaded_at": clock.now()})
    return scan


def _fill(name: str, route: str, kwargs: list[str], w: W.World, side: str) -> str:
    from handoff.notices.services import ack_token

    values = {
        "request_id": w.requests[side].request_id,
        "notice_id": str(w.notices[f"{side}_letter" if "letter" in name else side].uid),
        "token": ack_token(w.notices[side]),
        "policy_id": "us-ca",
        "facility": W.OWN_FACILITY if side == "own" else W.OTHER_FACILITY,
        "booking_number": w.bookings[side].booking_number,
        "booking_id": str(w.bookings[side].pk),
        "person_id": str(w.bookings[side].person_id),
        "decision_id": str(w.requests[side].current_decision_id),
        "fips": W.OWN_FIPS if side == "own" else W.OTHER_FIPS,
        "office": W.OWN_OFFICE if side == "own" else W.OTHER_OFFICE,
        "number": w.bookings[side].booking_number,
        "scan_id": str(_scan(w.requests[side]).pk) if "scan_id" in kwargs else "",
    }
    path = route
    for name in kwargs:
        assert name in values, f"the matrix cannot fill URL parameter {name!r} of {route}: teach _fill"
        path = re.sub(r"<(?:\w+:)?" + name + ">", values[name], path)
    return path.replace("^", "").replace("$", "")


@pytest.mark.parametrize("role", [*W.ROLES, None], ids=[*W.ROLES, "anonymous"])
def test_it_answers_every_page_as_the_permission_map_says(world: W.World, role: str | None) -> None:
    client = Client()
    if role:
        W.verified_login(client, world.users[role])
    wrong = []
    for name, route, kwargs in _page_patterns():
        rule = rule_for_view(name)
        assert rule is not None, f"page {name} has no permission rule"
        for side in (("own",) if rule.is_public("GET") or not kwargs else ("own", "other")):
            path = _fill(name, route, kwargs, world, side)
            method = "GET"
            response = client.get(path)
            if response.status_code == 405:  # a form handler: the same checks must hold for its POST
                method = "POST"
                response = client.post(path, {})
            roles = rule.roles_for(method)
            public = rule.is_public(method)
            status = response.status_code
            to_login = status == 302 and response["Location"].startswith("/login/")
            if status >= 500:
                wrong.append(f"{role} {name} [{side}] {path}: server error {status}")
            elif public:
                if status == 403:
                    wrong.append(f"{role} {name} [{side}] {path}: public page answered 403")
            elif role is None:
                if not to_login:
                    wrong.append(f"anonymous {name} {path}: expected a redirect to log on, got {status}")
            elif role not in roles:
                if status != (404 if rule.conceal else 403):
                    wrong.append(f"{role} {name} [{side}] {path}: expected {404 if rule.conceal else 403}, "
                                 f"got {status}")
            elif side == "other" and rule.scope and role not in GLOBAL:
                if status != 404:
                    wrong.append(f"{role} {name} [other] {path}: expected 404 outside the scope, got {status}")
            elif status in (403, 404, 405) or to_login:
                wrong.append(f"{role} {name} [{side}] {method} {path}: expected access, got {status}")
    assert not wrong, "\n".join(wrong)
