"""Fixtures for the security regression tests (review `security-2026-12.md`): the access tests' two-county
world (Los Angeles, and Dallas whose cooperation is confidential), its accounts and tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.access import world as W


@pytest.fixture
def world(db: None) -> W.World:
    return W.build()


def api(client: Client, method: str, path: str, token: str, body: Any = None, **extra: Any) -> Any:
    """One API call with a bearer token; a body is sent as JSON."""
    kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}", **extra}
    if body is not None:
        kwargs.setdefault("content_type", "application/json")
        return getattr(client, method)("/api/v1" + path, body if isinstance(body, str | bytes) else json.dumps(body),
                                       **kwargs)
    return getattr(client, method)("/api/v1" + path, **kwargs)


def page(user: Any) -> Client:
    client = Client()
    W.verified_login(client, user)
    return client
