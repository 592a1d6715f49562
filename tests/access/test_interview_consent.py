"""ICE interview requests and the written consent the place's law requires (Cal. Gov. Code 7283.1(a), TRUTH
Act; law review X10). Los Angeles (us-ca): an interview is recorded only with the signed form, in one of the
six languages, signed before the interview, with the person's choice about their attorney; otherwise 422 JSON
naming the field. The same request twice: 409. Every attempt is audited; a federal officer gets 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.core import clock
from tests.access import world as W

pytestmark = pytest.mark.django_db


def _api(token: str, method: str, path: str, body: Any = None) -> Any:
    c = Client()
    if method == "GET":
        return c.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
    return c.post(f"/api/v1{path}", body or {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _iso(hours: float) -> str:
    return (clock.now() - timedelta(hours=hours)).isoformat()


def _path(world: W.World) -> str:
    b = world.bookings["own"]
    return f"/bookings/{b.facility.code}/{b.booking_number}/interviews"


CONSENTED = {"agency": "ICE ERO Los Angeles", "answer": "consented", "form_language": "es", "form_signed": True,
             "attorney": "present"}


def test_it_records_an_interview_only_with_the_signed_consent_form_california_requires(world: W.World) -> None:
    from handoff.audit.models import AuditEvent

    token = world.tokens["jail_clerk"]
    rule = _api(token, "GET", _path(world)).json()["rule_now"]
    assert rule["rule"] == "consent_form" and "7283.1(a)" in rule["cite"] and rule["uncertain"] is False
    assert rule["languages"] == ["en", "es", "zh", "tl", "vi", "ko"]
    base = {**CONSENTED, "requested_at": _iso(3), "signed_at": _iso(2), "interview_at": _iso(1)}
    refusals = {
        "form_signed": {**base, "form_signed": False},
        "form_language": {**base, "form_language": "fr"},
        "signed_at": {**base, "signed_at": _iso(0.5)},  # signed after the interview
        "attorney": {**base, "attorney": ""},
    }
    for field, body in refusals.items():
        r = _api(token, "POST", _path(world), body)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/json"), (field, r.content)
        assert r.json()["field"] == field, (field, r.json())
    unsigned = _api(token, "POST", _path(world), refusals["form_signed"]).json()
    assert "Cal. Gov. Code 7283.1(a)" in unsigned["detail"]
    ok = _api(token, "POST", _path(world), base)
    assert ok.status_code == 201, ok.content
    [row] = ok.json()["interviews"]
    assert (row["answer"], row["form_language"], row["attorney"], row["rule"]["rule"]) == (
        "consented", "es", "present", "consent_form")
    again = _api(token, "POST", _path(world), base)
    assert again.status_code == 409 and "already recorded" in again.json()["detail"]
    conflicting = _api(token, "POST", _path(world), {**base, "answer": "declined", "interview_at": None})
    assert conflicting.status_code == 409 and "different answer" in conflicting.json()["detail"]
    declined = _api(token, "POST", _path(world), {"requested_at": _iso(5), "answer": "declined"})
    assert declined.status_code == 201, "a refusal needs no consent form"
    assert _api(token, "POST", _path(world), {"requested_at": _iso(6), "answer": "declined",
                                              "interview_at": _iso(5)}).json()["field"] == "interview_at"
    outcomes = list(AuditEvent.objects.filter(action="interview.record").values_list("outcome", flat=True))
    assert outcomes.count("success") == 2 and outcomes.count("failure") == 8, "every refusal is audited too"


def test_it_refuses_a_consented_interview_where_the_law_bars_access_and_says_it_is_uncertain() -> None:
    """Illinois (Way Forward Act, 5 ILCS 805/15(h)(2), uncertain): no interview at all; consent is no key.
    Washington (RCW 10.93.160, uncertain): the consent form, named uncertain in the refusal."""
    from handoff.core.errors import InvalidInput
    from handoff.custody import interviews
    from handoff.policy.duties import interview_rule

    consented = interviews.validate({**CONSENTED, "requested_at": _iso(3), "signed_at": _iso(2),
                                     "interview_at": _iso(1)})
    illinois = interview_rule(["us-federal", "us-il"], clock.now())
    assert (illinois.rule, illinois.uncertain) == ("no_access", True)
    with pytest.raises(InvalidInput) as barred:
        interviews.check(illinois, consented)
    assert barred.value.field == "answer" and "805/15(h)(2)" in str(barred.value) and "uncertain" in str(barred.value)
    interviews.check(illinois, interviews.validate({"requested_at": _iso(3), "answer": "declined"}))
    washington = interview_rule(["us-federal", "us-wa"], clock.now())
    assert (washington.rule, washington.uncertain, washington.languages) == ("consent_form", True, ())
    interviews.check(washington, interviews.validate({**CONSENTED, "form_language": "ru", "requested_at": _iso(3),
                                                      "signed_at": _iso(2), "interview_at": _iso(1)}))
    with pytest.raises(InvalidInput) as unsigned:
        interviews.check(washington, interviews.validate({"requested_at": _iso(3), "answer": "consented"}))
    assert unsigned.value.field == "form_signed" and "uncertain" in str(unsigned.value)
    nowhere = interview_rule(["us-federal", "us-tx"], clock.now())
    assert nowhere.rule == "none"
    interviews.check(nowhere, interviews.validate({"requested_at": _iso(3), "answer": "consented"}))


def test_it_keeps_the_interview_page_from_the_federal_side_and_refuses_on_the_page_with_the_reason(
        world: W.World) -> None:
    b = world.bookings["own"]
    page = f"/bookings/{b.facility.code}/{b.booking_number}/interview"
    officer_token = world.tokens["federal_officer"]
    assert _api(officer_token, "GET", _path(world)).status_code == 404
    assert _api(officer_token, "POST", _path(world), {"requested_at": _iso(3), "answer": "declined"}).status_code == 404
    officer = Client()
    W.verified_login(officer, world.users["federal_officer"])
    assert officer.get(page).status_code == 404
    clerk = Client()
    W.verified_login(clerk, world.users["jail_clerk"])
    shown = clerk.get(page)
    assert shown.status_code == 200 and "7283.1(a)" in shown.content.decode()
    local = clock.now().astimezone(clock.zone(b.facility.timezone))
    refused = clerk.post(page, {"requested_at": (local - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                                "answer": "consented", "form_language": "es",
                                "interview_at": (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert refused.status_code == 422 and "signed written consent form" in refused.content.decode()
    saved = clerk.post(page, {"requested_at": (local - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                              "answer": "consented", "form_language": "ko", "form_signed": "yes",
                              "signed_at": (local - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                              "attorney": "declined",
                              "interview_at": (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert saved.status_code == 302
    assert "signed" in clerk.get(page).content.decode()
