"""A small demo data set: a few real counties, their jails, offices and a few hundred bookings.

Why real counties: the demo shows the law of real places (Los Angeles under California's SB 54, Harris
County under Texas SB 4, Montgomery County MD's own practice), so a newcomer sees decisions that differ.
"""

from __future__ import annotations

from handoff.custody.models import Booking


def load_demo_if_empty() -> bool:
    if Booking.objects.exists():
        return False
    load_demo()
    return True


def load_demo() -> None:
    from handoff.core import demo_data

    demo_data.build()
