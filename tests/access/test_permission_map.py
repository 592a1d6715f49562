"""Every URL and every API route has a declared rule; an undeclared page is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from handoff.access.permissions import API_RULES, Rule, rule_for_view
from handoff.api.main import api
from tests.access import world as W


def _url_names() -> list[tuple[str, str]]:
    """(view name, route) of every URL pattern outside the API's own operations."""
    found: list[tuple[str, str]] = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                if getattr(p.callback, "__qualname__", "").startswith("PathView.get_view"):
                    continue
                name = p.name or f"{p.callback.__module__}.{p.callback.__qualname__}"
                found.append((f"{namespace}:{name}" if namespace else name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "/", "")
    return found


def _api_routes() -> list[str]:
    keys = []
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            full = "/" + "/".join(p.strip("/") for p in (prefix, route) if p.strip("/"))
            for operation in path_view.operations:
                for method in operation.methods:
                    keys.append(f"{method.upper()} {full}")
    return keys


def test_it_has_a_rule_for_every_url_name() -> None:
    names = _url_names()
    assert len(names) > 10
    missing = [f"{name} ({route})" for name, route in names if rule_for_view(name) is None]
    assert not missing, "URLs without a permission rule (declare them in <app>/permissions.py RULES):\n" + "\n".join(
        missing)


def test_it_has_a_rule_for_every_api_route_and_none_for_a_route_that_does_not_exist() -> None:
    routes = _api_routes()
    assert "GET /requests/{request_id}" in routes
    missing = sorted(set(routes) - set(API_RULES))
    stale = sorted(set(API_RULES) - set(routes))
    assert not missing, f"API routes without a rule in access.permissions.API_RULES: {missing}"
    assert not stale, f"rules for API routes that do not exist: {stale}"


def test_it_keeps_roles_and_scopes_honest() -> None:
    with pytest.raises(ValueError):
        Rule(read=frozenset({"sheriff"}))
    with pytest.raises(ValueError):
        Rule(read=frozenset({"admin"}), scope="galaxy")


def _undeclared(request: Any) -> HttpResponse:
    return HttpResponse("secret")


urlpatterns = [
    path("undeclared/", _undeclared, name="undeclared"),
    path("", include("handoff.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_it_refuses_a_page_that_has_no_rule_even_to_an_admin(db: None) -> None:
    world = W.World()
    W.build_places(world)
    W.build_accounts(world)
    client = Client()
    W.verified_login(client, world.users["admin"])
    response = client.get("/undeclared/")
    assert response.status_code == 403
    assert b"secret" not in response.content
    from handoff.audit.models import AuditEvent

    denied = AuditEvent.objects.filter(action="page.denied").last()
    assert denied is not None and denied.object_ids == ["undeclared"] and denied.outcome == "denied"
