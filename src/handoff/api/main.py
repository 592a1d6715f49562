"""The REST API (INTERFACES.md), mounted at /api/v1/: parse, check, call a service, answer.

Why every error is JSON {"error": code, "detail": ...}: the caller is another system; it needs a stable code
to branch on and words a person can read. Bad input is always a 4xx: the handlers below turn every
validation failure, every HandoffError and every 404 into one, and a server error is a bug to fix (it is
answered as JSON too, without the traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from handoff.access.errors import Forbidden
from handoff.api.auth import TokenAuth
from handoff.api.routes_custody import router as custody_router
from handoff.api.routes_law import router as law_router
from handoff.api.routes_notices import router as notices_router
from handoff.api.routes_requests import router as requests_router
from handoff.core.errors import Conflict, HandoffError, InvalidInput, NotFound

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Handoff API",
    version="1",
    description=(
        "Bookings and releases from jails, requests from federal offices, decisions and notices. "
        "Authenticate with `Authorization: Bearer <token>` (`handoff token create --user NAME`). "
        "Errors are JSON `{\"error\": code, \"detail\": ...}`. Times without an offset are the facility's "
        "local time."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, code: str, detail: Any = None, field: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if field:
        body["field"] = field
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="handoff"'
    return response


def _validation_items(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for e in errors:
        loc = [p if isinstance(p, int) else str(p) for p in e.get("loc", ())]
        items.append({"loc": loc, "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", ""))})
    return items


@api.exception_handler(ValidationError)
def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", _validation_items(exc.errors))


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "a valid bearer token is required")


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}
    return _error(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "not found")


@api.exception_handler(HandoffError)
def _on_handoff_error(request: HttpRequest, exc: HandoffError) -> HttpResponse:
    if isinstance(exc, Forbidden):
        return _error(request, 403, "forbidden", str(exc))
    if isinstance(exc, NotFound):
        return _error(request, 404, "not_found", str(exc))
    if isinstance(exc, Conflict):
        return _error(request, 409, "conflict", str(exc))
    if isinstance(exc, InvalidInput):
        return _error(request, 422, "invalid", str(exc), field=exc.field)
    return _error(request, 400, exc.code or "bad_request", str(exc))


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "too_large", "the request body is too large")


@api.exception_handler(SuspiciousOperation)
def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return _error(request, 400, "bad_request", "the request was malformed")


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" (another process holds the write lock
    longer than the busy timeout)."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


@api.exception_handler(OperationalError)
def _on_database_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock timeout is the database being busy, not a bug (security review M11): the middleware retries the
    call once (`handoff_db_locked`), then the caller gets a clean 503 with Retry-After instead of a 500."""
    if not is_lock_error(exc):
        return _on_bug(request, exc)
    log.warning("API %s %s: database is locked", request.method, request.path)
    response = _error(request, 503, "unavailable", "the database is busy (another import or job holds it); "
                      "retry in a few seconds")
    response["Retry-After"] = "5"
    response.handoff_db_locked = True  # type: ignore[attr-defined]
    return response


@api.exception_handler(Exception)
def _on_bug(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", "an unexpected error; it has been logged")


api.add_router("", custody_router)
api.add_router("", requests_router)
api.add_router("", notices_router)
api.add_router("", law_router)
