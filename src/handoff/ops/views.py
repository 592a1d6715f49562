"""Operational endpoints: cheap, unauthenticated, no personal data."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from handoff.notices.metrics import oldest_overdue, prometheus


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus the one number an operator must watch: how late the oldest overdue delivery is."""
    status = 200
    body: dict[str, object] = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

        age, overdue = oldest_overdue()
        body["oldest_overdue_delivery_seconds"] = round(age, 3)
        body["overdue_deliveries"] = overdue
    except Exception as exc:  # the database is the service; report, do not crash
        status = 503
        body = {"status": "error", "database": str(exc)}
    return JsonResponse(body, status=status)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: due, sent, late, failed, acknowledged notices and the delivery lag."""

    return HttpResponse(prometheus(), content_type="text/plain; version=0.0.4; charset=utf-8")
