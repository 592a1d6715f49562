from django.contrib import admin

from handoff.custody.models import Booking, Charge, Conviction, Person, RecordChange, ReleaseScheduleChange


class ChargeInline(admin.TabularInline):
    model = Charge
    extra = 0


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("booking_number", "facility", "booked_at", "scheduled_release_at", "released_at")
    list_filter = ("facility", "release_type")
    search_fields = ("booking_number",)
    raw_id_fields = ("person", "facility")
    inlines = [ChargeInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("id", "last_name", "first_name", "date_of_birth", "fbi_number", "a_number")
    search_fields = ("last_name", "fbi_number", "a_number", "state_id")


admin.site.register(Conviction)
admin.site.register(RecordChange)
admin.site.register(ReleaseScheduleChange)
