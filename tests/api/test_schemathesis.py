"""Schemathesis against our own OpenAPI document, in process (WSGI): no server errors, no response that
breaks the documented schema, and no invalid input accepted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from handoff.access.models import ApiToken
from handoff.access.services import digest
from tests.access import world as W

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          negative_data_rejection]


# Loaded at collection: the document is public and reading it touches no database. (Schemathesis' lazy
# fixture loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


# an admin token known before the database exists (cases are generated at collection); the fixture stores
# its digest like any other token
FUZZ_TOKEN = "hnd_f0220000_schemathesis-fuzzing-token-0123456789abcdef"


@schema.auth()
class AdminToken:
    """The admin token on every case, except where schemathesis removes the header on purpose (a negative
    case about authentication)."""

    def get(self, case: Any, context: Any) -> str:
        return FUZZ_TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@pytest.fixture
def api_world(db: None) -> Iterator[W.World]:
    """The world, with Django's per-request connection cleanup switched off as its test client does: the
    test's transaction must outlive each request (on PostgreSQL the cleanup would close it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        world = W.build()
        template = ApiToken.objects.get(user=world.users["admin"])
        ApiToken.objects.create(user=template.user, name="fuzz", prefix="f0220000", digest=digest(FUZZ_TOKEN),
                                role="admin", created_at=template.created_at, expires_at=template.expires_at)
        yield world
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_survives_schemathesis(case: Any, api_world: W.World) -> None:
    response = case.call_and_validate(checks=CHECKS)
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code != 401, "a valid case was not authenticated: the fuzzing proves nothing"
