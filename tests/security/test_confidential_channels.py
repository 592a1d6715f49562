"""Review H1, H2, M1, M8, M9, M14 and H4: confidential means confidential on every channel, answers that
tell nothing, and one county's person never reachable from another. The world (tests/access/world.py):
Los Angeles (LA-MCJ, office LOS) and Dallas (DAL-LEW, office HOU), Dallas's cooperation confidential; each
county has a matched, decided request whose booking number embeds its facility code (`DAL-LEW-0002`)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.access import scoping
from handoff.core import clock
from handoff.jurisdictions.models import Jurisdiction
from handoff.requests.models import ImmigrationRequest
from tests.access import world as W
from tests.security.conftest import api, page

pytestmark = pytest.mark.django_db

#: what names Dallas or its jail, to a reader who should get only the label
LEAKS = ("DAL-LEW", "Dallas", "Lew Sterrett", "48113", "us-tx")


def _leaks(text: str) -> list[str]:
    return [w for w in LEAKS if w in text]


def _other_filed_by_los(world: W.World) -> ImmigrationRequest:
    """The review's H1/H2 situation: a request of the confidential county held by an office that does not
    cover it (filed before a coverage change, or a paper request recorded before the rule)."""
    req = world.requests["other"]
    ImmigrationRequest.objects.filter(pk=req.pk).update(office=world.offices[W.OWN_OFFICE])
    type(world.notices["other"]).objects.filter(request=req).update(office=world.offices[W.OWN_OFFICE])
    req.refresh_from_db()
    return req


def test_h1_an_office_may_file_only_for_places_it_covers(world: W.World) -> None:
    body = {"request_id": "MC-PAPER-1", "kind": "detainer", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "office": W.OWN_OFFICE, "facility": W.OTHER_FACILITY, "booking_number": "DAL-LEW-0002",
            "subject": {"last_name": "DoeOther"}}
    answer = api(Client(), "post", "/requests", world.tokens["other_clerk"], body)
    assert answer.status_code == 422 and answer.json()["field"] == "office"
    assert not ImmigrationRequest.objects.filter(request_id="MC-PAPER-1").exists()
    body["office"] = W.OTHER_OFFICE
    assert api(Client(), "post", "/requests", world.tokens["other_clerk"], body).status_code == 201


def test_h1_webhook_and_email_to_an_office_that_gets_the_label_name_nothing(world: W.World) -> None:
    from handoff.notices import payloads
    from handoff.notices.channels.email import build as build_email
    from handoff.notices.models import Notice

    req = _other_filed_by_los(world)
    notice = Notice.objects.select_related("request__facility__jurisdiction", "decision", "office", "booking").get(
        pk=world.notices["other"].pk)
    body = payloads.build(notice, None, clock.now())
    text = payloads.encode(body)
    assert _leaks(text) == [], text
    label = scoping.label_code(Jurisdiction.objects.get(fips=W.OTHER_FIPS))
    assert body["facility"] == label and body["booking_number"].startswith(label)
    assert body["decision"]["policies"] == ["us-federal@" + body["decision"]["policies"][0].split("@")[1]] or \
        all(p == scoping.WITHHELD or p.startswith("us-federal") for p in body["decision"]["policies"])
    message = build_email("los@example.gov", "msg_1", body, "https://h/ack", escalation=False)
    mail = message.body + "".join(str(a[0]) for a in message.alternatives) + message.subject
    assert _leaks(mail) == [], mail
    assert req.request_id in mail


def test_h1_the_covering_office_still_gets_everything(world: W.World) -> None:
    from handoff.notices import payloads
    from handoff.notices.models import Notice

    notice = Notice.objects.select_related("request__facility__jurisdiction", "decision", "office", "booking").get(
        pk=world.notices["other"].pk)
    body = payloads.build(notice, None, clock.now())
    assert body["facility"] == W.OTHER_FACILITY and "us-tx" in " ".join(body["decision"]["policies"])


def test_h2_m1_request_page_and_api_show_no_policy_citation_or_embedded_code(world: W.World) -> None:
    req = _other_filed_by_los(world)
    html = page(world.users["federal_officer"]).get(f"/requests/{req.request_id}/")
    assert html.status_code == 200
    assert _leaks(html.content.decode()) == []
    answer = api(Client(), "get", f"/requests/{req.request_id}", world.tokens["federal_officer"])
    assert answer.status_code == 200
    assert _leaks(answer.content.decode()) == [], answer.content.decode()
    export = page(world.users["federal_officer"]).get("/office/requests.csv")
    assert _leaks(export.content.decode()) == []
    notices = api(Client(), "get", "/notices", world.tokens["federal_officer"])
    assert _leaks(notices.content.decode()) == []


def test_h2_staff_of_the_place_still_read_its_law(world: W.World) -> None:
    html = page(world.users["other_clerk"]).get(f"/requests/{world.requests['other'].request_id}/").content.decode()
    assert "us-tx" in html and "DAL-LEW-0002" in html


def test_m1_policies_never_map_a_label_to_a_place(world: W.World) -> None:
    label = scoping.label_code(Jurisdiction.objects.get(fips=W.OTHER_FIPS))
    public = Client()
    for path in ("/policies", "/policies/us-tx", "/policies/us-federal"):
        answer = public.get(path)
        assert answer.status_code == 200, path
        assert label not in answer.content.decode(), path
    assert label not in page(world.users["federal_officer"]).get("/policies/us-tx").content.decode()


def test_m9_a_jail_clerk_cannot_move_a_request_to_another_office(world: W.World) -> None:
    """Filing the id again naming another office (even one that covers the place) files that office's own
    request (ids are unique per office and facility since M8); the first request keeps its office, and the
    other office gains nothing of it."""
    world.offices[W.OTHER_OFFICE].covers.add(world.jurisdictions[W.OWN_FIPS])
    req = world.requests["own"]
    body = {"request_id": req.request_id, "kind": req.kind, "issued_at": req.issued_at.isoformat(),
            "office": W.OTHER_OFFICE, "facility": W.OWN_FACILITY, "booking_number": req.booking_number,
            "subject": {"last_name": req.subject_last_name, "first_name": req.subject_first_name,
                        "date_of_birth": req.subject_date_of_birth.isoformat()}}
    answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], body)
    assert answer.status_code == 201 and answer.json()["request"]["office"]["code"] == W.OTHER_OFFICE
    req.refresh_from_db()
    assert req.office.code == W.OWN_OFFICE
    assert ImmigrationRequest.objects.filter(request_id=req.request_id).count() == 2
    own = api(Client(), "get", f"/requests/{req.request_id}?office={W.OWN_OFFICE}", world.tokens["federal_officer"])
    assert own.status_code == 200 and own.json()["office"]["code"] == W.OWN_OFFICE


def _same_answer(a: Any, b: Any) -> None:
    assert a.status_code == b.status_code and a.status_code in (403, 404), (a.content, b.content)
    assert a.json()["error"] == b.json()["error"]


def test_m8_not_yours_and_does_not_exist_answer_the_same_on_every_api_route(world: W.World) -> None:
    token = world.tokens["jail_clerk"]
    theirs, nobody = world.requests["other"].request_id, "NOBODY-0001"
    for method, path, body in [
        ("get", "/requests/{}", None),
        ("post", "/requests/{}/withdraw", {"withdrawn_at": clock.now().isoformat()}),
        ("post", "/requests/{}/override", {"reason": "probing the other county", "notify": True}),
    ]:
        _same_answer(api(Client(), method, path.format(theirs), token, body),
                     api(Client(), method, path.format(nobody), token, body))
    _same_answer(api(Client(), "get", f"/notices/{world.notices['other'].uid}", token),
                 api(Client(), "get", "/notices/00000000-0000-0000-0000-000000000000", token))
    # filing under another county's request id answers as filing a free one: ids are unique per office and
    # facility (tests/security/test_m8_request_ids.py compares the two answers field by field)
    filed = {"request_id": theirs, "kind": "notification", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
             "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "subject": {"last_name": "A", "a_number": "A012345678"}}
    answer = api(Client(), "post", "/requests", token, filed)
    free = api(Client(), "post", "/requests", token, {**filed, "request_id": "NOBODY-0002"})
    assert answer.status_code == free.status_code == 201
    assert answer.json()["outcome"] == free.json()["outcome"] == "created"
    # a conviction for another county's person, and for nobody
    other = world.bookings["other"].person
    conviction = {"statute": "CA PC 211", "level": "felony", "convicted_on": "2020-01-01"}
    a = api(Client(), "post", "/convictions", token, {**conviction, "fbi_number": other.fbi_number,
                                                       "facility": W.OWN_FACILITY})
    b = api(Client(), "post", "/convictions", token, {**conviction, "fbi_number": "ZZZ999", "facility": W.OWN_FACILITY})
    assert (a.status_code, a.json()["error"]) == (b.status_code, b.json()["error"])


def test_m8_not_yours_and_does_not_exist_answer_the_same_on_every_page(world: W.World) -> None:
    client = page(world.users["jail_clerk"])
    theirs = world.requests["other"].request_id
    for path in ("/requests/{}/", "/requests/{}/override", "/requests/{}/outcome", "/requests/{}/review"):
        a = client.get(path.format(theirs)) if path.endswith("/") else client.post(path.format(theirs))
        b = client.get(path.format("NOBODY-1")) if path.endswith("/") else client.post(path.format("NOBODY-1"))
        assert a.status_code == b.status_code and a.status_code in (403, 404), path
    letter = world.notices["other_letter"].uid
    assert client.get(f"/notices/{letter}/letter").status_code == 404
    assert client.get("/notices/00000000-0000-0000-0000-000000000000/letter").status_code == 404


def test_m14_an_office_cannot_record_a_transfer_for_a_person_still_held(world: W.World) -> None:
    from handoff.notices.models import Outcome

    req = world.requests["own"]
    client = page(world.users["federal_officer"])
    client.post(f"/requests/{req.request_id}/outcome", {"outcome": "transferred_to_ice", "note": "picked up"})
    assert not Outcome.objects.filter(booking=req.booking, kind="transferred_to_ice").exists()


def test_h4_one_countys_clerk_never_reads_another_countys_person_on_any_route(world: W.World) -> None:
    other = world.bookings["other"].person
    client = page(world.users["jail_clerk"])
    token = world.tokens["jail_clerk"]
    # what only the record shows (a search page echoes the words typed): its booking number and birth date
    marks = (world.bookings["other"].booking_number, other.date_of_birth.isoformat())
    seen = []
    for path in ["/jail/", f"/requests/{world.requests['other'].request_id}/", "/people/review",
                 f"/people/search?q={other.last_name}", f"/people/search?q={other.fbi_number}",
                 f"/notices/{world.notices['other_letter'].uid}/letter"]:
        answer = client.get(path)
        if answer.status_code == 200:
            seen.append((path, any(m in answer.content.decode() for m in marks)))
    for path in [f"/people/search?q={other.last_name}", f"/people/search?q={other.fbi_number}",
                 f"/requests/{world.requests['other'].request_id}", "/notices"]:
        answer = api(Client(), "get", path, token)
        seen.append((path, any(m in answer.content.decode() for m in marks)))
    assert not [p for p, leaked in seen if leaked], seen
    # and never writes: a conviction naming the other county's jail, a booking in it
    now = clock.now().isoformat()
    assert api(Client(), "post", "/convictions", token, {"facility": W.OTHER_FACILITY, "fbi_number": other.fbi_number,
                                                         "statute": "CA PC 459", "level": "felony",
                                                         "convicted_on": "2020-01-01"}).status_code in (403, 404)
    assert api(Client(), "post", "/bookings", token, {"facility": W.OTHER_FACILITY, "booking_number": "X-1",
                                                      "booked_at": now, "last_name": "A", "first_name": "B",
                                                      "fbi_number": other.fbi_number}).status_code in (403, 404)
    assert list(other.convictions.values_list("statute", flat=True)) == []


def test_it_labels_a_decision_with_one_withheld_line_for_the_place_s_law(world: W.World) -> None:
    from handoff.access.actor import actor_for_office

    reader = actor_for_office(world.offices[W.OWN_OFFICE])
    decision = {"policies": ["us-federal@2017-04-02", "us-tx@2017-09-01"],
                "reasons": [{"policy": "us-federal", "rule": "f1", "cite": "8 CFR 287.7", "holds": True},
                            {"policy": "us-tx", "rule": "tx1", "cite": "Tex. CCP 2.251", "holds": True},
                            {"policy": "us-tx", "rule": "tx2", "cite": "SB 4", "holds": False}]}
    out = scoping.label_decision(reader, world.facilities[W.OTHER_FACILITY], decision)
    assert out is not None
    assert out["policies"] == ["us-federal@2017-04-02", scoping.WITHHELD]
    assert [r["rule"] for r in out["reasons"]] == ["f1", scoping.WITHHELD]
    assert json.dumps(out).count("Tex.") == 0
