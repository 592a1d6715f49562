"""The data migration of H4: people shared across counties before the fix become one Person per county, each
with the criminal history, joined through one identity."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
from django.apps import apps

from handoff.custody.models import Booking, Conviction, Person
from handoff.linkage import services

pytestmark = pytest.mark.django_db
split = importlib.import_module("handoff.linkage.migrations.0002_split_people_across_counties").split


def test_it_splits_a_person_shared_across_counties_and_links_the_copies(jails: dict) -> None:
    shared = Person.objects.create(last_name="DOE", first_name="HC", date_of_birth=date(1981, 1, 1),
                                   fbi_number="HCFBI1")
    alone = Person.objects.create(last_name="ROE", first_name="LA", date_of_birth=date(1990, 1, 1))
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for n, (facility, person) in enumerate([("HARRIS", shared), ("LA", shared), ("LA2", shared), ("LA", alone)]):
        Booking.objects.create(facility=jails[facility], booking_number=f"X{n}", person=person,
                               booked_at=when.replace(day=n + 1))
    Conviction.objects.create(person=shared, statute="TX PC 22.02", level="felony", convicted_on=date(2015, 5, 5),
                              source_key="k1")
    split(apps, None)
    harris = Person.objects.get(pk=shared.pk)
    assert harris.jurisdiction == jails["HARRIS"].jurisdiction  # the county of the first booking keeps the row
    la = Booking.objects.get(booking_number="X1").person
    assert la.pk != harris.pk and la.jurisdiction == jails["LA"].jurisdiction
    assert Booking.objects.get(booking_number="X2").person_id == la.pk  # both LA jails: one county, one person
    assert (la.last_name, la.fbi_number) == ("DOE", "HCFBI1")
    assert list(la.convictions.values_list("statute", flat=True)) == ["TX PC 22.02"]
    keys = services.identity_keys([harris.pk, la.pk, alone.pk])
    assert keys[harris.pk] == keys[la.pk] != keys[alone.pk] == f"P{alone.pk}"
    assert Person.objects.get(pk=alone.pk).jurisdiction == jails["LA"].jurisdiction
