"""Schemathesis against our own OpenAPI document, in process (WSGI): no server errors, no response that
breaks the documented schema, and no invalid input accepted."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.access import world as W

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          negative_data_rejection]


# Loaded at collection: the document is public and reading it touches no database. (Schemathesis' lazy
# fixture loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.fixture
def api_world(db: None) -> W.World:
    return W.build()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_survives_schemathesis(case: Any, api_world: W.World) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_world.tokens['admin']}"}, checks=CHECKS)
