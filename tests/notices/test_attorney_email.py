"""The TRUTH Act copy to the attorney or designee, e-mailed (issue 9 item 4; Cal. Gov. Code 7283.1(b), second
sentence: when ICE is told a release date, the same notice goes in writing to the person and to their attorney
or one person they designate). `email.attorney` goes on its own channel through a real SMTP server (aiosmtpd),
with the server's acceptance as evidence, never to an office and never escalated to one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.notices.conftest import T0
from tests.notices.support import SmtpSink, make_case, make_world, move_release, notices, redecide

pytestmark = pytest.mark.django_db

RELEASE = T0 + timedelta(hours=72)
LAWYER = "dana.counsel@lawyers.example"


def _contact(case: Any, **values: Any) -> Any:
    from handoff.casework import flow
    from handoff.custody import contacts

    data = contacts.validate({"relation": "attorney", "name": "Dana Counsel", "email": LAWYER, **values})
    return flow.set_attorney_contact(case.booking, data, source="test:clerk")


def _emails(case: Any) -> list[Any]:
    return [n for n in notices(case) if n.kind == "email.attorney"]


def _text(mail: Any) -> str:
    return "".join(p.get_payload(decode=True).decode() for p in mail.walk()
                   if p.get_content_type() in ("text/plain", "text/html"))


def _notifying(world: Any) -> Any:
    return make_case(world, release_at=RELEASE, notify=True, individual_notice=True, attorney_notice=True)


def test_it_emails_the_release_date_notice_to_the_attorney_with_the_smtp_acceptance_as_evidence(
        travel: Any, smtp: SmtpSink, worker: Any) -> None:
    from handoff.notices.models import DeliveryAttempt

    case = _notifying(make_world(email="ero@example.gov"))
    assert _emails(case) == [], "no address yet: nothing can be e-mailed (the printed letter is still written)"
    _contact(case)
    [email] = _emails(case)
    assert email.status == "scheduled" and email.due_at == T0 and email.release_at == RELEASE
    worker.run_once()
    to_lawyer = [m for m in smtp.messages if m["To"] == LAWYER]
    assert len(to_lawyer) == 1
    text = _text(to_lawyer[0])
    assert "Notice of the release date given to immigration authorities" in text
    assert "Cal. Gov. Code 7283.1(b), second sentence" in text
    assert "June 5, 2025" in text and "de junio de 2025" in text, "English and Spanish"
    assert case.booking.person.last_name not in to_lawyer[0]["Subject"], "no name in a mailbox preview"
    email.refresh_from_db()
    assert email.status == "sent" and email.sent_at is not None
    [attempt] = DeliveryAttempt.objects.filter(delivery__notice=email)
    assert (attempt.target, attempt.status_code, attempt.delivered, attempt.channel) == (LAWYER, 250, True,
                                                                                           "attorney")
    for mail in smtp.messages:
        if mail["To"] != LAWYER:
            assert LAWYER not in _text(mail) and "Dana Counsel" not in _text(mail), "the office learns nothing of it"


def test_it_emails_nothing_when_the_jail_tells_ice_no_release_date(travel: Any, smtp: SmtpSink, worker: Any) -> None:
    """A declined California request owes the person a copy of the request, not the attorney a release date."""
    case = make_case(make_world(email="ero@example.gov"), release_at=RELEASE, notify=False,
                     individual_notice=True, attorney_notice=False)
    _contact(case)
    worker.run_once()
    assert _emails(case) == [] and [m for m in smtp.messages if m["To"] == LAWYER] == []


def test_it_holds_the_email_while_a_supervisor_reviews_and_sends_it_once_decided(
        travel: Any, smtp: SmtpSink, worker: Any) -> None:
    case = make_case(make_world(email="ero@example.gov"), release_at=RELEASE, notify=True, review=True,
                     individual_notice=True, attorney_notice=True)
    _contact(case)
    assert _emails(case) == []
    redecide(case, review=False)
    worker.run_once()
    assert [m["To"] for m in smtp.messages if m["To"] == LAWYER] == [LAWYER]


def test_it_emails_a_correction_when_the_release_moves_after_the_first_went_out(
        travel: Any, smtp: SmtpSink, worker: Any) -> None:
    case = _notifying(make_world(email="ero@example.gov"))
    _contact(case)
    worker.run_once()
    travel.shift(timedelta(hours=1))
    move_release(case, RELEASE + timedelta(days=1))
    first, second = _emails(case)
    assert second.supersedes_id == first.pk and second.release_at == RELEASE + timedelta(days=1)
    worker.run_once()
    mails = [m for m in smtp.messages if m["To"] == LAWYER]
    assert len(mails) == 2 and "June 6, 2025" in _text(mails[1])
    move_release(case, RELEASE + timedelta(days=1))  # the same time again: nothing new
    assert len(_emails(case)) == 2


def test_it_emails_a_new_address_once_and_a_postal_only_contact_gets_the_printed_letter(
        travel: Any, smtp: SmtpSink, worker: Any) -> None:
    case = _notifying(make_world(email="ero@example.gov"))
    _contact(case, email="", address="1 Main St, Oakland CA")
    assert _emails(case) == [], "no e-mail address: the printed letter.attorney is the copy"
    assert [n.kind for n in notices(case) if n.kind == "letter.attorney"] == ["letter.attorney"]
    _contact(case)
    worker.run_once()
    _contact(case, email="other@lawyers.example")
    worker.run_once()
    assert [m["To"] for m in smtp.messages if "lawyers.example" in m["To"]] == [LAWYER, "other@lawyers.example"]


def test_it_never_escalates_a_failing_attorney_email_to_the_office(travel: Any, smtp: SmtpSink, worker: Any) -> None:
    from handoff.notices.models import Delivery

    case = _notifying(make_world(email="ero@example.gov", escalation_email="lesc@example.gov"))
    _contact(case)
    smtp.refuse = True
    for _ in range(5):
        worker.run_once()
        travel.shift(timedelta(minutes=10))
    [email] = _emails(case)
    deliveries = list(Delivery.objects.filter(notice=email))
    assert [d.channel for d in deliveries] == ["attorney"], "no escalation delivery to the office's second contact"
    assert deliveries[0].attempts >= 3 and email.escalated_at is None
    smtp.refuse = False
    travel.shift(timedelta(hours=1))
    worker.run_once()
    assert [m["To"] for m in smtp.messages if m["To"] == LAWYER] == [LAWYER]
    assert not [m for m in smtp.messages if m["To"] == "lesc@example.gov" and LAWYER in _text(m)]


def test_it_refuses_a_contact_without_a_way_to_reach_them() -> None:
    from handoff.core.errors import InvalidInput
    from handoff.custody import contacts

    with pytest.raises(InvalidInput) as no_way:
        contacts.validate({"name": "Dana Counsel"})
    assert no_way.value.field == "email"
    with pytest.raises(InvalidInput) as bad:
        contacts.validate({"name": "Dana Counsel", "email": "not-an-address"})
    assert bad.value.field == "email"
    with pytest.raises(InvalidInput) as relation:
        contacts.validate({"name": "Dana", "email": LAWYER, "relation": "cousin"})
    assert relation.value.field == "relation"


def test_it_gives_the_office_webhook_nothing_of_the_attorney(travel: Any, smtp: SmtpSink, receiver: Any,
                                                            worker: Any) -> None:
    """The office's receiver gets its release notice; the attorney's e-mail, name and address never reach it."""
    import json

    case = _notifying(make_world(webhook_url=receiver.url))
    _contact(case)
    travel.move_to(RELEASE - timedelta(hours=47))
    worker.run_once()
    assert receiver.types() == ["release.advance_notice"]
    raw = json.dumps(receiver.bodies())
    assert LAWYER not in raw and "Dana Counsel" not in raw and "email.attorney" not in raw
    assert [m["To"] for m in smtp.messages] == [LAWYER]


def test_it_raises_an_alarm_to_the_supervisors_once_when_the_attorney_email_gives_up(
        travel: Any, smtp: SmtpSink, worker: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Every attempt failed until the give-up time: someone must hand or post the copy (7283.1(b))."""
    from handoff.access.actor import SYSTEM
    from handoff.access.services import create_user
    from handoff.casework.alarms import fire_due
    from handoff.notices.models import Alarm

    world = make_world(email="ero@example.gov")
    create_user(SYSTEM, "sup_ala", "jail_supervisor", facilities=[world.facility.code], email="sup@jail.example")
    case = _notifying(world)
    _contact(case)
    smtp.refuse = True
    worker.run_once()
    assert fire_due(force=True).attorney_failed == 0, "still trying: no alarm yet"
    travel.shift(timedelta(hours=73))  # past HANDOFF_GIVE_UP_HOURS (72)
    worker.run_once()
    [email] = _emails(case)
    assert email.status == "failed"
    smtp.refuse = False
    with django_capture_on_commit_callbacks(execute=True):
        assert fire_due(force=True).attorney_failed == 1
    assert fire_due(force=True).attorney_failed == 0, "once"
    [alarm] = Alarm.objects.filter(kind="attorney.failed")
    assert alarm.request_id == case.request.pk and "give it by hand or by post" in alarm.message
    [mail] = [m for m in smtp.messages if m["To"] == "sup@jail.example" and "attorney" in m["Subject"]]
    assert "could not be e-mailed" in mail["Subject"] and LAWYER not in mail["Subject"]
