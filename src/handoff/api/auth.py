"""Bearer tokens for the API, checked against the permission map before any input is read.

Why the role check lives here: every route gets it, declared in one place (access.permissions.API_RULES);
a route without a rule is refused. Object scope (which facility, which request) is checked by the route
through access.scoping.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja.security import HttpBearer

from handoff.access import services as access_services
from handoff.access.actor import Actor, anonymous
from handoff.access.errors import Forbidden
from handoff.access.permissions import api_key, rule_for_api
from handoff.audit import record
from handoff.core.errors import InvalidInput, NotFound

#: query parameters each route declares; any other is refused (strict input, like unknown body fields)
QUERY_PARAMETERS: dict[str, frozenset[str]] = {
    "GET /notices": frozenset({"status", "due_before", "request_id", "limit", "offset"}),
    "GET /people/search": frozenset({"q"}),
    "GET /notices/{notice_id}/letter": frozenset({"lang", "format"}),
    # a request id is unique per office and facility (review M8): these tell apart two a caller sees
    **{f"{method} /requests/{{request_id}}{tail}": frozenset({"office", "facility"})
       for method, tail in [("GET", ""), ("POST", "/withdraw"), ("POST", "/override"), ("POST", "/link"),
                            ("POST", "/outcome")]},
}


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.route if match is not None else request.path.lstrip("/")


class TokenAuth(HttpBearer):
    openapi_description = "An API token from `handoff token create --user NAME` (hnd_...)."

    def __call__(self, request: HttpRequest) -> Any:
        ip = str(request.META.get("REMOTE_ADDR", ""))[:80]
        actor = super().__call__(request)
        if actor is None:
            with transaction.atomic():
                record(anonymous(ip), "api.unauthenticated", outcome="denied", object_type="route",
                       object_ids=[api_key(request.method or "GET", _route(request))])
            return None
        rule = rule_for_api(request.method or "GET", _route(request))
        if rule is None or not rule.allows(actor, request.method or "GET"):
            with transaction.atomic():
                record(actor, "api.denied", outcome="denied", object_type="route",
                       object_ids=[api_key(request.method or "GET", _route(request))],
                       detail={"declared": rule is not None})
            if rule is not None and rule.conceal:
                raise NotFound("not found")
            raise Forbidden("your role may not use this route")
        key = api_key(request.method or "GET", _route(request))
        unknown = sorted(set(request.GET) - QUERY_PARAMETERS.get(key, frozenset()))
        if unknown:
            raise InvalidInput(f"unknown query parameter {unknown[0]!r}", unknown[0])
        request.actor = actor  # type: ignore[attr-defined]
        return actor

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return access_services.actor_for_bearer(token.strip(), str(request.META.get("REMOTE_ADDR", ""))[:80])
