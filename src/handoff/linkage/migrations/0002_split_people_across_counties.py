"""Security review H4: a Person shared by bookings in several counties becomes one Person per county, the
copies joined through one Identity (method "deterministic": they were joined by an identifier or an exact
name and date of birth). The county of each booking's first booking keeps the original row (and its id); the
others get a copy with the same fields and a copy of the criminal history, and their bookings move to it."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

PERSON_COPY = ("last_name", "first_name", "middle_name", "date_of_birth", "sex", "fbi_number", "state_id", "a_number",
               "country_of_birth", "registrant_sex_offender", "registrant_arson", "lawful_status_proven")
CONVICTION_COPY = ("statute", "level", "wobbler", "convicted_on", "state", "categories", "state_prison",
                   "prop47_reduced", "custody_days_since", "source_key")


def split(apps: Any, schema_editor: Any) -> None:
    Person = apps.get_model("custody", "Person")
    Booking = apps.get_model("custody", "Booking")
    Conviction = apps.get_model("custody", "Conviction")
    Identity = apps.get_model("linkage", "Identity")
    PersonIdentity = apps.get_model("linkage", "PersonIdentity")
    now = timezone.now()
    first_county = (Booking.objects.filter(person_id=OuterRef("pk")).order_by("booked_at", "pk")
                    .values("facility__jurisdiction_id")[:1])
    Person.objects.filter(jurisdiction__isnull=True).update(jurisdiction_id=Subquery(first_county))
    shared = (Booking.objects.values("person_id").annotate(n=Count("facility__jurisdiction_id", distinct=True))
              .filter(n__gt=1).values_list("person_id", flat=True))
    for person in Person.objects.filter(pk__in=list(shared)).order_by("pk"):
        counties = list(dict.fromkeys(
            Booking.objects.filter(person_id=person.pk).order_by("booked_at", "pk")
            .values_list("facility__jurisdiction_id", flat=True)))
        identity = Identity.objects.create(created_at=now)
        PersonIdentity.objects.create(person_id=person.pk, identity=identity, method="deterministic", linked_at=now)
        convictions = list(Conviction.objects.filter(person_id=person.pk))
        for county in counties[1:]:
            copy = Person.objects.create(jurisdiction_id=county, **{f: getattr(person, f) for f in PERSON_COPY})
            Booking.objects.filter(person_id=person.pk, facility__jurisdiction_id=county).update(person_id=copy.pk)
            Conviction.objects.bulk_create([
                Conviction(person_id=copy.pk, **{f: getattr(c, f) for f in CONVICTION_COPY}) for c in convictions])
            PersonIdentity.objects.create(person_id=copy.pk, identity=identity, method="deterministic",
                                          linked_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0001_initial"),
        ("custody", "0003_person_county_address"),
        ("jurisdictions", "0001_initial"),
    ]

    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
