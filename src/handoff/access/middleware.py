"""Session limits and the permission map, applied to every page.

Why middleware: a page whose author forgot a check must still be protected. The permission middleware
refuses any URL name without a declared rule; the session middleware ends sessions after 30 minutes idle
or 12 hours in all (CJIS session lock / termination), whatever the page does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from handoff.access.actor import actor_for_request
from handoff.access.permissions import rule_for_view
from handoff.audit import record
from handoff.core import clock

LOGIN_AT = "handoff_login_at"
SEEN_AT = "handoff_seen_at"
SEEN_WRITE_EVERY = 30  # seconds: do not rewrite the session on every request
#: header a page's background refresh sends (hx-headers on the polling element): not the user's activity
POLL_HEADER = "HTTP_X_HANDOFF_POLL"


def is_background_poll(request: HttpRequest) -> bool:
    """A refresh the page makes by itself (the jail dashboard every 60 s). Why it must not count as activity
    (security review M7): an open dashboard would otherwise keep the session alive forever and the 30-minute
    idle lock would never fire on an unattended screen."""
    return bool(request.META.get(POLL_HEADER)) and request.method in ("GET", "HEAD")


def idle_seconds() -> int:
    return int(getattr(settings, "SESSION_IDLE_SECONDS", 30 * 60))


def absolute_seconds() -> int:
    return int(getattr(settings, "SESSION_COOKIE_AGE", 12 * 60 * 60))


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = clock.now().timestamp()
            session = request.session
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT)
            if login_at is None or seen_at is None:
                session[LOGIN_AT] = login_at or now
                session[SEEN_AT] = now
            else:
                reason = ""
                if now - float(seen_at) > idle_seconds():
                    reason = "idle"
                elif now - float(login_at) > absolute_seconds():
                    reason = "maximum"
                if reason:
                    actor = actor_for_request(request)
                    with transaction.atomic():
                        record(actor, "session.expired", outcome="success", object_type="user",
                               object_ids=[user.pk], detail={"reason": reason})
                    logout(request)
                    request.actor = None  # type: ignore[attr-defined]
                    request.session["handoff_expired"] = reason
                elif now - float(seen_at) > SEEN_WRITE_EVERY and not is_background_poll(request):
                    session[SEEN_AT] = now
        return self.get_response(request)


def _is_api_operation(view_func: Callable[..., Any]) -> bool:
    """django-ninja operations check bearer tokens against the API rules themselves."""
    return getattr(view_func, "__qualname__", "").startswith("PathView.get_view")


class PermissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        if _is_api_operation(view_func):
            return None
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        rule = rule_for_view(view_name)
        actor = actor_for_request(request)
        if rule is not None and rule.allows(actor, request.method or "GET"):
            return None
        if rule is not None and not actor.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        with transaction.atomic():
            record(actor, "page.denied", outcome="denied", object_type="url",
                   object_ids=[view_name], detail={"method": request.method, "declared": rule is not None})
        if rule is not None and rule.conceal:
            raise Http404("not found")
        return TemplateResponse(request, "access/forbidden.html",
                                {"undeclared": rule is None}, status=403).render()
