"""A federal officer never sees the letters written to the person and to their attorney or designee (the
TRUTH Act request copy and release-date notices, Cal. Gov. Code 7283.1(b)): they are the person's papers, not
the office's. Checked on every channel an officer has - the notices API, the request API, the letter API, the
acknowledge API, the office dashboard, the request page, the letter pages, the acknowledgement page and the
office's CSV - with jail staff seeing the same letters as the contrast, so a test that passes because there
were no letters at all cannot pass here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from handoff.notices.models import LETTER_KINDS, PERSON_KINDS, Delivery, Notice
from tests.access import world as W

pytestmark = pytest.mark.django_db


def _api(client: Client, method: str, path: str, token: str) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get("/api/v1" + path, **headers)
    return client.post("/api/v1" + path, json.dumps({}), content_type="application/json", **headers)


def _letters(world: W.World) -> list[Notice]:
    letters = list(Notice.objects.filter(request=world.requests["own"], kind__in=LETTER_KINDS))
    assert len(letters) >= 1  # the world has letters to hide (a Los Angeles detainer: at least the request copy)
    return letters


def test_it_lists_no_letter_to_an_officer_in_the_notices_api(world: W.World, client: Client) -> None:
    letters = {str(n.uid) for n in _letters(world)}
    rid = world.requests["own"].request_id
    clerk = _api(client, "GET", f"/notices?request_id={rid}", world.tokens["jail_clerk"]).json()["notices"]
    assert letters <= {n["notice_id"] for n in clerk}  # jail staff see them
    officer = _api(client, "GET", f"/notices?request_id={rid}", world.tokens["federal_officer"]).json()["notices"]
    assert officer, "the office still sees its own notices"
    assert not letters & {n["notice_id"] for n in officer}
    assert not any(n["kind"] in PERSON_KINDS for n in officer)


def test_it_shows_no_letter_to_an_officer_in_the_request_api(world: W.World, client: Client) -> None:
    rid = world.requests["own"].request_id
    for role, sees in (("jail_clerk", True), ("federal_officer", False)):
        body = _api(client, "GET", f"/requests/{rid}", world.tokens[role]).json()
        kinds = {n["kind"] for n in body.get("notices", [])}
        assert bool(kinds & set(LETTER_KINDS)) is sees, (role, kinds)


def test_it_answers_an_officer_asking_for_a_letter_by_id_as_if_it_did_not_exist(world: W.World,
                                                                                client: Client) -> None:
    for letter in _letters(world):
        assert _api(client, "GET", f"/notices/{letter.uid}/letter?format=html",
                    world.tokens["jail_clerk"]).status_code == 200
        officer = world.tokens["federal_officer"]
        # the route is closed to the role whatever the id (403 for any id), so the answer tells nothing
        denied = _api(client, "GET", f"/notices/{letter.uid}/letter?format=html", officer)
        assert denied.status_code in (403, 404) and denied["content-type"].startswith("application/json")
        assert _api(client, "POST", f"/notices/{letter.uid}/ack", officer).status_code == 404


def test_it_shows_no_letter_on_an_officers_pages(world: W.World, client: Client) -> None:
    letters = _letters(world)
    rid = world.requests["own"].request_id
    W.verified_login(client, world.users["jail_clerk"])
    clerk_page = client.get(f"/requests/{rid}/").content.decode()
    assert any(str(n.uid) in clerk_page for n in letters)
    client.logout()
    W.verified_login(client, world.users["federal_officer"])
    pages = {path: client.get(path) for path in ("/office/", f"/requests/{rid}/", "/office/requests",
                                                 "/office/requests.csv")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        for n in letters:
            assert str(n.uid) not in text, path
        assert "letter.request_copy" not in text and "letter.individual" not in text, path
    nobody = "00000000-0000-4000-8000-000000000000"
    for n in letters:
        # the same answer as for an id that names nothing: the pages tell an officer nothing about a letter
        for tail in ("letter", "letter.pdf"):
            got = client.get(f"/notices/{n.uid}/{tail}").status_code
            assert got in (403, 404) and got == client.get(f"/notices/{nobody}/{tail}").status_code, tail
        got = client.post(f"/notices/{n.uid}/acknowledge").status_code
        assert got == client.post(f"/notices/{nobody}/acknowledge").status_code == 404
        assert not Notice.objects.get(pk=n.pk).acknowledged_at


def test_it_never_delivers_a_letter_to_an_office_by_webhook_or_e_mail(world: W.World) -> None:
    """Letters go to the person by hand (or to the attorney), never down the office's channel."""
    assert not Delivery.objects.filter(notice__kind__in=LETTER_KINDS).exists()
    assert Delivery.objects.filter(notice__request=world.requests["own"]).exclude(
        notice__kind__in=LETTER_KINDS).exists() or Notice.objects.filter(
        request=world.requests["own"], status="sent").exists()
