"""Letters to the person and the attorney: served as PDF and HTML, and their hand-over recorded from the
command line, the API and the request page, audited, with bad times refused for a reason (issue 9 item 4).

The world's "own" case is a Los Angeles detainer SB 54 declines: the person is owed the TRUTH Act copy of the
request (letter.request_copy, Cal. Gov. Code 7283.1(b))."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from handoff.core import clock
from tests.access import world as W

pytestmark = pytest.mark.django_db


def _copy(world: W.World) -> Any:
    from handoff.notices.models import Notice

    return Notice.objects.get(request=world.requests["own"], kind="letter.request_copy")


def _api(token: str, method: str, path: str, body: Any = None) -> Any:
    c = Client()
    if method == "get":
        return c.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
    return c.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
                  HTTP_AUTHORIZATION=f"Bearer {token}")


def _audit(action: str) -> list[Any]:
    from handoff.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_it_records_a_hand_over_from_the_command_line_and_refuses_bad_times(world: W.World, time_machine: Any) -> None:
    letter = _copy(world)
    time_machine.move_to(clock.now() + timedelta(hours=2))
    with pytest.raises(CommandError, match="did not exist yet"):
        call_command("letters", "handover", str(letter.uid), "--to", "person",
                     "--at", (letter.created_at - timedelta(minutes=5)).isoformat())
    with pytest.raises(CommandError, match="in the future"):
        call_command("letters", "handover", str(letter.uid), "--to", "person",
                     "--at", (clock.now() + timedelta(hours=1)).isoformat())
    with pytest.raises(CommandError, match="addressed to the person, not the attorney"):
        call_command("letters", "handover", str(letter.uid), "--to", "attorney")
    out = StringIO()
    at = letter.created_at + timedelta(minutes=30)
    call_command("letters", "handover", str(letter.uid), "--to", "person", "--at", at.isoformat(),
                 "--language", "es", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["to"] == "person" and result["handed_over_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    letter.refresh_from_db()
    assert letter.status == "sent" and letter.sent_at == at
    entries = _audit("letter.handover")
    assert [e.outcome for e in entries] == ["failure", "failure", "failure", "success"]
    listed = StringIO()
    call_command("letters", "list", "--request", world.requests["own"].request_id, "--json", stdout=listed)
    row = next(r for r in json.loads(listed.getvalue())["letters"] if r["notice_id"] == str(letter.uid))
    assert row["to"] == "person" and row["handed_over_at"] is not None


def test_it_records_a_hand_over_through_the_api_and_answers_bad_input_with_a_reason(world: W.World,
                                                                                    time_machine: Any) -> None:
    letter = _copy(world)
    time_machine.move_to(clock.now() + timedelta(hours=1))
    path = f"/notices/{letter.uid}/handover"
    early = _api(world.tokens["jail_clerk"], "post", path,
                 {"to": "person", "handed_over_at": (letter.created_at - timedelta(hours=1)).isoformat()})
    assert early.status_code == 422 and early.json()["field"] == "handed_over_at" and "did not exist yet" in early.json()["detail"]
    future = _api(world.tokens["jail_clerk"], "post", path,
                  {"to": "person", "handed_over_at": (clock.now() + timedelta(days=1)).isoformat()})
    assert future.status_code == 422 and "in the future" in future.json()["detail"]
    assert _api(world.tokens["jail_clerk"], "post", path, {"to": "judge"}).status_code in (400, 422)
    assert _api(world.tokens["federal_officer"], "post", path, {"to": "person"}).status_code in (403, 404), \
        "a federal office never records, nor sees, a letter to the person"
    ok = _api(world.tokens["jail_clerk"], "post", path, {"to": "person"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "sent" and ok.json()["kind"] == "letter.request_copy"
    assert _audit("letter.handover")[-1].outcome == "success"


def test_it_serves_the_letter_as_pdf_and_html_through_the_api_to_the_jail_only(world: W.World) -> None:
    letter = _copy(world)
    pdf = _api(world.tokens["jail_clerk"], "get", f"/notices/{letter.uid}/letter?lang=es")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    html = _api(world.tokens["jail_clerk"], "get", f"/notices/{letter.uid}/letter?format=html")
    assert html.status_code == 200 and "Cal. Gov. Code 7283.1(b)" in html.content.decode()
    assert _api(world.tokens["federal_officer"], "get", f"/notices/{letter.uid}/letter").status_code in (403, 404)
    assert _api(world.tokens["jail_clerk"], "get", f"/notices/{world.notices['own'].uid}/letter").status_code == 404


def test_it_offers_the_pdf_and_the_hand_over_on_the_request_page(world: W.World, client: Client) -> None:
    letter = _copy(world)
    W.verified_login(client, world.users["jail_clerk"])
    page = client.get(f"/requests/{world.requests['own'].request_id}/").content.decode()
    assert f"/notices/{letter.uid}/letter.pdf" in page and "Record hand-over" in page
    pdf = client.get(f"/notices/{letter.uid}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    refused = client.post(f"/notices/{letter.uid}/handover", {"to": "person", "language": "en",
                                                              "handed_over_at": "2001-01-01T09:00"}, follow=True)
    assert "Hand-over not recorded: the letter did not exist yet" in refused.content.decode()
    done = client.post(f"/notices/{letter.uid}/handover", {"to": "person", "language": "es",
                                                           "recipient": "Jan"}, follow=True)
    assert "hand-over to the person recorded" in done.content.decode()
    assert "Handed over" in done.content.decode()
    letter.refresh_from_db()
    assert letter.status == "sent"
    W.verified_login(client, world.users["federal_officer"])
    assert client.get(f"/notices/{letter.uid}/letter.pdf").status_code in (403, 404)
