"""A small, controlled world for the page tests: real places and the shipped law, a few jails and offices,
accounts of every role, and requests in every state a page must show.

Built through the services (requests.services.receive decides and schedules notices) so the pages show what
the product really produces; only the custody rows are written directly, as an ingest would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from handoff.core import clock

PASSWORD = "correct horse battery staple 42"

# (fips, name, kind, parent fips, postal, timezone)
PLACES = [
    ("us", "United States", "nation", None, "", ""),
    ("06", "California", "state", "us", "CA", "America/Los_Angeles"),
    ("24", "Maryland", "state", "us", "MD", "America/New_York"),
    ("48", "Texas", "state", "us", "TX", "America/Chicago"),
    ("06037", "Los Angeles County", "county", "06", "CA", "America/Los_Angeles"),
    ("06001", "Alameda County", "county", "06", "CA", "America/Los_Angeles"),
    ("24031", "Montgomery County", "county", "24", "MD", "America/New_York"),
    ("48201", "Harris County", "county", "48", "TX", "America/Chicago"),
    # three whose cooperation is confidential: enough to be pooled on the public page
    ("48113", "Dallas County", "county", "48", "TX", "America/Chicago"),
    ("48029", "Bexar County", "county", "48", "TX", "America/Chicago"),
    ("48453", "Travis County", "county", "48", "TX", "America/Chicago"),
]
CONFIDENTIAL = {"48113", "48029", "48453"}
FACILITIES = [
    ("LA-MCJ", "Men's Central Jail", "06037"),
    ("ALA-SRJ", "Santa Rita Jail", "06001"),
    ("MC-CF", "Montgomery County Correctional Facility", "24031"),
    ("HC-JAIL", "Harris County Jail", "48201"),
    ("DAL-LEW", "Lew Sterrett Justice Center", "48113"),
    ("BEX-ADC", "Bexar County Adult Detention Center", "48029"),
    ("TRV-CCC", "Travis County Correctional Complex", "48453"),
]


@dataclass
class World:
    now: datetime
    users: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    facilities: dict[str, Any] = field(default_factory=dict)
    offices: dict[str, Any] = field(default_factory=dict)


def build_places(*, webhook_url: str = "", secret: str = "") -> dict[str, Any]:
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry

    made: dict[str, Jurisdiction] = {}
    for fips, name, kind, parent, postal, tz in PLACES:
        j, _ = Jurisdiction.objects.get_or_create(
            fips=fips, defaults={"name": name, "kind": kind, "parent": made.get(parent or ""), "postal": postal,
                                 "default_timezone": tz, "confidential": fips in CONFIDENTIAL})
        made[fips] = j
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    facilities = {}
    for code, name, fips in FACILITIES:
        facilities[code], _ = Facility.objects.get_or_create(
            code=code, defaults={"name": name, "jurisdiction": made[fips], "timezone": made[fips].default_timezone})
    secret = secret or "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    offices = {}
    for code, name, covers in [("LOS", "ICE ERO Los Angeles", ["06037", "06001"]),
                               ("BAL", "ICE ERO Baltimore", ["24031"]),
                               ("HOU", "ICE ERO Houston", ["48201", "48113", "48029", "48453"])]:
        office, _ = FederalOffice.objects.get_or_create(
            code=code, defaults={"name": name, "webhook_url": webhook_url, "webhook_secret": secret if webhook_url else ""})
        office.covers.set([made[f] for f in covers])
        offices[code] = office
    return {"jurisdictions": made, "facilities": facilities, "offices": offices}


def build_users(password: str | None = PASSWORD) -> dict[str, Any]:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user

    spec = [
        ("clerk_la", "jail_clerk", {"facilities": ["LA-MCJ"]}),
        ("super_la", "jail_supervisor", {"facilities": ["LA-MCJ"]}),
        ("clerk_mc", "jail_clerk", {"facilities": ["MC-CF"]}),
        ("clerk_hc", "jail_clerk", {"facilities": ["HC-JAIL"]}),
        ("clerk_dal", "jail_clerk", {"facilities": ["DAL-LEW"]}),
        ("officer_los", "federal_officer", {"offices": ["LOS"]}),
        ("officer_bal", "federal_officer", {"offices": ["BAL"]}),
        ("counsel_la", "county_counsel", {"jurisdictions": ["06037"]}),
        ("auditor", "auditor", {}),
        ("admin", "admin", {}),
    ]
    users = {}
    for name, role, places in spec:
        users[name] = create_user(SYSTEM, name, role, password=password, **places)
    return users


_seq = itertools.count(1)


def add_booking(facility: Any, *, last: str, first: str, dob: date, release_in: timedelta | None,
                released_ago: timedelta | None = None, convictions: list[dict[str, Any]] = (),  # type: ignore[assignment]
                charges: list[dict[str, Any]] = (), a_number: str = "", now: datetime | None = None) -> Any:  # type: ignore[assignment]
    from handoff.custody.models import Booking, Charge, Conviction, Person

    now = now or clock.now()
    n = next(_seq)
    person = Person.objects.create(last_name=last, first_name=first, date_of_birth=dob, sex="M", a_number=a_number,
                                   fbi_number=f"{n:07d}AB1")
    booking = Booking.objects.create(
        facility=facility, booking_number=f"{facility.code}-{n:06d}", person=person, booked_at=now - timedelta(days=20),
        scheduled_release_at=(now + release_in) if release_in is not None else (now - released_ago if released_ago else None),
        release_type="scheduled", released_at=(now - released_ago) if released_ago else None,
        release_reason="sentence_served" if released_ago else "",
    )
    for i, c in enumerate(charges, start=1):
        Charge.objects.create(booking=booking, seq=i, **c)
    for c in convictions:
        Conviction.objects.create(person=person, source_key=f"k{n}-{c['statute']}-{c['convicted_on']}", **c)
    return booking


def send_request(request_id: str, booking: Any, office: str, *, kind: str = "detainer", warrant: str = "administrative",
                 lead_time_hours: int = 48, at: datetime | None = None, **extra: Any) -> Any:
    from handoff.casework.flow import receive
    from handoff.requests.inputs import RequestInput, SubjectInput

    person = booking.person
    data = RequestInput(
        request_id=request_id, kind=kind, issued_at=(at or clock.now()) - timedelta(hours=1), office=office,
        facility=booking.facility.code, booking_number=extra.pop("booking_number", booking.booking_number),
        subject=SubjectInput(last_name=person.last_name, first_name=person.first_name,
                             date_of_birth=person.date_of_birth, a_number=person.a_number,
                             fbi_number=extra.pop("fbi_number", person.fbi_number)),
        form="I-247A", warrant_type=warrant, warrant_form="I-200" if warrant == "administrative" else "",
        lead_time_hours=lead_time_hours, basis=("biometric_match",), **extra,
    )
    return receive(data, source="test", at=at).request


ROBBERY = {"statute": "CA PC 211", "level": "felony", "convicted_on": date(2019, 4, 2),
           "categories": ["serious_felony", "violent_felony"], "state": "CA"}


def build_world(*, webhook_url: str = "", with_users: bool = True, passwords: bool = True) -> World:
    """The standard world. Times are relative to now, so countdowns and windows are always meaningful."""
    now = clock.now()
    built = build_places(webhook_url=webhook_url)
    w = World(now=now, facilities=built["facilities"], offices=built["offices"])
    if with_users:
        w.users = build_users(PASSWORD if passwords else None)
    f = w.facilities
    # Los Angeles: a serious-felony conviction -> California permits notice (Gov. Code 7282.5(a)(1))
    b1 = add_booking(f["LA-MCJ"], last="Garcia", first="Miguel", dob=date(1988, 3, 14), release_in=timedelta(hours=60),
                     convictions=[ROBBERY], a_number="A123456789")
    w.requests["notify"] = send_request("LOS-2025-0001", b1, "LOS")
    # Los Angeles: no qualifying conviction -> declined
    b2 = add_booking(f["LA-MCJ"], last="Nguyen", first="Thanh", dob=date(1995, 7, 2), release_in=timedelta(hours=30))
    w.requests["declined"] = send_request("LOS-2025-0002", b2, "LOS")
    # Los Angeles: two people with the same name and birth date and no identifiers -> match needs review
    twin_dob = date(1990, 1, 1)
    b3 = add_booking(f["LA-MCJ"], last="Smith", first="John", dob=twin_dob, release_in=timedelta(hours=20),
                     convictions=[ROBBERY])
    add_booking(f["LA-MCJ"], last="Smith", first="John", dob=twin_dob, release_in=timedelta(days=9))
    w.requests["review"] = send_request("LOS-2025-0003", b3, "LOS", booking_number="", fbi_number="")
    w.requests["review_booking"] = b3
    # Montgomery County: a listed (violent) conviction -> notified 48 hours ahead without review
    b4 = add_booking(f["MC-CF"], last="Lopez", first="Ana", dob=date(1979, 11, 23), release_in=timedelta(hours=70),
                     convictions=[{"statute": "MD CR 3-202", "level": "felony", "convicted_on": date(2016, 3, 1),
                                   "state": "MD", "categories": ["violent_felony"]}])
    w.requests["montgomery"] = send_request("BAL-2025-0001", b4, "BAL")
    # Los Angeles: a conviction whose level was never recorded -> an uncertain rule -> a supervisor decides
    b6 = add_booking(f["LA-MCJ"], last="Ortiz", first="Luis", dob=date(1983, 9, 9), release_in=timedelta(hours=40),
                     convictions=[{"statute": "CA PC 459", "level": "", "convicted_on": date(2021, 6, 1), "state": "CA"}])
    w.requests["uncertain"] = send_request("LOS-2025-0004", b6, "LOS")
    # Dallas (confidential): cooperates quietly
    b5 = add_booking(f["DAL-LEW"], last="Brown", first="Kevin", dob=date(1985, 5, 5), release_in=timedelta(hours=50))
    w.requests["confidential"] = send_request("HOU-2025-0001", b5, "HOU")
    return w
