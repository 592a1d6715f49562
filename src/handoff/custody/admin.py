"""The Django admin's view of custody records, in the facility's local time.

Why: a booking's times are the jail's; the admin showed and took them as UTC without saying so (users review:
"Dec. 1, 2026, 6 p.m." for a 10:00 PST booking, and 20:00 typed into the form stored 20:00 UTC). The change
form now runs in the facility's zone (Django shows and reads datetimes in the current time zone), and the list
shows each time with its zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from handoff.core import clock
from handoff.custody.models import Booking, Charge, Conviction, Person, RecordChange, ReleaseScheduleChange
from handoff.jurisdictions.models import Facility


class ChargeInline(admin.TabularInline):
    model = Charge
    extra = 0


def _local(field: str, label: str) -> Callable[[Any, Booking], str]:
    def show(self: Any, obj: Booking) -> str:
        return clock.local_text(getattr(obj, field), obj.facility.timezone, missing="-")

    show.short_description = label  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    return show


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("booking_number", "facility", "booked", "scheduled_release", "released")
    list_select_related = ("facility",)
    list_filter = ("facility", "release_type")
    search_fields = ("booking_number",)
    raw_id_fields = ("person", "facility")
    inlines = [ChargeInline]

    booked = _local("booked_at", "booked (facility time)")
    scheduled_release = _local("scheduled_release_at", "scheduled release (facility time)")
    released = _local("released_at", "released (facility time)")

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Show and read the form's times in the facility's zone, named above the form."""
        facility = None
        if object_id is not None:
            facility = Facility.objects.filter(bookings__pk=object_id).first()
        if facility is None and request.method == "POST" and str(request.POST.get("facility", "")).isdigit():
            facility = Facility.objects.filter(pk=int(request.POST["facility"])).first()
        zone = clock.zone(facility.timezone if facility is not None else None)
        extra = {**(extra_context or {}), "subtitle": f"Times in {zone.key} (the facility's local time)"}
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra)
            if isinstance(response, TemplateResponse):
                response.render()  # inside the zone: a TemplateResponse renders after the view returns
            return response


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("id", "last_name", "first_name", "date_of_birth", "fbi_number", "a_number")
    search_fields = ("last_name", "fbi_number", "a_number", "state_id")


admin.site.register(Conviction)


@admin.register(ReleaseScheduleChange)
class ReleaseScheduleChangeAdmin(admin.ModelAdmin):
    """Every release time a booking has had, each in the booking's facility time with its zone."""

    list_display = ("booking", "changed", "was", "now", "source")
    list_select_related = ("booking__facility",)
    raw_id_fields = ("booking",)

    def _tz(self, obj: ReleaseScheduleChange) -> str:
        return obj.booking.facility.timezone

    @admin.display(description="changed at (facility time)", ordering="changed_at")
    def changed(self, obj: ReleaseScheduleChange) -> str:
        return clock.local_text(obj.changed_at, self._tz(obj), missing="-", seconds=True)

    @admin.display(description="release before (facility time)")
    def was(self, obj: ReleaseScheduleChange) -> str:
        return clock.local_text(obj.previous, self._tz(obj), missing="-")

    @admin.display(description="release after (facility time)", ordering="scheduled_release_at")
    def now(self, obj: ReleaseScheduleChange) -> str:
        return clock.local_text(obj.scheduled_release_at, self._tz(obj), missing="-")


@admin.register(RecordChange)
class RecordChangeAdmin(admin.ModelAdmin):
    """The record history. A booking's change is shown in its facility's time; any other in UTC, named."""

    list_display = ("model", "object_id", "changed", "source")
    list_filter = ("model",)

    @admin.display(description="changed at", ordering="changed_at")
    def changed(self, obj: RecordChange) -> str:
        tz = None
        if obj.model == "Booking":
            tz = Facility.objects.filter(bookings__pk=obj.object_id).values_list("timezone", flat=True).first()
        return clock.local_text(obj.changed_at, tz, missing="-", seconds=True)
