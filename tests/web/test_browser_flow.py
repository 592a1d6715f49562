"""The whole flow in a real browser (Debian's Chromium): a records clerk logs on with MFA, reviews a request,
the notice reaches the federal office's receiver, and a federal officer logs on and acknowledges it. Every
page visited is scanned with axe-core and photographed for the README."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.web.browser import axe_scan, log_on, new_page, screenshot
from tests.web.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _check(page: Any, name: str, problems: dict[str, Any]) -> None:
    page.wait_for_load_state("networkidle")
    violations = axe_scan(page)
    if violations:
        problems[name] = violations
    screenshot(page, name)


def test_it_takes_a_request_from_review_to_an_acknowledged_notice(
    live_server: Any, chromium: Any, receiver: Any
) -> None:
    from handoff.notices.models import Notice
    from handoff.notices.worker import Worker

    world = build_world(webhook_url=receiver.url)
    base = live_server.url
    problems: dict[str, Any] = {}

    # 1. the public pages need no log-on
    page = new_page(chromium)
    page.goto(base + "/transparency")
    assert page.locator("h1").inner_text().startswith("Transparency")
    _check(page, "transparency", problems)
    page.goto(base + "/policies")
    _check(page, "policies", problems)
    page.goto(base + "/policies/us-ca")
    _check(page, "policy-detail", problems)
    page.goto(base + "/policies/try?policy=us-ca&kind=detainer&warrant=administrative&release_type=scheduled"
              "&convictions=CA+PC+211%3B+felony%3B+2019-04-02%3B+serious_felony")
    assert "What the law says" in page.inner_text("main")
    _check(page, "policy-try", problems)

    # 2. a records clerk logs on with password + authenticator code (enrolling on first log-on)
    page.goto(base + "/login/")
    _check(page, "login", problems)
    log_on(page, base, "clerk_la", PASSWORD)
    assert page.url.rstrip("/").endswith("/jail")
    review_id = world.requests["review"].request_id
    assert review_id in page.inner_text("#h-review + *") or review_id in page.inner_text("main")
    _check(page, "jail-dashboard", problems)

    # 3. review the request: confirm which booking it is about; the law is applied at once
    page.click(f"text={review_id}")
    assert "Review the match" in page.inner_text("main")
    _check(page, "request-review", problems)
    booking = world.requests["review_booking"]
    page.click(f"label:has-text('Booking {booking.booking_number}')")
    page.fill("input[name=note]", "FBI number and photo checked against the booking record")
    page.click("text=Record my choice")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "confirmed" in main and "Notify before release: Yes" in main, main[:1500]
    _check(page, "request-detail", problems)
    notice = Notice.objects.filter(request__request_id=review_id, kind__startswith="release.").get()

    # 4. the worker delivers it to the office's receiver, signed
    Worker().run_once()
    assert receiver.received, "the federal office received nothing"
    got = receiver.received[-1]
    assert got.body["request_id"] == review_id and got.body["notice_id"] == str(notice.uid)
    Webhook(world.offices["LOS"].webhook_secret).verify(got.raw, got.headers)
    page.reload()
    assert "Delivered" in page.inner_text("#h-notices + *")

    # 5. a federal officer logs on and acknowledges it
    page.context.close()
    page = new_page(chromium)
    log_on(page, base, "officer_los", PASSWORD)
    assert page.url.rstrip("/").endswith("/office")
    assert review_id in page.inner_text("#h-unacked + *")
    _check(page, "office-dashboard", problems)
    page.click(f"button[aria-label='Acknowledge the notice for request {review_id}']")
    page.wait_for_load_state()
    assert "acknowledged" in page.inner_text("main")
    notice.refresh_from_db()
    assert notice.status == "acknowledged" and notice.acknowledged_by.get_username() == "officer_los"
    assert not page.console_errors, page.console_errors  # the strict CSP blocked nothing we rely on
    page.context.close()

    assert not problems, f"axe-core serious/critical violations: {problems}"
