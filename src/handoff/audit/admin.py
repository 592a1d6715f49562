"""The audit log in the admin: read-only (no add, change or delete path)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from handoff.audit.models import AuditEvent
from handoff.core import clock


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "when", "actor", "role", "source", "action", "outcome", "object_type")
    list_filter = ("action", "outcome", "role")
    search_fields = ("actor", "action", "source")
    ordering = ("-seq",)
    actions = None

    @admin.display(description="at (UTC)", ordering="at")
    def when(self, obj: AuditEvent) -> str:
        """An entry belongs to no one facility: its time is shown in UTC, and says so."""
        return clock.local_text(obj.at, "UTC", seconds=True)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
