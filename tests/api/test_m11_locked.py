"""Security review M11: a "database is locked" answers a retried call or a clean 503 JSON, never a 500; ingest
writes in short transactions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from handoff.api import routes_requests
from tests.access import world as W


def _locked_first(times: int, real: Any) -> Any:
    calls = {"n": 0}

    def record(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    record.calls = calls  # type: ignore[attr-defined]
    return record


def test_m11_the_api_retries_once_when_the_database_is_locked(world: W.World,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _locked_first(1, routes_requests.record)
    monkeypatch.setattr(routes_requests, "record", fake)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {world.tokens['jail_clerk']}")
    assert response.status_code == 200 and fake.calls["n"] == 2


def test_m11_a_second_lock_answers_a_clean_503_with_retry_after(world: W.World,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _locked_first(10, routes_requests.record)
    monkeypatch.setattr(routes_requests, "record", fake)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {world.tokens['jail_clerk']}")
    assert response.status_code == 503 and fake.calls["n"] == 2
    assert response["Content-Type"].startswith("application/json") and response["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable"


def test_m11_other_database_errors_stay_500(world: W.World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("no such table: x")

    monkeypatch.setattr(routes_requests, "record", broken)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {world.tokens['jail_clerk']}")
    assert response.status_code == 500 and response.json()["error"] == "server_error"
