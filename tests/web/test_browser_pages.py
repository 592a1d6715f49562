"""Every remaining page in a real browser, as the role that uses it: axe-core finds no serious or critical
violation, nothing breaks under the strict Content-Security-Policy, and each page is photographed."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.conftest import login
from tests.web.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _as(chromium: Any, base: str, user: Any) -> Any:
    client = login(Client(), user)
    page = new_page(chromium)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    return page


def test_it_passes_axe_on_every_page_for_every_role(live_server: Any, chromium: Any) -> None:
    from handoff.notices.models import LETTER_KINDS, Notice

    world = build_world(passwords=False)
    base = live_server.url
    letter = Notice.objects.filter(request__request_id="LOS-2025-0001", kind__in=LETTER_KINDS).first()
    visits = [
        ("super_la", "/requests/LOS-2025-0004/", "override", True),
        ("super_la", f"/notices/{letter.uid}/letter" if letter else "/jail/", "letter", True),
        ("super_la", f"/notices/{letter.uid}/letter?lang=es" if letter else "/jail/", "letter-es", False),
        ("counsel_la", "/jail/", "counsel-dashboard", False),
        ("officer_bal", "/office/", "office-montgomery", False),
        ("auditor", "/jail/", "auditor-jail", False),
        ("admin", "/office/", "admin-office", False),
    ]
    problems: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for username, path, name, docs in visits:
        page = _as(chromium, base, world.users[username])
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert "/login/" not in page.url, (username, page.url)
        violations = axe_scan(page)
        if violations:
            problems[name] = violations
        if page.console_errors:
            errors[name] = page.console_errors
        screenshot(page, name, for_docs=docs)
        page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"
    assert not errors, f"console errors: {errors}"


def test_it_reads_without_javascript(live_server: Any, chromium: Any) -> None:
    """Server-rendered pages: with JavaScript off, the dashboard still shows its countdowns as text."""
    world = build_world(passwords=False)
    client = login(Client(), world.users["clerk_la"])
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/jail/")
    text = page.inner_text("main")
    assert "Releases in the next 72 hours" in text and "Garcia, Miguel" in text and " in " in text
    page.goto(live_server.url + "/transparency")
    assert "Requests received" in page.inner_text("main")
    context.close()


def test_it_draws_the_transparency_charts_under_the_strict_csp(live_server: Any, chromium: Any) -> None:
    """The bars take their colours from the static stylesheet (no inline style: the CSP allows none), and the
    chart occupies its space; with figures to publish there are bars, without there is a sentence."""
    from datetime import timedelta

    from handoff.core import clock
    from tests.web.test_transparency import _requests_at

    world = build_world(with_users=False)
    _requests_at(world, clock.now() - timedelta(minutes=1), 20)
    page = new_page(chromium)
    page.goto(live_server.url + "/transparency")
    page.wait_for_load_state("networkidle")
    fills = page.eval_on_selector_all("svg.handoff-chart rect.bar-received",
                                      "els => els.map(e => getComputedStyle(e).fill)")
    assert fills == ["rgb(22, 46, 81)"], fills
    box = page.locator("svg.handoff-chart").first.bounding_box()
    assert box and box["height"] > 150 and box["width"] > 500
    assert "Requests received" in page.inner_text("#chart-received-table")
    assert not axe_scan(page)
    assert not page.console_errors, page.console_errors  # nothing refused by the Content-Security-Policy
    screenshot(page, "transparency-figures", for_docs=False)
    page.context.close()


def test_it_passes_axe_on_the_log_on_pages_and_the_audit_log(live_server: Any, chromium: Any) -> None:
    """The log-on pages in the design system: a refused password, the enrolment with a wrong code, the
    lockout explanation, and the audit log, each without a serious accessibility problem."""
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user
    from tests.web.world import PASSWORD, build_places

    build_places()
    create_user(SYSTEM, "newclerk", "jail_clerk", facilities=["LA-MCJ"], password=PASSWORD)
    auditor = create_user(SYSTEM, "audrey", "auditor")
    base = live_server.url
    problems: dict[str, Any] = {}

    def check(page: Any, name: str) -> None:
        page.wait_for_load_state("networkidle")
        violations = axe_scan(page)
        if violations:
            problems[name] = violations
        screenshot(page, name, for_docs=False)

    page = new_page(chromium)
    page.goto(base + "/login/")
    page.fill("input[name=username]", "newclerk")
    page.fill("input[name=password]", "not the password at all")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("#form-error")
    check(page, "login-refused")
    page.fill("input[name=username]", "newclerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/enrol/" in page.url
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("#form-error")
    check(page, "enrol")
    page.goto(base + "/login/locked/")
    assert "The lock ends by itself after 30 minutes, or an administrator can unlock it now." in page.inner_text("#locked")
    check(page, "locked")
    unexpected = [e for e in page.console_errors if "status of 401" not in e]  # the refused log-ons answer 401
    assert not unexpected, unexpected
    page.context.close()

    page = _as(chromium, base, auditor)
    page.goto(base + "/audit/?verify=1")
    assert "Chain intact" in page.inner_text("#chain-state")
    check(page, "audit-log")
    page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"


def test_it_passes_axe_on_the_public_source_pages(live_server: Any, chromium: Any) -> None:
    """/transparency with a pooled row, years of history, declines and outcomes, and its codebook page."""
    from datetime import timedelta

    from handoff.core import clock
    from handoff.jurisdictions.models import Jurisdiction
    from tests.web.test_public_data import _declines_in_la
    from tests.web.test_transparency import _requests_at

    world = build_world(with_users=False)
    for k, per in ((1, 12), (14, 20)):
        _requests_at(world, clock.now() - timedelta(days=31 * k), per)
    _declines_in_la(world, 8)
    Jurisdiction.objects.filter(fips__in=["06037", "24031"]).update(confidential=True)
    for path in ("/transparency", "/transparency/codebook"):
        page = new_page(chromium)
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert not axe_scan(page), (path, axe_scan(page))
        assert not page.console_errors, page.console_errors
        page.context.close()
    page = new_page(chromium)
    page.goto(live_server.url + "/transparency")
    assert "pooled" in page.inner_text("#table-declined")
    page.context.close()
