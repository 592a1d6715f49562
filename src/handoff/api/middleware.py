"""Every answer of the API that is not a success is JSON {"error": code, "detail": ...}.

Why a middleware and not only the API's exception handlers: some answers never reach them. django-ninja
answers a method a route does not have with a plain-text 405 before any handler runs, and a path under
/api/v1/ that names no route is Django's HTML 404 from the URL resolver. A caller is another system that
branches on `error`; it must get the same shape whatever produced the answer. Headers the status needs
(`Allow` on a 405, `WWW-Authenticate` on a 401, `Location`, `Retry-After`) are kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from handoff.core import ids

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
    429: "too_many_requests", 500: "server_error", 503: "unavailable",
}


@cache
def api_prefix() -> str:
    try:
        return reverse("api:api-root")
    except NoReverseMatch:  # pragma: no cover - the API is always mounted
        return "/api/"


def error_code(status: int) -> str:
    if status in CODES:
        return CODES[status]
    if 300 <= status < 400:
        return "redirect"
    return "error" if status < 500 else "server_error"


def _detail(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 405:
        allowed = response.get("Allow", "")
        return f"{request.method} is not allowed on {request.path}" + (f"; allowed: {allowed}" if allowed else "")
    if status == 404:
        return f"no API route at {request.path}"
    if 300 <= status < 400 and response.has_header("Location"):
        return f"see {response['Location']}"
    return str(response.reason_phrase or "error")


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in ("application/json", "application/problem+json")


#: the largest JSON body the API reads (bytes); Django's DATA_UPLOAD_MAX_MEMORY_SIZE still applies on top
MAX_BODY_BYTES = 1 << 20
_JSON_TYPES = ("application/json", "application/problem+json")


def _refuse(status: int, detail: str) -> HttpResponse:
    return HttpResponse(json.dumps({"error": error_code(status), "detail": detail}), status=status,
                        content_type="application/json")


def _refuse_body(request: HttpRequest) -> HttpResponse | None:
    """A body the API does not read, refused before any route sees it (review L5, M10): not JSON by its
    Content-Type (a `text/plain` body was parsed as JSON), over MAX_BODY_BYTES, nested deeper than
    core.ids.MAX_JSON_DEPTH, or naming a key twice (last-wins would let `"facility"` be said twice)."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith(api_prefix()):
        return None
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return _refuse(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = request.body
    except RequestDataTooBig:
        return _refuse(413, "the request body is too large")
    if not body:
        return None
    if len(body) > MAX_BODY_BYTES:
        return _refuse(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if request.content_type not in _JSON_TYPES:
        return _refuse(415, "send the body as JSON with Content-Type: application/json")
    try:
        ids.loads(body, unique_keys=True)
    except ValueError as exc:
        return _refuse(400, str(exc))
    return None


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = _refuse_body(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if getattr(response, "handoff_db_locked", False):
            # "database is locked" (security review M11): the call's transaction was rolled back, so run it
            # once more; a second lock answers the 503 the handler built (Retry-After kept)
            log.info("API %s %s: database was locked, retrying once", request.method, request.path)
            response = self.get_response(request)
        status = response.status_code
        if status < 300 or status == 304 or not request.path.startswith(api_prefix()) or _is_json(response):
            return response
        if getattr(response, "streaming", False):  # pragma: no cover - the API streams nothing
            return response
        body = json.dumps({"error": error_code(status), "detail": _detail(request, response)})
        replaced = HttpResponse(body, status=status, content_type="application/json")
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replaced[header] = value
        replaced.cookies = response.cookies
        return replaced
