"""Delivery through real peers: a signing-checking HTTP receiver and an aiosmtpd server. Retries, backoff, due
order after an outage, leases, escalation, acknowledgement, and the operator's views (/healthz, /metrics, CLI)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from tests.notices.conftest import T0
from tests.notices.support import Receiver, SmtpSink, make_case, make_world, notices

pytestmark = pytest.mark.django_db


def _delivery(case: Any) -> Any:
    return notices(case)[0].deliveries.exclude(channel="escalation").get()


def _endpoint_free_at(case: Any) -> Any:
    from handoff.notices.models import Endpoint

    return Endpoint.objects.get(pk=_delivery(case).endpoint_id).blocked_until


def test_it_never_calls_a_notice_delivered_without_a_2xx(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    receiver.status = 503
    assert worker.step() == 1
    n = notices(case)[0]
    d = n.deliveries.get()
    assert (n.status, d.status, d.attempts, d.last_status_code) == ("sending", "pending", 1, 503)
    [attempt] = d.attempt_log.all()
    assert (attempt.delivered, attempt.status_code, attempt.target) == (False, 503, receiver.url)
    assert len(receiver.refused) == 1 and receiver.received == []
    receiver.status = 200
    assert worker.step() == 0, "the office's endpoint is paused until its backoff passes"
    travel.move_to(_endpoint_free_at(case))
    assert worker.step() == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_status_code) == ("sent", 2, 200)
    assert [r.webhook_id for r in receiver.refused + receiver.received] == [d.webhook_id] * 2


def test_it_is_refused_by_a_receiver_holding_another_secret(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url, secret="whsec_" + "c29tZS1vdGhlci1zZWNyZXQ=")
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    worker.step()
    assert receiver.bad_signatures == 1 and receiver.received == []
    assert _delivery(case).status == "pending" and _delivery(case).last_status_code == 401


def test_it_backs_off_exponentially_with_jitter(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    receiver.stop()
    now = T0
    gaps = []
    for _ in range(8):
        assert worker.step() == 1
        free = _endpoint_free_at(case)
        gaps.append((free - now).total_seconds())
        travel.move_to(free)
        now = free
    for i, gap in enumerate(gaps):
        step = min(60.0, 2.0 ** i)
        assert step / 2 <= gap <= step, f"attempt {i + 1}: waited {gap} s for a step of {step} s"
    assert len(set(gaps)) == len(gaps), "jitter: no two waits alike"
    d = _delivery(case)
    assert d.attempts == 8 and d.attempt_log.filter(delivered=False).count() == 8
    assert "ConnectError" in d.last_error


def test_it_keeps_each_offices_notices_in_due_order_after_an_outage(travel: Any, receiver: Receiver,
                                                                    worker: Any) -> None:
    from handoff.notices.models import Endpoint
    from handoff.notices.worker import Worker

    worlds = [make_world(webhook_url=receiver.url, code=code) for code in ("SFR", "LOS")]
    cases = []
    for i in range(8):
        for w in worlds:  # due one minute apart, in an order that differs from creation order per office
            cases.append(make_case(w, release_at=T0 + timedelta(hours=48, minutes=7 - i)))
    receiver.stop()
    second = Worker(owner="second")
    for minute in range(9):
        travel.move_to(T0 + timedelta(minutes=minute, seconds=30))
        worker.step()
        second.step()
    receiver.start()
    travel.move_to(max(e.blocked_until for e in Endpoint.objects.all()) + timedelta(seconds=1))
    worker.run_once()
    got = receiver.snapshot()
    assert len(got) == 16
    for w in worlds:
        mine = [r.body for r in got if r.body["request_id"] in {c.request.request_id for c in cases
                                                                 if c.request.office_id == w.office.pk}]
        assert [b["due_at"] for b in mine] == sorted(b["due_at"] for b in mine)


def test_it_keeps_delivering_to_other_offices_while_one_is_down(travel: Any, receiver: Receiver,
                                                                 worker: Any) -> None:
    down = Receiver().start()
    try:
        up_world = make_world(webhook_url=receiver.url, code="UP")
        down_world = make_world(webhook_url=down.url, code="DOWN")
        stuck = [make_case(down_world, release_at=T0 + timedelta(hours=h)) for h in (10, 11)]
        fine = [make_case(up_world, release_at=T0 + timedelta(hours=h)) for h in (10, 11)]
        down.stop()
        assert worker.step() == 3, "two deliveries to the office that is up, one probe of the one that is down"
        assert sorted(b["request_id"] for b in receiver.bodies()) == sorted(c.request.request_id for c in fine)
        first, second = (_delivery(c) for c in stuck)
        assert (first.attempts, second.attempts) == (1, 0)
        assert first.lease_owner == "" and second.lease_owner == "", "back in line at once, not after the lease"
        down.start()
        travel.move_to(_endpoint_free_at(stuck[0]))
        assert worker.step() == 2
        assert [b["request_id"] for b in down.bodies()] == [c.request.request_id for c in stuck]
    finally:
        down.stop()


def test_it_lets_a_refused_message_back_off_without_holding_up_the_office(travel: Any, receiver: Receiver,
                                                                         worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    first = make_case(world, release_at=T0 + timedelta(hours=10))
    second = make_case(world, release_at=T0 + timedelta(hours=11))
    receiver.refuse_notices.add(str(notices(first)[0].uid))
    worker.step()
    assert [b["request_id"] for b in receiver.bodies()] == [second.request.request_id]
    d = _delivery(first)
    assert d.status == "pending" and d.last_status_code == 400 and d.next_attempt_at > T0


def test_it_sends_again_with_the_same_webhook_id_when_a_worker_dies_holding_the_lease(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    from handoff.notices.worker import Worker

    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    assert worker.claim() is not None  # ... and the worker dies before sending
    other = Worker(owner="other")
    assert other.step() == 0, "the lease holds"
    travel.shift(timedelta(seconds=61))
    assert other.step() == 1
    assert [r.webhook_id for r in receiver.snapshot()] == [_delivery(case).webhook_id]


def test_it_sends_a_duplicate_with_the_same_webhook_id_when_a_worker_dies_after_sending(
        travel: Any, receiver: Receiver, worker: Any) -> None:
    from handoff.notices.worker import Worker

    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    claim = worker.claim()
    assert claim is not None
    worker.send(claim.deliveries[0])  # the office has it; the worker dies before writing that down
    assert _delivery(case).status == "pending", "not recorded, so not delivered as far as we can prove"
    travel.shift(timedelta(seconds=61))
    Worker(owner="other").step()
    got = receiver.snapshot()
    assert len(got) == 2 and {r.webhook_id for r in got} == {_delivery(case).webhook_id}
    assert _delivery(case).status == "sent"


def test_it_escalates_a_failing_delivery_to_the_offices_second_contact(travel: Any, receiver: Receiver,
                                                                       smtp: SmtpSink, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url, escalation_email="duty@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    receiver.stop()
    for _ in range(3):
        worker.step()
        travel.move_to(_endpoint_free_at(case))
    n = notices(case)[0]
    assert n.escalated_at is not None and n.escalation_reason == "delivery failing"
    worker.run_once()
    [mail] = smtp.messages
    assert mail["To"] == "duty@example.gov" and "ESCALATION" in mail["Subject"]
    n.refresh_from_db()
    assert n.status == "sent", "the second contact has it"
    assert n.deliveries.get(channel="webhook").status == "pending", "the office's own endpoint is still tried"


def test_it_gives_up_at_the_release_time(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    case = make_case(world, release_at=T0 + timedelta(hours=2))
    receiver.stop()
    worker.step()
    travel.move_to(T0 + timedelta(hours=2))
    worker.housekeep()
    n = notices(case)[0]
    assert n.deliveries.get().status == "failed" and n.status == "failed"
    assert "no second contact" in n.escalation_reason


def test_it_escalates_an_unacknowledged_advance_notice_before_the_release(travel: Any, receiver: Receiver,
                                                                          worker: Any) -> None:
    duty_secret = "whsec_" + base64.b64encode(b"the duty officer's own receiver").decode()
    duty = Receiver(duty_secret).start()  # verifies signatures with its own secret, not the office's
    try:
        world = make_world(webhook_url=receiver.url, escalation_webhook_url=duty.url, escalation_secret=duty_secret)
        unanswered = make_case(world, release_at=T0 + timedelta(hours=72))
        answered = make_case(world, release_at=T0 + timedelta(hours=72))
        travel.move_to(T0 + timedelta(hours=24))
        worker.step()
        from handoff.notices.services import acknowledge

        acknowledge(notices(answered)[0].uid, office=world.office)
        travel.move_to(T0 + timedelta(hours=47, minutes=59))
        worker.housekeep()
        assert duty.received == []
        travel.move_to(T0 + timedelta(hours=48))
        worker.housekeep()
        worker.step()
        [body] = duty.bodies()
        assert body["notice_id"] == str(notices(unanswered)[0].uid)
        assert body["escalation"] == {"reason": "unacknowledged", "office": world.office.code}
    finally:
        duty.stop()


def test_it_delivers_e_mail_through_a_real_smtp_server_with_a_one_click_acknowledgement(
        travel: Any, smtp: SmtpSink, worker: Any, client: Client) -> None:
    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    worker.step()
    [mail] = smtp.messages
    d = _delivery(case)
    assert d.status == "sent" and d.last_status_code == 250
    assert mail["To"] == "ero@example.gov" and case.request.request_id in mail["Subject"]
    assert d.webhook_id in mail["Message-ID"]
    text = next(p.get_payload(decode=True).decode() for p in mail.walk() if p.get_content_type() == "text/plain")
    link = re.search(r"http://\S+/notices/ack/\S+", text)
    assert link is not None
    path = link.group(0).split("8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and b"Acknowledge receipt" in page.content
    assert notices(case)[0].status == "sent", "opening the link (a mail scanner might) acknowledges nothing"
    done = client.post(path)
    assert done.status_code == 200 and b"is acknowledged" in done.content
    n = notices(case)[0]
    assert (n.status, n.acknowledged_via) == ("acknowledged", "link")
    from handoff.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="notice.ack")
    assert event.object_ids == [n.pk] and "signed link" in event.actor
    assert client.get(path[:-3] + "xyz").status_code == 400, "a tampered link is refused"


def test_it_never_calls_an_e_mail_delivered_that_the_server_refused(travel: Any, smtp: SmtpSink,
                                                                   worker: Any) -> None:
    world = make_world(email="ero@example.gov")
    case = make_case(world, release_at=T0 + timedelta(hours=10))
    smtp.refuse = True
    worker.step()
    d = _delivery(case)
    assert (d.status, d.last_status_code, smtp.messages) == ("pending", 451, [])
    smtp.refuse = False
    travel.move_to(_endpoint_free_at(case))
    worker.step()
    assert _delivery(case).status == "sent" and len(smtp.messages) == 1


def test_it_lets_only_the_office_acknowledge_and_only_what_was_sent(travel: Any, receiver: Receiver,
                                                                   worker: Any) -> None:
    from handoff.core.errors import Conflict, NotFound
    from handoff.notices.services import acknowledge

    world = make_world(webhook_url=receiver.url, email="ero@example.gov")
    other = make_world(code="LOS")
    case = make_case(world, release_at=T0 + timedelta(hours=72))
    uid = notices(case)[0].uid
    with pytest.raises(Conflict):
        acknowledge(uid, office=world.office)
    travel.move_to(T0 + timedelta(hours=24))
    claim = worker.claim(endpoints=1)  # the webhook goes; the e-mail is still pending
    assert claim is not None and [d.channel for d in claim.deliveries] == ["webhook"]
    worker.deliver(claim)
    with pytest.raises(NotFound):
        acknowledge(uid, office=other.office)
    n = acknowledge(uid, office=world.office, via="api")
    assert n.status == "acknowledged" and n.acknowledged_at == T0 + timedelta(hours=24)
    assert acknowledge(uid, office=world.office).acknowledged_at == n.acknowledged_at, "idempotent"
    email = n.deliveries.get(channel="email")
    assert email.status == "cancelled", "no need to keep sending what the office confirmed"


def test_it_reports_the_oldest_overdue_delivery_on_healthz(travel: Any, receiver: Receiver, worker: Any,
                                                          client: Client) -> None:
    world = make_world(webhook_url=receiver.url)
    make_case(world, release_at=T0 + timedelta(hours=10))
    assert client.get("/healthz").json()["oldest_overdue_delivery_seconds"] == 0.0
    receiver.stop()
    worker.step()
    travel.shift(timedelta(minutes=5))
    body = client.get("/healthz").json()
    assert body["oldest_overdue_delivery_seconds"] == 300.0 and body["overdue_deliveries"] == 1


def test_it_serves_prometheus_metrics(travel: Any, receiver: Receiver, worker: Any, client: Client) -> None:
    from handoff.notices.services import acknowledge

    world = make_world(webhook_url=receiver.url)
    sent = make_case(world, release_at=T0 + timedelta(hours=10))
    make_case(world, release_at=T0 + timedelta(hours=72))
    worker.step()
    acknowledge(notices(sent)[0].uid)
    travel.shift(timedelta(seconds=30))
    with override_settings(HANDOFF_METRICS_TOKEN="scrape-token-for-tests-0123456789"):
        assert client.get("/metrics").status_code == 401  # not public (review M2)
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests-0123456789")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    values = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values["handoff_notices_sent_total"] == 1
    assert values["handoff_notices_acknowledged_total"] == 1
    assert values['handoff_notices{status="scheduled"}'] == 1
    assert values["handoff_deliveries_due"] == 0 and values["handoff_notices_late_total"] == 0
    assert values['handoff_delivery_lag_seconds_bucket{le="+Inf"}'] == 1
    assert values['handoff_delivery_attempts_total{result="delivered"}'] == 1


def test_it_lists_notices_from_the_command_line(travel: Any, receiver: Receiver, worker: Any) -> None:
    world = make_world(webhook_url=receiver.url)
    soon = make_case(world, release_at=T0 + timedelta(hours=10))
    later = make_case(world, release_at=T0 + timedelta(hours=72))
    out = StringIO()
    call_command("notices", "--json", "--status", "scheduled", "--due-before", "2025-06-03T00:00:00Z", stdout=out)
    listed = json.loads(out.getvalue())
    listed["notices"] = [n for n in listed["notices"] if n["kind"] != "letter.request_copy"]  # due at once
    assert [n["request_id"] for n in listed["notices"]] == [soon.request.request_id]
    assert listed["notices"][0]["at_risk"] is True, "due and not delivered, release ahead"
    assert listed["notices"][0]["deliveries"][0]["channel"] == "webhook"
    out = StringIO()
    call_command("notices", "--json", stdout=out)
    assert {n["request_id"] for n in json.loads(out.getvalue())["notices"]} == {soon.request.request_id,
                                                                                later.request.request_id}
    with pytest.raises(CommandError):
        call_command("notices", "--due-before", "next tuesday")


def test_it_delivers_everything_due_with_worker_once(travel: Any, receiver: Receiver) -> None:
    world = make_world(webhook_url=receiver.url)
    for hours in (5, 6, 7):
        make_case(world, release_at=T0 + timedelta(hours=hours))
    make_case(world, release_at=T0 + timedelta(hours=72))
    out = StringIO()
    call_command("worker", "--once", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["delivered"] == 3 and result["due_not_delivered"] == 0 and len(receiver.received) == 3
    receiver.stop()
    make_case(world, release_at=T0 + timedelta(hours=8))
    with pytest.raises(CommandError) as failed:
        call_command("worker", "--once", "--json", stdout=StringIO())
    assert failed.value.returncode == 1
