"""A clerk resolves a near miss in a real browser (Debian's Chromium), issue 12.1: a detainer for "GARCIA, JOSE"
against a booking for "García López, José" goes to review; the clerk compares the two side by side and confirms.
A second detainer, keyed with a date of birth too far off to be proposed, waits on the dashboard; the clerk
finds the person with people search and links it by hand. Every new page is scanned with axe-core (0 serious
or critical) and photographed for the README."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.web.browser import axe_scan, log_on, new_page, screenshot
from tests.web.world import PASSWORD, add_booking, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _check(page: Any, name: str, problems: dict[str, Any]) -> None:
    page.wait_for_load_state("networkidle")
    violations = axe_scan(page)
    if violations:
        problems[name] = violations
    screenshot(page, name)


def _detainer(request_id: str, dob: date) -> Any:
    from handoff.casework.flow import receive
    from handoff.core import clock
    from handoff.requests.inputs import RequestInput, SubjectInput

    data = RequestInput(
        request_id=request_id, kind="detainer", issued_at=clock.now() - timedelta(hours=2), office="LOS",
        facility="LA-MCJ", booking_number="",
        subject=SubjectInput(last_name="GARCIA", first_name="JOSE", date_of_birth=dob),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",),
    )
    return receive(data, source="test").request


def test_it_lets_a_clerk_resolve_a_near_miss_and_link_a_waiting_request(live_server: Any, chromium: Any) -> None:
    world = build_world()
    base = live_server.url
    problems: dict[str, Any] = {}
    booking = add_booking(world.facilities["LA-MCJ"], last="García López", first="José", dob=date(1985, 3, 4),
                          release_in=timedelta(hours=30))
    near = _detainer("LOS-2025-0201", date(1985, 3, 5))
    far = _detainer("LOS-2025-0202", date(1958, 3, 4))
    assert (near.status, far.status) == ("review", "waiting")

    page = new_page(chromium)
    log_on(page, base, "clerk_la", PASSWORD)
    main = page.inner_text("main")
    assert near.request_id in main
    waiting = page.inner_text("[data-testid=waiting]")
    assert far.request_id in waiting and "GARCIA, JOSE" in waiting
    _check(page, "jail-dashboard-waiting", problems)

    # 1. the near miss: the request beside the booking, the differences in words, then the clerk's choice
    page.click(f"text={near.request_id}")
    compare = page.inner_text("[data-testid=match-compare]")
    assert "García López" in compare and "date of birth: one day apart" in compare and "differs" in compare
    _check(page, "request-review-near-miss", problems)
    page.click(f"label:has-text('Booking {booking.booking_number}')")
    page.fill("input[name=note]", "Photo and FBI number on the I-247A agree with the booking")
    page.click("text=Record my choice")
    page.wait_for_load_state()
    assert "confirmed" in page.inner_text("main")
    near.refresh_from_db()
    assert (near.status, near.booking_id) == ("matched", booking.pk)

    # 2. the waiting request: search, then link by hand with a reason
    page.goto(base + f"/requests/{far.request_id}/")
    page.click("text=find them with people search")
    page.fill("input[name=q]", "garcia jose")
    page.click("button:has-text('Search')")
    page.wait_for_load_state()
    assert booking.booking_number in page.inner_text("[data-testid=search-results]")
    _check(page, "people-search", problems)
    page.click(f"a:has-text('Link to {far.request_id}')")
    page.wait_for_load_state()
    assert page.input_value("input[name=booking]") == f"LA-MCJ/{booking.booking_number}"
    page.fill("input[name=reason]", "Date of birth keyed wrong on the fax; the A-number agrees")
    page.click("button:has-text('Link this booking')")
    page.wait_for_load_state()
    assert "Linked to booking" in page.inner_text("main")
    far.refresh_from_db()
    assert (far.status, far.booking_id) == ("matched", booking.pk)
    assert not page.console_errors, page.console_errors
    page.context.close()

    assert not problems, f"axe-core serious/critical violations: {problems}"
