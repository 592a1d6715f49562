from django.contrib import admin

from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction, PolicyAssignment


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("fips", "name", "kind", "postal", "confidential")
    list_filter = ("kind", "confidential")
    search_fields = ("fips", "name")
    raw_id_fields = ("parent",)


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "jurisdiction", "timezone")
    search_fields = ("code", "name")
    raw_id_fields = ("jurisdiction", "city")


def _masked(secret: str) -> str:
    return "set (hidden; change it with `handoff office add CODE --secret ...`)" if secret else "not set"


@admin.register(FederalOffice)
class FederalOfficeAdmin(admin.ModelAdmin):
    """Why the webhook secrets are never on these pages (security review L7): whoever holds an office's
    secret can forge notices to it or read-confirm its receipts, and an admin page is screenshotted, cached
    and shoulder-surfed. The pages say only whether a secret is set; the CLI sets it."""

    list_display = ("code", "name", "email", "webhook_url")
    search_fields = ("code", "name")
    filter_horizontal = ("covers",)
    exclude = ("webhook_secret", "escalation_webhook_secret")
    readonly_fields = ("webhook_secret_state", "escalation_webhook_secret_state")

    @admin.display(description="Webhook secret")
    def webhook_secret_state(self, office: FederalOffice) -> str:
        return _masked(office.webhook_secret)

    @admin.display(description="Escalation webhook secret")
    def escalation_webhook_secret_state(self, office: FederalOffice) -> str:
        return _masked(office.escalation_webhook_secret)


@admin.register(PolicyAssignment)
class PolicyAssignmentAdmin(admin.ModelAdmin):
    list_display = ("policy_id", "jurisdiction", "assigned_at")
    list_filter = ("policy_id",)
    raw_id_fields = ("jurisdiction",)
