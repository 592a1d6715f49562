"""Admin for accounts and tokens; the whole admin site requires a verified second factor (OTPAdminSite).

Why tokens are read-only here: a token is created by `handoff token create` (which shows it once); the
admin may only look at and revoke tokens (set revoked_at), never see or edit a digest.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite

from handoff.access import services
from handoff.access.actor import actor_for_request
from handoff.access.models import Account, ApiToken, Membership
from handoff.audit import record
from handoff.core import clock

#: selected ids kept per bulk-action entry (the count is always kept)
MAX_IDS = 200


class AuditedAdminSite(OTPAdminSite):
    """The admin site, with every page view and bulk action in the audit log (security review M4). Why here:
    an admin page of a Person shows name, date of birth and FBI number, and only its writes reached the log
    (through LogEntry); every ModelAdmin view passes through `admin_view`, so one wrapper covers them all."""

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Callable[..., Any]:
        inner = super().admin_view(view, cacheable)

        def audited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response: HttpResponse = inner(request, *args, **kwargs)
            if getattr(request.user, "is_authenticated", False):
                _audit_admin_request(request, kwargs, response.status_code)
            return response

        return update_wrapper(audited, inner)


def _audit_admin_request(request: HttpRequest, kwargs: dict[str, Any], status: int) -> None:
    match = request.resolver_match
    view = (match.url_name if match is not None else "") or request.path
    ids: list[str] = []
    detail: dict[str, Any] = {"view": view, "method": request.method, "status": status}
    if kwargs.get("object_id"):
        ids = [str(kwargs["object_id"])]
    action = "admin.read" if request.method in ("GET", "HEAD") else "admin.post"
    if request.method == "POST" and request.POST.get("action"):
        action = "admin.action"
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        ids = [s[:40] for s in selected[:MAX_IDS]]
        detail.update(bulk_action=request.POST["action"][:60], selected=len(selected),
                      select_across=request.POST.get("select_across") == "1")
    if request.method == "GET" and request.GET:
        detail["query"] = sorted(request.GET.keys())[:20]
    with transaction.atomic():
        record(actor_for_request(request), action, outcome="success" if status < 400 else "denied",
               object_type="admin_page", object_ids=ids, detail=detail)


admin.site.__class__ = AuditedAdminSite


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("jurisdiction", "facility", "office")


def _utc(field: str, label: str) -> Any:
    """An account's times belong to no one facility: shown in UTC, and saying so (never a bare time)."""
    def show(self: Any, obj: Any) -> str:
        return clock.local_text(getattr(obj, field), "UTC", missing="-")

    show.short_description = f"{label} (UTC)"  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    return show


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "created", "disabled")
    list_filter = ("role",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    inlines = [MembershipInline]
    actions = ["unlock_logon"]
    created = _utc("created_at", "created")
    disabled = _utc("disabled_at", "disabled")

    @admin.action(description="Unlock log-on (clear failed attempts from every address)")
    def unlock_logon(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        """The admin unlock of security review L1, beside `handoff user unlock NAME`; audited there."""
        actor = actor_for_request(request)
        names = []
        for account in queryset.select_related("user"):
            with transaction.atomic():
                services.unlock(actor, account.user.get_username())
            names.append(account.user.get_username())
        self.message_user(request, f"Unlocked: {', '.join(names) or 'nobody'}", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "role", "created", "expires", "revoked")
    list_filter = ("role",)
    search_fields = ("prefix", "user__username")
    exclude = ("digest",)
    created = _utc("created_at", "created")
    expires = _utc("expires_at", "expires")
    revoked = _utc("revoked_at", "revoked")
    readonly_fields = ("user", "name", "prefix", "role", "facility_ids", "jurisdiction_ids", "office_ids",
                       "created_at", "expires_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
