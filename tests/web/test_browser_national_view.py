"""/policies, the national view (issue 10 item 5, done when "renders with the design system and passes axe"), in
a real browser as the public reads it: on a date when states changed sides and on one before any state law
was on file, on a desktop and on a 390 px phone, with the world's confidential counties pooled. axe-core finds
no serious or critical violation, the strict Content-Security-Policy blocks nothing, and the map has its table
alternative with the same stances."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import axe_scan, new_page, screenshot
from tests.web.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VISITS = [
    ("/policies?as_of=2025-06-01", "national-view", True),
    ("/policies?as_of=2016-06-01", "national-view-2016", False),  # before every state's first version: "none"
    ("/policies?as_of=not-a-date", "national-view-bad-date", False),  # the error alert, then today's view
    ("/transparency", "transparency-stances", False),  # places by stance, from the same history
]


def test_it_passes_axe_on_the_national_view_on_a_desktop_and_a_phone(live_server: Any, chromium: Any) -> None:
    build_world(with_users=False)  # Dallas, Bexar and Travis confidential: pooled, never drawn or named
    problems: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for width in (1280, 390):
        for path, name, docs in VISITS:
            page = new_page(chromium)
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == (400 if "not-a-date" in path else 200), path
            page.wait_for_load_state("networkidle")
            label = f"{name}@{width}"
            found = axe_scan(page)
            if found:
                problems[label] = found
            # the refused date answers 400 on purpose (with today's view): Chromium logs that status, nothing else
            logged = [e for e in page.console_errors if not (response.status == 400 and "status of 400" in e)]
            if logged:
                errors[label] = logged
            screenshot(page, name if width == 1280 else f"{name}-phone", for_docs=docs and width == 1280)
            page.context.close()
    assert not problems, f"axe-core serious/critical violations: {problems}"
    assert not errors, f"console errors (a CSP refusal shows here): {errors}"


def test_it_gives_every_map_tile_a_name_and_the_same_stance_as_the_table(live_server: Any, chromium: Any) -> None:
    """A screen-reader user hears each state's stance from the tile's title; a sighted user reads the letter;
    the table says the same for each of the 51 places, so the colour is never the only carrier."""
    build_world(with_users=False)
    page = new_page(chromium)
    page.goto(live_server.url + "/policies?as_of=2025-06-01")
    tiles = page.locator("svg.handoff-tilemap g.tile")
    assert tiles.count() == 51
    rows = {r.locator("th").inner_text().strip(): r.inner_text() for r in page.locator("#states-table tbody tr").all()}
    for i in range(tiles.count()):
        title = tiles.nth(i).locator("title").text_content() or ""
        name, _, stance = title.partition(": ")
        assert name and stance, title
        assert stance in rows[name], (name, stance, rows[name])
    assert page.locator("svg.handoff-tilemap").get_attribute("role") == "img"
    text = page.inner_text("main")
    assert not [w for w in ("Dallas", "Bexar", "Travis") if w in text]
    page.context.close()
