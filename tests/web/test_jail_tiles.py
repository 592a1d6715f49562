"""The jail dashboard tells the truth: each tile's number is the number of rows listed under it (issue 12
item 3; the review found "need review" and "overdue or at risk" reading 0 above a table with rows)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.core import clock
from tests.web.conftest import login
from tests.web.world import ROBBERY, World, add_booking, send_request


def _tiles(html: str) -> dict[str, int]:
    found = re.findall(r'handoff-stat__number">([^<]*)</span>([^<]+)<', html)
    return {label.strip().split(" ")[0]: int(number) for number, label in found}


def _rows(html: str, section: str, tag: str = "") -> int:
    part = html.split(f'id="{section}"')[1].split("<section")[0]
    if "<tbody>" not in part:
        return 0
    body = part.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>.*?</tr>", body, flags=re.S)
    return len([r for r in rows if tag in r])


def _problem_world(world: World) -> dict[str, Any]:
    """Three more Los Angeles detainers with notices: one overdue, one at risk (sent, unacknowledged, release
    within the day), one missed."""
    from handoff.notices import states
    from handoff.notices.models import Notice

    office = world.offices["LOS"]  # the world's office has no channel, so its notices fail: give it one
    office.webhook_url, office.webhook_secret = "http://127.0.0.1:9/handoff", "whsec_" + "A" * 32
    office.save()
    la = world.facilities["LA-MCJ"]
    made = {}
    for i, key in enumerate(["overdue", "at_risk", "missed"]):
        b = add_booking(la, last=f"Tile{i}", first="Test", dob=date(1980, 1, 1 + i), release_in=timedelta(hours=60),
                        convictions=[ROBBERY])
        made[key] = send_request(f"LOS-TILE-{i}", b, "LOS")
    now = clock.now()
    overdue = Notice.objects.get(request=made["overdue"], kind="release.advance_notice")
    Notice.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=1))
    at_risk = Notice.objects.get(request=made["at_risk"], kind="release.advance_notice")
    Notice.objects.filter(pk=at_risk.pk).update(release_at=now + timedelta(hours=3))
    at_risk.refresh_from_db()
    assert states.move(at_risk, "sending") and states.move(at_risk, "sent")
    missed = Notice.objects.get(request=made["missed"], kind="release.advance_notice")
    Notice.objects.filter(pk=missed.pk).update(missed=True, release_at=now - timedelta(days=2))
    return made


@pytest.mark.django_db
def test_it_counts_in_the_review_tile_every_request_listed_for_review(world: World, client: Client) -> None:
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    tiles = _tiles(html)
    assert tiles["need"] == _rows(html, "h-review") == 2  # the uncertain match and the uncertain rule


@pytest.mark.django_db
def test_it_counts_in_the_release_tile_every_release_listed(world: World, client: Client) -> None:
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    assert _tiles(html)["releases"] == _rows(html, "h-releases") >= 3


@pytest.mark.django_db
def test_it_counts_overdue_and_at_risk_notices_in_their_tile(world: World, client: Client) -> None:
    _problem_world(world)
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    tiles = _tiles(html)
    overdue, at_risk = _rows(html, "h-problems", ">overdue<"), _rows(html, "h-problems", ">at risk<")
    assert overdue == 1 and at_risk >= 1  # and the world's notices that failed for want of a channel
    assert tiles["overdue"] == overdue + at_risk
    assert f'handoff-stat--alert"><span class="handoff-stat__number">{overdue + at_risk}' in html


@pytest.mark.django_db
def test_it_counts_missed_notices_in_their_tile(world: World, client: Client) -> None:
    _problem_world(world)
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    assert _tiles(html)["missed"] == _rows(html, "h-problems", ">missed<") == 1


@pytest.mark.django_db
def test_it_reads_zero_in_every_tile_when_nothing_is_listed(world: World, client: Client) -> None:
    login(client, world.users["clerk_hc"])  # Harris County: no request at all
    html = client.get("/jail/").content.decode()
    assert _tiles(html) == {"need": 0, "releases": 0, "overdue": 0, "missed": 0}
    assert "Nothing needs review." in html


@pytest.mark.django_db
def test_it_shows_why_a_decision_was_made_in_words_never_codes(world: World, client: Client) -> None:
    from handoff.casework import flow
    from handoff.custody.models import Conviction

    req = world.requests["declined"]
    Conviction.objects.create(person=req.booking.person, source_key="tile-1", statute="CA PC 211", level="felony",
                              convicted_on=date(2018, 1, 2), state="CA", categories=["serious_felony"])
    flow.decide(req, trigger="conviction.added")  # what custody's conviction.added hands the flow
    login(client, world.users["clerk_la"])
    html = client.get("/jail/").content.decode()
    recent = html.split('id="h-recent"')[1]
    assert "A conviction was added" in recent
    assert "conviction.added" not in html and "booking.created" not in html
    detail = client.get(f"/requests/{world.requests['declined'].request_id}/").content.decode()
    assert "a conviction was added" in detail and "conviction.added" not in detail


def test_it_puts_every_known_trigger_code_into_words() -> None:
    from handoff.core.vocab import TRIGGER_WORDS, trigger_words

    for code, words in TRIGGER_WORDS.items():
        assert trigger_words(code) == words
    assert trigger_words("booking LA-1: booking.created") == "booking LA-1: a booking was created"
    assert trigger_words("request received (api)") == "request received (api)"
    assert "." not in trigger_words("something.new")
