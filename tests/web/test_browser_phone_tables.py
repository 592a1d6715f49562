"""Tables reflow on a 390 px phone in a real browser (issue 12 item 5): the page never scrolls sideways, and a
stacked cell shows its column's name above the value (the design system draws data-label before the cell).

Why in a browser: whether a table fits is layout, which only a browser computes; the static checks in
test_tables_reflow.py say the markup asks for it, this says the design system's CSS delivers it. Pages: the
public transparency page, the jail dashboard, a near miss in review (the request beside two candidates) and
a policy page, each as the person who reads it on a phone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.conftest import login
from tests.web.world import add_booking, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
#: each stacked table's first labelled body cell: its label, and what the browser draws before it
FIRST_LABELS = """() => [...document.querySelectorAll('table.usa-table--stacked')].map(t => {
  const cell = t.querySelector('tbody td[data-label]');
  if (!cell) return null;
  return [cell.dataset.label, getComputedStyle(cell, '::before').content, cell.getBoundingClientRect().width];
}).filter(x => x)"""


def _phone(chromium: Any, base: str, user: Any | None) -> Any:
    page = new_page(chromium)
    page.set_viewport_size(PHONE)
    if user is not None:
        client = login(Client(), user)
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                   "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": base}])
    return page


def _near_miss() -> Any:
    from handoff.casework.flow import receive
    from handoff.core import clock
    from handoff.requests.inputs import RequestInput, SubjectInput

    data = RequestInput(
        request_id="LOS-2025-0390", kind="detainer", issued_at=clock.now() - timedelta(hours=1), office="LOS",
        facility="LA-MCJ", booking_number="",
        subject=SubjectInput(last_name="GARCIA", first_name="JOSE", date_of_birth=date(1985, 3, 5)),
        form="I-247A", warrant_type="administrative", warrant_form="I-200", basis=("biometric_match",))
    return receive(data, source="test").request


def test_it_reflows_every_table_on_a_phone_with_each_cells_label(live_server: Any, chromium: Any) -> None:
    world = build_world(passwords=False)
    la = world.facilities["LA-MCJ"]
    add_booking(la, last="García López", first="José", dob=date(1985, 3, 4), release_in=timedelta(hours=30))
    add_booking(la, last="Garcia", first="José Luis", dob=date(1985, 3, 5), release_in=timedelta(days=4))
    req = _near_miss()
    assert req.status == "review"
    base = live_server.url
    pages = [("/transparency", None), ("/jail/", world.users["clerk_la"]),
             (f"/requests/{req.request_id}/", world.users["clerk_la"]), ("/policies/us-ca", world.users["counsel_la"])]
    problems: dict[str, Any] = {}
    for path, user in pages:
        page = _phone(chromium, base, user)
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        labels = page.evaluate(FIRST_LABELS)
        assert labels, f"{path}: no stacked table with labelled cells"
        for label, before, width in labels:
            assert label and label in before, (path, label, before)  # the label drawn above the value
            assert width <= PHONE["width"], (path, label, width)
        if path.startswith("/requests/"):
            compare = page.locator('[data-testid="match-compare"] tbody td[data-label^="Booking "]')
            assert compare.count() >= 2  # each candidate's cells say which booking they are
            page.locator('[data-testid="match-compare"]').scroll_into_view_if_needed()
            screenshot(page, "request-review-near-miss-phone")
        violations = axe_scan(page)
        if violations:
            problems[path] = violations
        page.context.close()
    # the paper form's statements (issue 12 item 2), on a phone: every box reachable, labelled, nothing sideways
    page = _phone(chromium, base, world.users["clerk_la"])
    page.goto(base + "/requests/new")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.check("label[for=id_federal_terrorist_screening_match]")
    assert page.is_checked("#id_federal_terrorist_screening_match")
    page.locator("#id_judicial_probable_cause").scroll_into_view_if_needed()
    screenshot(page, "clerk-request-new-statements-phone")
    violations = axe_scan(page)
    if violations:
        problems["/requests/new"] = violations
    page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"
