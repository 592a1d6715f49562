"""In a real browser: a clerk records how a request ended on the page; the new pages have no serious or
critical axe-core violation, with and without errors shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from handoff.jurisdictions.models import Jurisdiction, PolicyAssignment
from handoff.notices.models import Outcome
from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.conftest import login
from tests.web.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _real_errors(page: Any) -> list[str]:
    """Console errors, less the browser's note that a refused form came back 400 (it is meant to)."""
    return [e for e in page.console_errors if "status of 400" not in e]


def _as(browser: Any, base: str, user: Any) -> Any:
    client = login(Client(), user)
    page = new_page(browser)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    return page


def test_it_lets_a_clerk_record_an_outcome_on_the_page(live_server: Any, chromium: Any) -> None:
    world = build_world(passwords=False)
    base = live_server.url
    page = _as(chromium, base, world.users["clerk_la"])
    page.goto(base + "/requests/LOS-2025-0002/outcome/record")
    assert axe_scan(page) == []
    page.click("main button[type=submit]")  # nothing chosen: refused, said on the page
    assert "Choose how the request ended." in page.inner_text("main")
    assert axe_scan(page) == []
    screenshot(page, "outcome-error", for_docs=False)
    page.locator("label.usa-radio__label", has_text="Detainer cancelled").click()  # USWDS draws the radio
    page.fill("textarea[name=note]", "Cancelled by the ERO by phone")
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/requests/LOS-2025-0002/")
    assert "Outcome recorded for request LOS-2025-0002: Detainer cancelled." in page.inner_text("main")
    assert Outcome.objects.get(request__request_id="LOS-2025-0002").kind == "detainer_cancelled"
    assert _real_errors(page) == []
    page.context.close()


def test_it_passes_axe_on_the_counsel_whatif_page(live_server: Any, chromium: Any) -> None:
    world = build_world(passwords=False)
    for fips, pid in (("us", "us-federal"), ("06", "us-ca")):
        PolicyAssignment.objects.get_or_create(jurisdiction=Jurisdiction.objects.get(fips=fips), policy_id=pid)
    base = live_server.url
    page = _as(chromium, base, world.users["counsel_la"])
    page.goto(base + "/counsel/whatif")
    assert axe_scan(page) == []
    page.fill("input[name=chain]", "us-federal,us-tx")
    page.click("main button[type=submit]")
    assert "Under us-federal,us-tx" in page.inner_text("main")
    assert axe_scan(page) == []
    screenshot(page, "counsel-whatif", for_docs=False)
    page.fill("input[name=chain]", "us-federal,nowhere")
    page.click("main button[type=submit]")
    assert "unknown policy nowhere" in page.inner_text("main")
    assert axe_scan(page) == []
    assert _real_errors(page) == []
    page.context.close()
