"""Security review C1 on the push channels: a webhook and an e-mail to the federal office carry no release time
(and no due time, which is the release time less the lead) when the decision does not let the jail tell the
office. The case is a California request SB 54 declines (Cal. Gov. Code 7284.6(a)(1)(C), (D)); the jail's
answer that it declines still goes out (answer_declined), through a real HTTP receiver and a real SMTP server.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import Receiver, SmtpSink, make_case, make_world, notices

pytestmark = pytest.mark.django_db

CITE = "Cal. Gov. Code 7284.6(a)(1)(C), (D)"
RELEASE = T0 + timedelta(hours=60)


def _declined(world: Any) -> Any:
    return make_case(world, release_at=RELEASE, notify=False, answer_declined=True, individual_notice=False)


def test_c1_webhook_gives_a_federal_office_no_release_time_on_a_declined_california_request(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    case = _declined(make_world(webhook_url=receiver.url))
    assert [n.kind for n in notices(case)] == ["request.declined"]
    assert worker.step() == 1
    [body] = receiver.bodies()
    assert body["type"] == "request.declined" and body["request_id"] == case.request.request_id
    assert body["release_at"] is None and body["due_at"] is None
    assert CITE in body["not_disclosed"]
    raw = json.dumps(receiver.received[0].body)
    for s in (RELEASE.isoformat(), RELEASE.isoformat().replace("+00:00", "Z"), RELEASE.strftime("%Y-%m-%dT%H")):
        assert s not in raw
    assert "in_custody" not in raw


def test_c1_email_gives_a_federal_office_no_release_time_on_a_declined_california_request(
        travel: Any, smtp: SmtpSink, worker: Any) -> None:
    _declined(make_world(email="ero@example.gov"))
    assert worker.step() == 1
    [mail] = smtp.messages
    text = "".join(p.get_payload(decode=True).decode() for p in mail.walk()
                   if p.get_content_type() in ("text/plain", "text/html"))
    assert "not disclosed" in text and CITE in text
    assert RELEASE.strftime("%Y-%m-%d") not in text and RELEASE.strftime("%Y-%m-%dT%H") not in text


def test_c1_a_decision_that_stops_notifying_cancels_the_scheduled_release_notice(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    """The office learns nothing once the law says no, even if a notice had been scheduled before."""
    from tests.notices.support import redecide

    case = make_case(make_world(webhook_url=receiver.url), release_at=RELEASE)
    assert notices(case)[0].status == "scheduled"
    redecide(case, notify=False)
    travel.move_to(RELEASE - timedelta(hours=47))
    worker.step()
    assert receiver.bodies() == [] and notices(case)[0].status == "cancelled"
