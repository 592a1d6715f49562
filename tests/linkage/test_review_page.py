"""The review list as jail staff see it: their county's pairs only, a decision with a reason, audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from handoff.access.actor import SYSTEM, Actor
from handoff.access.services import create_user
from handoff.audit.models import AuditEvent
from handoff.linkage import services
from handoff.linkage.models import ReviewPair
from tests.access.world import verified_login
from tests.custody.conftest import Run
from tests.linkage.test_linkage import load, row

pytestmark = pytest.mark.django_db


def test_it_lets_a_clerk_decide_their_countys_pairs_and_hides_the_others(jails: dict,
                                                                         ingest: Callable[..., Run],
                                                                         tmp_path: Path) -> None:
    load(ingest, tmp_path, [row("LA-MCJ", "L1", "PARK", "MIN", "1975-02-02", street="3 C St", postcode="90001"),
                            row("LA-TTCF", "T1", "PARK", "MIN", "1975-02-03", street="8 D St", postcode="90210"),
                            row("HARRIS", "H1", "PARK", "MIN", "1975-02-02", street="1 E St", postcode="77002")])
    services.link(actor=Actor.system("test"), threshold=60, review_floor=-20)
    inside = ReviewPair.objects.get(person_a__jurisdiction__fips="06037", person_b__jurisdiction__fips="06037")
    assert ReviewPair.objects.count() == 3
    clerk = create_user(SYSTEM, "laclerk", "jail_clerk", jurisdictions=["06037"])
    client = Client()
    verified_login(client, clerk)
    page = client.get("/people/review")
    html = page.content.decode()
    assert page.status_code == 200
    assert "LA-MCJ/L1" in html and "LA-TTCF/T1" in html and "HARRIS/H1" not in html
    other = ReviewPair.objects.exclude(pk=inside.pk).first()
    assert other is not None
    assert client.post("/people/review", {"pair": other.pk, "decision": "confirm", "reason": "x"}).status_code == 404
    assert client.post("/people/review", {"pair": inside.pk, "decision": "reject", "reason": ""}).status_code == 400
    done = client.post("/people/review", {"pair": inside.pk, "decision": "reject", "reason": "brothers"})
    assert done.status_code == 302
    assert ReviewPair.objects.get(pk=inside.pk).status == "rejected"
    assert AuditEvent.objects.filter(action="linkage.review.reject", object_ids=[inside.pk]).exists()
    assert AuditEvent.objects.filter(action="linkage.review.list", actor="laclerk").exists()


def test_it_shows_an_auditor_every_pair_without_a_way_to_decide(jails: dict, ingest: Callable[..., Run],
                                                                tmp_path: Path) -> None:
    load(ingest, tmp_path, [row("LA-MCJ", "L1", "PARK", "MIN", "1975-02-02"),
                            row("HARRIS", "H1", "PARK", "MIN", "1975-02-02")])
    services.link(actor=Actor.system("test"), threshold=60, review_floor=-20)
    auditor = create_user(SYSTEM, "aud", "auditor")
    client = Client()
    verified_login(client, auditor)
    html = client.get("/people/review").content.decode()
    assert "HARRIS/H1" in html and "Same person" not in html
    pair = ReviewPair.objects.get()
    assert client.post("/people/review", {"pair": pair.pk, "decision": "confirm", "reason": "r"}).status_code == 403
