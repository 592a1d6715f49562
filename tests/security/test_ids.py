"""Review H5 and L3: request ids, booking numbers and codes have one shape at every door (core.ids), and a
page never fails because of one stored row."""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from handoff.core import clock, ids
from handoff.requests.models import ImmigrationRequest
from tests.access import world as W
from tests.security.conftest import api, page

pytestmark = pytest.mark.django_db


def _ingest(kind: str, path: Path) -> dict[str, Any]:
    out = StringIO()
    with contextlib.suppress(SystemExit):
        call_command("ingest", kind, str(path), "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _request_row(request_id: str, **extra: Any) -> dict[str, Any]:
    return {"request_id": request_id, "kind": "detainer", "issued_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "office": W.OWN_OFFICE, "facility": W.OWN_FACILITY, "booking_number": "ING-G1",
            "subject": {"last_name": "Good"}, **extra}


@pytest.mark.parametrize("bad", ["ING/R/SLASH", "HC-CRLF\r\nBcc: attacker@evil.example", "A\\B", "..", "X\tY",
                                 "X\x1b[31m", "X\u202eY", "X" * 81])
def test_h5_ingest_refuses_a_request_id_the_web_cannot_address(world: W.World, tmp_path: Path, bad: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(_request_row(bad)) + "\n" + json.dumps(_request_row("ING-OK-1")) + "\n")
    result = _ingest("requests", path)
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert not ImmigrationRequest.objects.filter(request_id=bad).exists()
    assert ImmigrationRequest.objects.filter(request_id="ING-OK-1").exists()


def test_h5_the_api_and_ingest_refuse_the_same_ids(world: W.World) -> None:
    for bad in ("ING/R/SLASH", "HC-CRLF\r\nX", ".hidden"):
        answer = api(Client(), "post", "/requests", world.tokens["jail_clerk"], _request_row(bad))
        assert answer.status_code == 422, (bad, answer.content)


def test_h5_one_bad_request_id_never_takes_the_jail_dashboard_down(world: W.World, caplog: Any) -> None:
    # a row stored before the rule existed (or written around it): the dashboard shows it as text and logs it
    ImmigrationRequest.objects.filter(pk=world.requests["own"].pk).update(request_id="ING/R/SLASH")
    with caplog.at_level(logging.WARNING):
        for role in ("jail_clerk", "jail_supervisor", "county_counsel"):
            answer = page(world.users[role]).get("/jail/")
            assert answer.status_code == 200, role
            assert "ING/R/SLASH" in answer.content.decode()
    assert any("ING/R/SLASH" in r.getMessage() for r in caplog.records)


def test_h5_the_office_page_survives_a_bad_request_id(world: W.World) -> None:
    ImmigrationRequest.objects.filter(pk=world.requests["own"].pk).update(request_id="ING/R/SLASH")
    assert page(world.users["federal_officer"]).get("/office/").status_code == 200


def test_l3_ingest_refuses_control_characters_in_names_and_booking_numbers(world: W.World, tmp_path: Path) -> None:
    now = clock.now()
    good = {"facility": W.OWN_FACILITY, "booked_at": (now - timedelta(days=1)).isoformat(), "first_name": "Ann",
            "date_of_birth": "1990-01-01"}
    rows = [{**good, "booking_number": "ING-B8", "last_name": "Evil\r\nName"},
            {**good, "booking_number": "ING-B9", "last_name": "Esc\x1b[2J"},
            {**good, "booking_number": "ING/B10", "last_name": "Slash"},
            {**good, "booking_number": "ING-B11", "last_name": "Fine"}]
    path = tmp_path / "b.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = _ingest("bookings", path)
    assert (result["accepted"], result["rejected"]) == (1, 3)
    numbers = set(world.facilities[W.OWN_FACILITY].bookings.values_list("booking_number", flat=True))
    assert "ING-B11" in numbers and not {"ING-B8", "ING-B9", "ING/B10"} & numbers


def test_l3_an_email_subject_never_carries_a_line_break() -> None:
    from handoff.notices.channels.email import build

    message = build("hou@example.gov", "msg_1", {"type": "release.occurred", "request_id": "HC-CRLF\r\nBcc: x@y"},
                    "", escalation=False)
    assert "\n" not in message.subject and "\r" not in message.subject
    message.message()  # Django would raise BadHeaderError on a line break


def test_h5_facility_and_office_codes_have_the_id_shape(world: W.World) -> None:
    from handoff.core.errors import InvalidInput
    from handoff.jurisdictions.services import add_facility, add_office

    with pytest.raises(InvalidInput, match="slash"):
        add_facility("LA/X", W.OWN_FIPS, "Bad")
    with pytest.raises(InvalidInput, match="control"):
        add_office("SF\nR", "Bad")


def test_h5_a_form_field_uses_the_same_rule() -> None:
    from django import forms

    from handoff.web.forms import BookingNumberField, RequestIdField

    assert RequestIdField().clean("LOS-2025-0001") == "LOS-2025-0001"
    for bad in ("a/b", "a\nb", ".x"):
        with pytest.raises(forms.ValidationError):
            RequestIdField().clean(bad)
    with pytest.raises(forms.ValidationError):
        BookingNumberField().clean("X" * 61)


def test_it_has_one_a_number_rule_everywhere() -> None:
    from handoff.api import schemas
    from handoff.custody import fields

    assert fields.A_NUMBER is ids.A_NUMBER_RE
    assert any(getattr(m, "pattern", None) == ids.A_NUMBER_PATTERN for m in schemas.ANumber.__metadata__)


@given(st.text(max_size=90))
def test_it_accepts_an_id_only_when_the_web_can_address_it(value: str) -> None:
    from django.urls import NoReverseMatch, reverse

    if ids.is_id(value, ids.REQUEST_ID_MAX):
        assert "/" not in value and value == value.strip() and not ids.CONTROL_RE.search(value)
        reverse("web:request_detail", args=[value])  # never NoReverseMatch
    else:
        with contextlib.suppress(NoReverseMatch):
            reverse("web:request_detail", args=[value])
