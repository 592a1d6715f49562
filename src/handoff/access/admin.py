"""Admin for accounts and tokens; the whole admin site requires a verified second factor (OTPAdminSite).

Why tokens are read-only here: a token is created by `handoff token create` (which shows it once); the
admin may only look at and revoke tokens (set revoked_at), never see or edit a digest.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from handoff.access.models import Account, ApiToken, Membership

admin.site.__class__ = OTPAdminSite


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("jurisdiction", "facility", "office")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "created_at", "disabled_at")
    list_filter = ("role",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "role", "created_at", "expires_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("prefix", "user__username")
    exclude = ("digest",)
    readonly_fields = ("user", "name", "prefix", "role", "facility_ids", "jurisdiction_ids", "office_ids",
                       "created_at", "expires_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
