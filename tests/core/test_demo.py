"""`handoff serve --demo` gives a newcomer data and one account per role to log on with."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from handoff.access.models import Account
from handoff.custody.models import Booking
from handoff.ops import demo
from handoff.requests.models import ImmigrationRequest

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_it_loads_bookings_requests_and_an_account_per_role_once(reference: None) -> None:
    assert demo.load_demo_if_empty() is True
    assert Booking.objects.count() >= 200
    assert ImmigrationRequest.objects.filter(current_decision__isnull=False).exists()
    roles = set(Account.objects.values_list("role", flat=True))
    assert roles == {"jail_clerk", "jail_supervisor", "federal_officer", "county_counsel", "auditor", "admin"}
    assert get_user_model().objects.get(username="clerk").check_password(demo.DEMO_PASSWORD)
    assert demo.load_demo_if_empty() is False


@override_settings(DEBUG=False)
def test_it_creates_no_known_password_outside_debug(reference: None) -> None:
    demo.load_demo()
    assert not Account.objects.exists()
