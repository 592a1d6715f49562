"""Operational endpoints: cheap, no personal data. /healthz is open; /metrics needs its token (review M2)."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from handoff.core import clock
from handoff.notices.metrics import oldest_overdue, prometheus
from handoff.notices.models import Notice

log = logging.getLogger(__name__)


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
        body["at_risk_notices"] = Notice.objects.at_risk(clock.now()).count()
        from handoff.casework.alarms import oldest_open_review

        reviews = oldest_open_review(clock.now())
        body["open_reviews"] = reviews["open_reviews"] if reviews else 0
        body["oldest_open_review_seconds"] = reviews["oldest_open_review_seconds"] if reviews else 0
        body["overdue_reviews"] = reviews["overdue_reviews"] if reviews else 0
        body["soonest_review_due_at"] = reviews["soonest_review_due_at"] if reviews else None
    except Exception:  # the database is the service; report, do not crash
        # the exception text can name hosts, users, paths and SQL (security review L6): the log gets it, the
        # open endpoint only says that the database is unavailable
        log.exception("healthz: database check failed")
        status = 503
        body = {"status": "error", "database": "unavailable"}
    return JsonResponse(body, status=status)


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether the caller presents HANDOFF_METRICS_TOKEN as a bearer token (compared in constant time).

    Why a token and not aggregates for all: the counters are exact, all-time and over every place including
    the confidential ones that /transparency pools or leaves out, so polling them beside the public page gave
    back counts the page hides (security review M2). Prometheus sends the token from its scrape config."""
    expected = settings.HANDOFF_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: due, sent, late, failed, acknowledged notices and the delivery lag. Token only."""

    if not metrics_allowed(request):
        response = HttpResponse("/metrics requires the bearer token set in HANDOFF_METRICS_TOKEN.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(prometheus(), content_type="text/plain; version=0.0.4; charset=utf-8")
