"""A small world for access tests: two counties (one of them cooperating confidentially), a jail and a
federal office in each, an account and a token for every role placed in the first county ("own"), and in
each county a booking with a decided request and a sent notice.

Built through the services, so scoping is tested against what the product really stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from handoff.core import clock

PASSWORD = "correct horse battery staple 42"
OWN_FIPS, OTHER_FIPS = "06037", "48113"
OWN_FACILITY, OTHER_FACILITY = "LA-MCJ", "DAL-LEW"
OWN_OFFICE, OTHER_OFFICE = "LOS", "HOU"
OTHER_NAME = "Dallas County"
OTHER_FACILITY_NAME = "Lew Sterrett Justice Center"
ROLES = ("jail_clerk", "jail_supervisor", "federal_officer", "county_counsel", "auditor", "admin")

PLACES = [
    ("us", "United States", "nation", None, "", ""),
    ("06", "California", "state", "us", "CA", "America/Los_Angeles"),
    ("48", "Texas", "state", "us", "TX", "America/Chicago"),
    (OWN_FIPS, "Los Angeles County", "county", "06", "CA", "America/Los_Angeles"),
    (OTHER_FIPS, OTHER_NAME, "county", "48", "TX", "America/Chicago"),
]


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    facilities: dict[str, Any] = field(default_factory=dict)
    offices: dict[str, Any] = field(default_factory=dict)
    jurisdictions: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    bookings: dict[str, Any] = field(default_factory=dict)
    notices: dict[str, Any] = field(default_factory=dict)


def build_places(w: World, *, confidential: bool = True) -> None:
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry

    for fips, name, kind, parent, postal, tz in PLACES:
        w.jurisdictions[fips] = Jurisdiction.objects.create(
            fips=fips, name=name, kind=kind, parent=w.jurisdictions.get(parent or ""), postal=postal,
            default_timezone=tz, confidential=confidential and fips == OTHER_FIPS)
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    for code, name, fips in [(OWN_FACILITY, "Men's Central Jail", OWN_FIPS),
                             (OTHER_FACILITY, OTHER_FACILITY_NAME, OTHER_FIPS)]:
        j = w.jurisdictions[fips]
        w.facilities[code] = Facility.objects.create(code=code, name=name, jurisdiction=j, timezone=j.default_timezone)
    for code, name, fips in [(OWN_OFFICE, "ICE ERO Los Angeles", OWN_FIPS), (OTHER_OFFICE, "ICE ERO Houston", OTHER_FIPS)]:
        office = FederalOffice.objects.create(code=code, name=name, email=f"{code.lower()}@example.gov")
        office.covers.set([w.jurisdictions[fips]])
        w.offices[code] = office


def build_accounts(w: World) -> None:
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_token, create_user

    places: dict[str, dict[str, list[str]]] = {
        "jail_clerk": {"facilities": [OWN_FACILITY]},
        "jail_supervisor": {"jurisdictions": [OWN_FIPS]},
        "federal_officer": {"offices": [OWN_OFFICE]},
        "county_counsel": {"jurisdictions": [OWN_FIPS]},
        "auditor": {},
        "admin": {},
    }
    # no passwords: argon2 is slow on purpose, and these accounts log on with verified_login()
    for role in ROLES:
        w.users[role] = create_user(SYSTEM, role, role, **places[role])
        w.tokens[role] = create_token(SYSTEM, role)[1]
    # the other county's own clerk (for the confidential-cooperation checks)
    w.users["other_clerk"] = create_user(SYSTEM, "other_clerk", "jail_clerk", facilities=[OTHER_FACILITY])
    w.tokens["other_clerk"] = create_token(SYSTEM, "other_clerk")[1]


def add_case(w: World, side: str, facility_code: str, office_code: str, n: int) -> None:
    """A person booked, a detainer matched and decided, and its first notice marked sent."""
    from handoff.casework.flow import receive
    from handoff.custody.models import Booking, Person
    from handoff.notices.models import Notice
    from handoff.requests.inputs import RequestInput, SubjectInput

    now = clock.now()
    facility = w.facilities[facility_code]
    person = Person.objects.create(jurisdiction=facility.jurisdiction, last_name=f"Doe{side.title()}", first_name="Jan",
                                   date_of_birth=date(1980, 1, n),
                                   sex="M", fbi_number=f"{n:07d}AB1", a_number=f"A{n:09d}")
    booking = Booking.objects.create(facility=facility, booking_number=f"{facility_code}-{n:04d}", person=person,
                                     booked_at=now - timedelta(days=3), scheduled_release_at=now + timedelta(hours=72),
                                     release_type="scheduled")
    data = RequestInput(
        request_id=f"{office_code}-2025-{n:04d}", kind="detainer", issued_at=now - timedelta(hours=1),
        office=office_code, facility=facility_code, booking_number=booking.booking_number,
        subject=SubjectInput(last_name=person.last_name, first_name="Jan", date_of_birth=person.date_of_birth,
                             a_number=person.a_number, fbi_number=person.fbi_number),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",),
    )
    req = receive(data, source="test").request
    w.requests[side] = req
    w.bookings[side] = booking
    w.bookings[f"{side}_release"] = Booking.objects.create(
        facility=facility, booking_number=f"{facility_code}-R{n:03d}", person=person,
        booked_at=now - timedelta(days=2), scheduled_release_at=now + timedelta(days=30), release_type="scheduled")
    notice = Notice.objects.filter(request=req).exclude(kind__startswith="letter.").order_by("pk").first()
    if notice is None:
        notice = Notice.objects.create(kind="release.advance_notice", request=req, decision=req.current_decision,
                                       office=w.offices[office_code], booking=booking, due_at=now)
    Notice.objects.filter(pk=notice.pk).update(status="sent", sent_at=now, first_attempt_at=now)
    notice.refresh_from_db()
    w.notices[side] = notice
    w.notices[f"{side}_letter"] = Notice.objects.filter(request=req, kind="letter.individual").first() or (
        Notice.objects.create(kind="letter.individual", request=req, decision=req.current_decision,
                              office=w.offices[office_code], booking=booking, due_at=now))


def build(*, confidential: bool = True, accounts: bool = True) -> World:
    w = World()
    build_places(w, confidential=confidential)
    if accounts:
        build_accounts(w)
    add_case(w, "own", OWN_FACILITY, OWN_OFFICE, 1)
    add_case(w, "other", OTHER_FACILITY, OTHER_OFFICE, 2)
    return w


def verified_login(client: Any, user: Any) -> None:
    """Log a test client on as if it had passed the password and the TOTP steps."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def needs_review(req: Any) -> None:
    """Make the request's current decision one the law leaves to a person (a supervisor may override)."""
    from handoff.requests.models import Decision

    Decision.objects.filter(pk=req.current_decision_id).update(review=True)
