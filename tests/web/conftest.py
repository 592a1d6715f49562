"""Fixtures for the page tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.web.world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world(passwords=False)  # the client tests log on with force_login: no slow hashing


def login(client: Client, user: Any) -> Client:
    """A session that has passed MFA, without driving the log-on pages (the browser test does that)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# One browser for the whole session, shared by every browser test module (Playwright allows one sync
# instance per thread).
from tests.web.browser import chromium, receiver  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _fresh_public_figures() -> None:
    """The public figures are cached by a fingerprint of the data; a test database rolled back to the same
    row counts could match a previous test's fingerprint, so each test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
