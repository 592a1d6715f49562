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


@admin.register(FederalOffice)
class FederalOfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "webhook_url")
    search_fields = ("code", "name")
    filter_horizontal = ("covers",)


@admin.register(PolicyAssignment)
class PolicyAssignmentAdmin(admin.ModelAdmin):
    list_display = ("policy_id", "jurisdiction", "assigned_at")
    list_filter = ("policy_id",)
    raw_id_fields = ("jurisdiction",)
