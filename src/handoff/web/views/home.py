"""The front door: the public lands on the transparency page (what the product is for, with nothing to log on
to), users on their role's dashboard. Staff reach the log-on page from the header's "Sign in"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from handoff.web.nav import JAIL_ROLES, current_role


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:transparency")
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
