"""Review L9: the jail's copies to the person and their attorney (TRUTH Act letters) are theirs. A federal
office listing its notices saw them, with due times that tell when a release is coming."""

from __future__ import annotations

from django.test import Client

from handoff.notices.models import LETTER_KINDS
from tests.access import world as W
from tests.security.conftest import api, page


def test_l9_a_federal_office_never_lists_the_letters_to_the_person(world: W.World) -> None:
    letter = world.notices["own_letter"]
    assert letter.kind in LETTER_KINDS
    officer = api(Client(), "get", "/notices", world.tokens["federal_officer"])
    assert officer.status_code == 200
    listed = officer.content.decode()
    assert str(world.notices["own"].uid) in listed  # the office's own notice is there
    assert str(letter.uid) not in listed and "letter." not in listed
    assert page(world.users["federal_officer"]).get(f"/notices/{letter.uid}/letter").status_code in (403, 404)
    answer = api(Client(), "get", f"/notices/{letter.uid}/letter", world.tokens["federal_officer"])
    assert answer.status_code in (403, 404)
    clerk = api(Client(), "get", "/notices", world.tokens["jail_clerk"]).content.decode()
    assert str(letter.uid) in clerk  # the jail still sees the letters it owes
