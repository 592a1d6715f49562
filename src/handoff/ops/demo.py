"""A small demo data set: a few real counties, their jails, offices and a few hundred bookings, plus one
account per role so a newcomer can log on after `make run`.

Why real counties: the demo shows the law of real places (Los Angeles under California's SB 54, Harris
County under Texas SB 4, Montgomery County MD's own practice), so a newcomer sees decisions that differ.
Why demo accounts only in debug mode: a known password must never exist on a real installation.
"""

from __future__ import annotations

from django.conf import settings

from handoff.access.actor import SYSTEM
from handoff.access.passwords import DEMO_PASSWORD
from handoff.access.services import create_user
from handoff.custody.models import Booking
from handoff.ops import demo_data

DEMO_ACCOUNTS: tuple[tuple[str, str, dict[str, tuple[str, ...]]], ...] = (
    ("clerk", "jail_clerk", {"facilities": ("LASD-MCJ",)}),
    ("supervisor", "jail_supervisor", {"facilities": ("LASD-MCJ",)}),
    ("officer", "federal_officer", {"offices": ("DEMO-ERO-WEST",)}),
    ("counsel", "county_counsel", {"jurisdictions": ("06037",)}),
    ("auditor", "auditor", {}),
    ("admin", "admin", {}),
)


def load_demo_if_empty() -> bool:
    if Booking.objects.exists():
        return False
    load_demo()
    return True


def load_demo() -> None:

    demo_data.build()
    if settings.DEBUG:
        create_demo_accounts()


def create_demo_accounts() -> list[str]:
    """One account per role, all with DEMO_PASSWORD; each enrols its TOTP device at first log-on."""
    from django.contrib.auth import get_user_model

    created = []
    for username, role, places in DEMO_ACCOUNTS:
        if get_user_model().objects.filter(username=username).exists():
            continue
        create_user(
            SYSTEM, username, role, password=DEMO_PASSWORD,
            jurisdictions=places.get("jurisdictions", ()), facilities=places.get("facilities", ()),
            offices=places.get("offices", ()),
        )
        created.append(username)
    return created
