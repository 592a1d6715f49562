from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_reports_healthy_without_logging_on(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_it_serves_the_admin_log_on_page(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
