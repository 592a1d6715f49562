"""The front door: anonymous visitors go to the sign-in page, users to their role's dashboard."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from handoff.web.nav import JAIL_ROLES, current_role


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        try:
            login = reverse("access:login")
        except NoReverseMatch:
            login = settings.LOGIN_URL
        return redirect(f"{login}?{urlencode({'next': '/'})}")
    role = current_role(request)
    if role == "federal_officer":
        return redirect("web:office")
    if role in JAIL_ROLES:
        return redirect("web:jail")
    return redirect("web:policies")


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """The idle warning's "stay signed in": any authenticated request counts as activity."""
    request.session.modified = True
    return HttpResponse(status=204)
