"""In a real browser (Debian chromium): a clerk records the person's attorney and an ICE interview request on
the pages; both pages, with and without errors shown, have no serious or critical axe-core violation."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from handoff.jurisdictions.models import Jurisdiction, PolicyAssignment
from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.conftest import login
from tests.web.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _real_errors(page: Any) -> list[str]:
    """Console errors, less the browser's note that a refused form came back 400/409/422 (it is meant to)."""
    return [e for e in page.console_errors if not any(f"status of {s}" in e for s in (400, 409, 422))]


def _as(browser: Any, base: str, user: Any) -> Any:
    client = login(Client(), user)
    page = new_page(browser)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    return page


def test_it_lets_a_clerk_record_the_attorney_and_an_interview_consent(live_server: Any, chromium: Any) -> None:
    from handoff.custody.models import AttorneyContact, InterviewRecord

    world = build_world(passwords=False)
    for fips, pid in (("us", "us-federal"), ("06", "us-ca")):
        PolicyAssignment.objects.get_or_create(jurisdiction=Jurisdiction.objects.get(fips=fips), policy_id=pid)
    booking = world.requests["declined"].booking
    base = live_server.url
    page = _as(chromium, base, world.users["clerk_la"])
    page.goto(f"{base}/requests/{world.requests['declined'].request_id}/")
    page.click("text=Attorney or designee")
    page.wait_for_url(f"{base}/bookings/{booking.facility.code}/{booking.booking_number}/attorney")
    assert axe_scan(page) == []
    page.fill("input[name=name]", "Dana Counsel")
    page.click("main button[type=submit]")
    assert "Give an e-mail address or a postal address" in page.inner_text("main")
    assert axe_scan(page) == []
    page.fill("input[name=email]", "dana.counsel@lawyers.example")
    page.click("main button[type=submit]")
    assert "is recorded" in page.inner_text("main")
    assert AttorneyContact.objects.get(booking=booking).email == "dana.counsel@lawyers.example"
    screenshot(page, "booking-attorney", for_docs=False)

    page.goto(f"{base}/bookings/{booking.facility.code}/{booking.booking_number}/interview")
    assert "Cal. Gov. Code 7283.1(a)" in page.inner_text("main")
    assert axe_scan(page) == []
    page.fill("input[name=requested_at]", "2026-01-05T09:00")
    page.select_option("select[name=answer]", "consented")
    page.fill("input[name=interview_at]", "2026-01-05T11:00")
    page.click("main button[type=submit]")
    assert "signed written consent form" in page.inner_text("main")
    assert axe_scan(page) == []
    page.select_option("select[name=form_language]", "vi")
    page.select_option("select[name=form_signed]", "yes")
    page.fill("input[name=signed_at]", "2026-01-05T10:00")
    page.select_option("select[name=attorney]", "present")
    page.click("main button[type=submit]")
    assert "Interview request recorded (consented)." in page.inner_text("main")
    assert InterviewRecord.objects.get(booking=booking).form_language == "vi"
    screenshot(page, "booking-interview", for_docs=False)
    assert _real_errors(page) == []
    page.context.close()
