"""Coverage for test offices: an office covers only the places it has a coverage row for (security review H1,
`jurisdictions.services.office_covers`), so a fixture's office must be given the places its requests name."""

from __future__ import annotations

from typing import Any


def cover(office: Any, *places: Any) -> Any:
    """Make `office` cover `places`: Jurisdiction rows, FIPS codes, or Facilities (their county, and their city
    when they have one). Without `places`: the place of every facility that exists now. Returns the office."""
    from handoff.jurisdictions.models import Facility, Jurisdiction

    chosen: list[Any] = []
    for place in places or tuple(Facility.objects.all()):
        if isinstance(place, Facility):
            chosen.append(place.jurisdiction)
            if place.city_id is not None:
                chosen.append(place.city)
        elif isinstance(place, Jurisdiction):
            chosen.append(place)
        else:
            chosen.append(Jurisdiction.objects.get(fips=str(place)))
    office.covers.add(*chosen)
    return office
