from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_reports_healthy_without_logging_on(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_it_sends_the_admin_through_the_mfa_log_on(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get(response["Location"]).status_code == 200
