"""The TRUTH Act in full (Cal. Gov. Code 7283.1(b); law review CA-1, X11): on every hold, notification or
transfer request in California the person gets a copy of the request and is told whether the jail will comply
(`letter.request_copy`), whatever the decision; the release-date notice to the person and their attorney is a
separate letter, written only when ICE is told a release date. Each letter says which notice it is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import make_case, make_world, notices, redecide

pytestmark = pytest.mark.django_db


def _kinds(case: Any) -> list[str]:
    return [n.kind for n in notices(case, copies=True) if n.kind.startswith("letter.") and n.status != "cancelled"]


def test_it_gives_the_person_a_copy_of_a_declined_california_request_and_no_release_letter(travel: Any) -> None:
    """The shipped policy, end to end: Men's Central Jail (Los Angeles) declines a detainer under SB 54."""
    from handoff.notices.letters import render_html
    from handoff.notices.models import Notice
    from tests.access import world as W

    world = W.build(accounts=False)
    req = world.requests["own"]
    d = req.current_decision
    assert (d.notify, d.individual_notice, d.attorney_notice) == (False, True, False)
    letters = list(Notice.objects.filter(request=req, kind__startswith="letter.").exclude(
        pk=world.notices["own_letter"].pk))
    assert [n.kind for n in letters] == ["letter.request_copy"]
    en = render_html(letters[0], "en")
    assert "Copy of an immigration request and whether the jail will comply" in en
    assert "Cal. Gov. Code 7283.1(b), first sentence" in en
    assert "does not intend to comply" in en and "scheduled to be released" not in en
    texas = world.requests["other"]
    assert not Notice.objects.filter(request=texas, kind="letter.request_copy").exists(), \
        "Texas owes no TRUTH Act copy (its own notice is letter.individual, Tex. CCP 2.251(a)(2))"


def test_it_writes_the_copy_and_the_release_date_letters_when_the_jail_notifies(travel: Any) -> None:
    from handoff.notices.letters import render_html

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), individual_notice=True, attorney_notice=True)
    assert _kinds(case) == ["letter.request_copy", "letter.individual", "letter.attorney"]
    copy, individual, attorney = (n for n in notices(case, copies=True) if n.kind.startswith("letter."))
    assert copy.release_at is None, "the copy of the request repeats no release date"
    assert "scheduled to be released" not in render_html(copy, "en")
    person = render_html(individual, "en")
    assert "Notice of the release date given to immigration authorities" in person
    assert "Which notice this is: the written notice of the release date the jail gives ICE" in person
    assert "Cal. Gov. Code 7283.1(b), second sentence" in person
    assert "scheduled to be released on June 5, 2025" in person
    assert "to the attorney or designee, of the release date" in render_html(attorney, "en")
    assert "Qué aviso es este: la copia de la solicitud" in render_html(copy, "es")


def test_it_writes_the_copy_while_a_supervisor_reviews_and_a_new_one_once_decided(travel: Any) -> None:
    from handoff.notices.letters import render_html
    from handoff.notices.services import record_handover

    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), notify=True, review=True, individual_notice=True,
                     attorney_notice=True)
    assert _kinds(case) == ["letter.request_copy"], "review holds the release letters back, never the copy"
    [copy] = [n for n in notices(case, copies=True) if n.kind == "letter.request_copy"]
    assert "is being reviewed by a supervisor" in render_html(copy, "en")
    record_handover(copy.uid, recipient="the person")
    travel.shift(timedelta(hours=1))
    redecide(case, review=False, notify=False)
    copies = [n for n in notices(case, copies=True) if n.kind == "letter.request_copy"]
    assert len(copies) == 2 and copies[1].supersedes_id == copies[0].pk, "the person is told the answer"
    assert "does not intend to comply" in render_html(copies[1], "en")
    redecide(case, review=False, notify=False, hold="prohibited")  # the same answer again: no new letter
    assert len([n for n in notices(case, copies=True) if n.kind == "letter.request_copy"]) == 2


def test_it_writes_no_copy_where_no_policy_in_the_chain_owes_one(travel: Any) -> None:
    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=72), notify=False, individual_notice=True,
                     policies=["us-federal@2017-04-02", "us-tx@2017-09-01"])
    assert _kinds(case) == ["letter.individual"], "elsewhere individual_notice is the policy's own notice"
