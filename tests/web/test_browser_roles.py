"""Each role's main task in a real browser (issue 12, Tests): a records clerk keys in a faxed detainer with
its scan, records the release and the outcome; a federal officer finds a declined request and acknowledges a
notice; county counsel read the overrides and their county's audit log. Every new page is scanned with
axe-core (0 serious or critical) and photographed (docs/screenshots with HANDOFF_DOC_SCREENSHOTS=1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from handoff.core import clock
from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.conftest import login
from tests.web.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _as(browser: Any, base: str, user: Any, *, phone: bool = False) -> Any:
    """A signed-in page (log-on with MFA has its own browser test, test_browser_flow)."""
    client = login(Client(), user)
    page = new_page(browser)
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    return page


def _check(page: Any, name: str, problems: dict[str, Any], *, docs: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    violations = axe_scan(page)
    if violations:
        problems[name] = violations
    screenshot(page, name, for_docs=docs)


def _errors(page: Any) -> list[str]:
    return [e for e in page.console_errors if "status of 400" not in e]


def test_it_lets_a_clerk_key_in_a_faxed_detainer_then_record_the_release_and_outcome(
        live_server: Any, chromium: Any) -> None:
    from handoff.custody.models import Booking
    from handoff.notices.models import Outcome
    from handoff.requests.models import ImmigrationRequest

    world = build_world(passwords=False)
    base = live_server.url
    booking = world.requests["declined"].booking
    problems: dict[str, Any] = {}
    page = _as(chromium, base, world.users["clerk_la"])
    page.goto(base + "/jail/")
    page.click("header >> text=Enter a request")
    assert page.url.endswith("/requests/new")
    _check(page, "clerk-request-new", problems)

    # a bad date first: the page comes back with the field marked and nothing saved
    page.select_option("select[name=form]", "I-247A")
    page.fill("input[name=request_id]", "FAX-LA-0099")
    page.select_option("select[name=office]", "LOS")
    page.fill("input[name=issued_at]", "2026-12-04T09:30")
    page.fill("input[name=booking_number]", booking.booking_number)
    page.fill("input[name=a_number]", "12")
    page.set_input_files("input[name=scan]", files=[{"name": "fax.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF}])
    page.click("main button[type=submit]")
    assert "Nothing was saved" in page.inner_text("main")
    assert page.locator("[data-testid=error-a_number]").is_visible()
    assert not ImmigrationRequest.objects.filter(request_id="FAX-LA-0099").exists()
    _check(page, "clerk-request-new-error", problems, docs=False)

    page.fill("input[name=a_number]", "")
    page.fill("input[name=last_name]", "Nguyen")
    page.fill("input[name=first_name]", "Thanh")
    page.fill("input[name=date_of_birth]", "1995-07-02")
    page.fill("input[name=issued_at]", "2026-12-04T09:30")
    page.set_input_files("input[name=scan]", files=[{"name": "fax.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF}])
    page.locator("label[for=id_basis_2]").click()  # USWDS draws the box on the label
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/requests/FAX-LA-0099/")
    main = page.inner_text("main")
    assert "Request FAX-LA-0099 recorded with its scanned form" in main and "fax.pdf" in main
    _check(page, "clerk-request-detail", problems)

    assert "Record a release" in main, main[:1500]
    # the release, as it happens
    page.click("text=Record a release")
    _check(page, "clerk-release", problems)
    when = (clock.now() - timedelta(minutes=20)).astimezone(ZoneInfo("America/Los_Angeles"))
    page.fill("input[name=released_at]", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("select[name=release_reason]", "sentence_served")
    page.fill("input[name=released_to]", "Self, picked up by family")
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/requests/LOS-2025-0002/")
    assert "Release of booking" in page.inner_text("main")
    assert Booking.objects.get(pk=booking.pk).released_to == "Self, picked up by family"

    # a correction, keeping the old value
    page.goto(base + f"/bookings/LA-MCJ/{booking.booking_number}/correct")
    page.select_option("select[name=field]", "released_to")
    page.fill("input[name=value]", "Self; picked up by his sister")
    page.fill("input[name=reason]", "the release sheet says sister")
    page.click("main button[type=submit]")
    assert "Self, picked up by family" in page.inner_text("#h-history + *")
    _check(page, "clerk-correct", problems)

    # and how it ended
    page.goto(base + "/requests/FAX-LA-0099/")
    page.click("text=Record the outcome")
    page.locator("label.usa-radio__label", has_text="Released").first.click()
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/requests/FAX-LA-0099/")
    assert Outcome.objects.filter(request__request_id="FAX-LA-0099").exists()
    assert _errors(page) == [], page.console_errors
    page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"


def test_it_lets_an_officer_find_a_declined_request_and_acknowledge_a_notice(
        live_server: Any, chromium: Any, receiver: Any) -> None:
    from handoff.notices.models import Delivery, Notice
    from handoff.notices.worker import Worker

    world = build_world(webhook_url=receiver.url, passwords=False)
    due = clock.now() - timedelta(minutes=1)  # the Los Angeles advance notice falls due now
    notices = Notice.objects.filter(request=world.requests["notify"], kind__startswith="release.")
    Delivery.objects.filter(notice__in=notices).update(due_at=due, next_attempt_at=due)
    notices.update(due_at=due)
    Worker().run_once()
    declined = world.requests["declined"].request_id
    base = live_server.url
    problems: dict[str, Any] = {}
    page = _as(chromium, base, world.users["officer_los"])
    page.goto(base + "/office/")
    page.click("header >> text=All requests")
    _check(page, "office-requests", problems)
    page.select_option("select[name=decision]", "declined")
    page.click("main button[type=submit]")
    table = page.inner_text("[data-testid=office-requests]")
    assert declined in table and "declined" in table.lower() and "none of these held" in table
    page.click(f"text={declined}")
    assert page.url.endswith(f"/requests/{declined}/")
    sent = Notice.objects.filter(request__request_id=declined, status="sent").first()
    if sent is None:  # no notice for the declined request itself: acknowledge the office's release notice
        sent = Notice.objects.filter(status="sent", office=world.offices["LOS"]).first()
        assert sent is not None, list(Notice.objects.values_list("kind", "status"))
        page.goto(base + f"/requests/{sent.request.request_id}/")
    page.click("main button:has-text('Acknowledge')")
    page.wait_for_load_state()
    sent.refresh_from_db()
    assert sent.status == "acknowledged"
    # the list on a phone: the stacked table reflows, nothing scrolls sideways
    phone = _as(chromium, base, world.users["officer_los"], phone=True)
    phone.goto(base + "/office/requests")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    _check(phone, "office-requests-phone", problems)
    phone.context.close()
    assert _errors(page) == [], page.console_errors
    page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"


def test_it_lets_counsel_read_the_overrides_and_their_audit_log(live_server: Any, chromium: Any) -> None:
    from handoff.casework import flow

    world = build_world(passwords=False)
    req = world.requests["uncertain"]
    flow.override_decision(req, world.users["super_la"], "Burglary record checked: first degree, a felony",
                           notify=True)
    base = live_server.url
    problems: dict[str, Any] = {}
    page = _as(chromium, base, world.users["counsel_la"])
    page.goto(base + "/jail/")
    page.click("header >> text=Overrides")
    table = page.inner_text("[data-testid=overrides]")
    assert req.request_id in table and "Burglary record checked" in table
    _check(page, "counsel-overrides", problems)
    page.click("header >> text=Audit log")
    assert "entries written by the accounts of your jurisdiction" in page.inner_text("main")
    _check(page, "counsel-audit", problems)
    assert _errors(page) == [], page.console_errors
    page.context.close()
    auditor = _as(chromium, base, world.users["auditor"])
    auditor.goto(base + "/audit/")
    assert auditor.locator("[data-testid=audit-export]").is_visible()
    _check(auditor, "auditor-audit", problems, docs=False)
    auditor.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"
