"""People search and linking a request by hand (issue 12.1).

Why here: a request whose subject was booked under another spelling, or a date of birth keyed wrong, waits
until a clerk finds the person; this page finds them among the bookings the clerk may read (access.scoping),
and the request page links the request to the booking with a reason. Searches are audited by the kinds of
search and the bookings shown, never by the text typed (which may be a name)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from handoff.access import scoping
from handoff.audit import record
from handoff.casework import flow
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.custody import search as custody_search
from handoff.web.forms import LinkForm, PeopleSearchForm
from handoff.web.views.common import actor, staff_user
from handoff.web.views.requests import detail_context


@require_http_methods(["GET", "HEAD"])
def people_search(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    form = PeopleSearchForm(request.GET or None)
    found = None
    for_request = (request.GET.get("request") or "").strip()[:80]
    if for_request:
        try:
            scoping.get_request(who, for_request, **scoping.request_qualifiers(request.GET))
        except NotFound:
            for_request = ""
        except Conflict:  # the same id on two requests this reader sees (review M8): the search still works
            pass
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        found = custody_search.search(scoping.bookings_for(who), form.cleaned_data["q"])
        with transaction.atomic():
            record(who, "person.search", object_type="booking", object_ids=[h.booking.pk for h in found.hits],
                   detail={"kinds": found.kinds, "results": found.total}, request=request)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "web/people_search.html", {"form": form, "found": found, "for_request": for_request},
                  status=status)


@require_POST
def request_link(request: HttpRequest, request_id: str) -> HttpResponse:
    """Link the request to a booking found by searching. A booking the clerk may not read (another county's)
    is answered 404, as if it did not exist."""
    who = actor(request)
    try:
        req = scoping.get_request(who, request_id, **scoping.request_qualifiers(request.GET))
    except NotFound:
        raise Http404("request not found") from None
    form = LinkForm(request.POST)
    if not form.is_valid():
        ctx = detail_context(request, req)
        ctx["link_form"] = form
        return render(request, "web/request_detail.html", ctx, status=400)
    try:
        booking = scoping.get_booking(who, form.cleaned_data["booking"])
    except NotFound:
        with transaction.atomic():
            record(who, "request.link", outcome="not_found", object_type="request", object_ids=[req.request_id],
                   detail={"error": "not_found"}, request=request)
        raise Http404("booking not found") from None
    try:
        with transaction.atomic():
            flow.link_by_hand(req, booking, by=staff_user(request), reason=form.cleaned_data["reason"])
            record(who, "request.link", object_type="request", object_ids=[req.request_id, booking.pk],
                   detail={"booking": booking.pk, "reason": form.cleaned_data["reason"]}, request=request)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(
                    reverse("web:request_detail", args=[req.request_id]) + scoping.request_query(who, req))
    messages.success(request, f"Linked to booking {booking.booking_number}; the law has been applied.")
    return HttpResponseRedirect(
                    reverse("web:request_detail", args=[req.request_id]) + scoping.request_query(who, req))
