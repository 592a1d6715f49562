"""A request id the reader sees on two requests answers with a page to choose from (security review M8)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from handoff.access import scoping
from handoff.access.actor import actor_for_request


class AmbiguousRequestMiddleware:
    """A request id the reader sees on two requests (ids are unique per office and facility, security review
    M8) answers 409 with a link to each, told apart by `?office=&facility=`; never a 500. Only requests the
    reader may read are listed, so the page says nothing about other scopes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, scoping.AmbiguousRequest) or request.path.startswith("/api/"):
            return None
        who = actor_for_request(request)
        choices = [{"request_id": r.request_id, "office": r.office.code,
                    "facility": scoping.facility_code(who, r.facility), "kind": r.get_kind_display(),
                    "status": r.get_status_display()} for r in exc.found]
        return render(request, "web/request_choose.html", {"choices": choices, "path": request.path}, status=409)
