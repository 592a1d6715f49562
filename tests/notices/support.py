"""Real peers for the delivery tests, and a small world of rows to deliver about.

- `Receiver`: an HTTP server on 127.0.0.1 (http.server in a thread) that verifies every request's Standard
  Webhooks signature with the `standardwebhooks` library and records what it accepted. It can be stopped and
  started on the same port (a receiver that is down refuses connections, like a real one) or told to answer
  with an error status.
- `SmtpSink`: a real aiosmtpd server that records the messages it accepted, or refuses them.
- `make_world` / `make_case`: rows inserted directly (jurisdiction, jail, office, person, booking, request,
  decision), then the notices reconciled through the real service.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.office_coverage import cover

SECRET = "whsec_" + "dGVzdC1zZWNyZXQtZm9yLWhhbmRvZmYtbm90aWNlcw=="  # base64("test-secret-for-handoff-notices")
_seq = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    at: float
    path: str


class Receiver:
    """A webhook receiver that only accepts correctly signed requests."""

    def __init__(self, secret: str = SECRET, *, status: int = 200) -> None:
        self.secret = secret
        self.status = status
        self.received: list[Received] = []
        self.refused: list[Received] = []
        self.bad_signatures = 0
        self.refuse_notices: set[str] = set()  # notice ids answered with 400 (this message is refused)
        self.delay = 0.0  # seconds to think before answering (a slow office)
        self.truncated = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self._server: ThreadingHTTPServer | None = None
        self._conns: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver.lock:
                    receiver._conns.add(self.connection)

            def finish(self) -> None:
                with receiver.lock:
                    receiver._conns.discard(self.connection)
                super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                if len(raw) < length:  # the sender died mid-request (kill -9): nothing was delivered
                    with receiver.lock:
                        receiver.truncated += 1
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = Webhook(receiver.secret).verify(raw, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self._answer(401)
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                item = Received(headers["webhook-id"], body, time.time(), self.path)
                status = 400 if str(body.get("notice_id")) in receiver.refuse_notices else receiver.status
                with receiver.lock:
                    (receiver.received if 200 <= status < 300 else receiver.refused).append(item)
                self._answer(status)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request resets its connection; that is the test, not an error

        server = Server(("127.0.0.1", self.port), Handler)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: stop listening and cut open keep-alive connections."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)

    def types(self) -> list[str]:
        with self.lock:
            return [r.body["type"] for r in self.received]

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.received]

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)


class SmtpSink:
    """A real SMTP server (aiosmtpd). `refuse` makes it answer DATA with a temporary failure."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = False
        self.port = free_port()
        self._controller: Any = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if sink.refuse:
                    return "451 4.3.0 try again later"
                sink.messages.append(message_from_bytes(envelope.original_content or envelope.content))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


# --- rows ------------------------------------------------------------------------------------------------

@dataclass
class World:
    facility: Any
    office: Any
    extra: dict[str, Any] = field(default_factory=dict)


def make_world(*, webhook_url: str = "", secret: str = SECRET, email: str = "", escalation_email: str = "",
               escalation_webhook_url: str = "", escalation_secret: str = "", code: str = "SFR") -> World:
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction

    us, _ = Jurisdiction.objects.get_or_create(fips="us", defaults={"name": "United States", "kind": "nation"})
    ca, _ = Jurisdiction.objects.get_or_create(
        fips="06", defaults={"name": "California", "kind": "state", "parent": us, "postal": "CA",
                             "default_timezone": "America/Los_Angeles"})
    county, _ = Jurisdiction.objects.get_or_create(
        fips="06001", defaults={"name": "Alameda County", "kind": "county", "parent": ca, "postal": "CA",
                                "default_timezone": "America/Los_Angeles"})
    facility, _ = Facility.objects.get_or_create(
        code="ALA-SR", defaults={"name": "Santa Rita Jail", "jurisdiction": county,
                                 "timezone": "America/Los_Angeles"})
    office = FederalOffice.objects.create(
        code=code, name=f"ICE ERO {code}", webhook_url=webhook_url, webhook_secret=secret if webhook_url else "",
        email=email, escalation_email=escalation_email, escalation_webhook_url=escalation_webhook_url,
        escalation_webhook_secret=escalation_secret)
    cover(office, county)
    return World(facility, office)


DECISION_DEFAULTS: dict[str, Any] = {
    "notify": True, "hold": "prohibited", "transfer": "permitted", "individual_notice": False,
    "attorney_notice": False, "lead_time_hours": 48, "calendar": "clock", "review": False,
    "answer_declined": False,
}


@dataclass
class Case:
    request: Any
    booking: Any
    decision: Any


def make_case(world: World, *, release_at: datetime | None, office: Any = None, kind: str = "detainer",
              reconcile: bool = True, policies: list[str] | None = None, **decision: Any) -> Case:
    from django.db import transaction

    from handoff.core import clock
    from handoff.custody.models import Booking, Person
    from handoff.requests.models import Decision, ImmigrationRequest

    n = next(_seq)
    now = clock.now()
    person = Person.objects.create(last_name=f"Roe{n}", first_name="Ana", date_of_birth=date(1990, 2, 3))
    booking = Booking.objects.create(facility=world.facility, booking_number=f"B{n:06d}", person=person,
                                     booked_at=now - timedelta(days=3), scheduled_release_at=release_at,
                                     release_type="scheduled")
    req = ImmigrationRequest.objects.create(
        request_id=f"R-{n:06d}", kind=kind, form="I-247A", issued_at=now - timedelta(days=2),
        received_at=now - timedelta(days=2), office=office or world.office, facility=world.facility,
        booking_number=booking.booking_number, booking=booking, subject_last_name=f"Roe{n}",
        subject_first_name="Ana", subject_date_of_birth=date(1990, 2, 3), subject_a_number="A123456789",
        status="matched")
    values = {**DECISION_DEFAULTS, **decision}
    d = Decision.objects.create(request=req, evaluated_at=now, trigger="test",
                                policies=policies if policies is not None else ["us-ca@2018-01-01"],
                                reasons=[{"rule": "ca-7282.5-a1", "cite": "Cal. Gov. Code 7282.5(a)(1)",
                                          "holds": True, "detail": "test"}], **values)
    req.current_decision = d
    req.save()
    if reconcile:
        from handoff.notices.services import reconcile_request

        with transaction.atomic():
            reconcile_request(req, trigger="decided")
    return Case(req, booking, d)


def redecide(case: Case, **changes: Any) -> Any:
    """A new decision with some answers changed, as the requests app would store it, then reconcile."""
    from django.db import transaction

    from handoff.core import clock
    from handoff.notices.services import reconcile_request
    from handoff.requests.models import Decision

    old = case.decision
    values = {k: getattr(old, k) for k in DECISION_DEFAULTS}
    values.update(changes)
    d = Decision.objects.create(request=case.request, evaluated_at=clock.now(), trigger="test",
                                policies=old.policies, reasons=old.reasons, **values)
    case.request.current_decision = d
    case.request.save()
    case.decision = d
    with transaction.atomic():
        reconcile_request(case.request, trigger="redecided")
    return d


def move_release(case: Case, release_at: datetime | None) -> None:
    from django.db import transaction

    from handoff.notices.services import reconcile_request

    with transaction.atomic():
        case.booking.scheduled_release_at = release_at
        case.booking.save()
        reconcile_request(case.request, trigger="release moved")


def release(case: Case, at: datetime, *, reason: str = "bail_posted", release_type: str = "courtroom") -> None:
    from django.db import transaction

    from handoff.notices.services import reconcile_request

    with transaction.atomic():
        case.booking.released_at = at
        case.booking.release_reason = reason
        case.booking.release_type = release_type
        case.booking.save()
        reconcile_request(case.request, trigger="released")


def withdraw(case: Case, at: datetime) -> None:
    from django.db import transaction

    from handoff.notices.services import reconcile_request

    with transaction.atomic():
        case.request.withdrawn_at = at
        case.request.status = "withdrawn"
        case.request.save()
        reconcile_request(case.request, trigger="withdrawn")


def notices(case: Case, *, copies: bool = False) -> list[Any]:
    """The request's notices, oldest first. The cases here are decided under us-ca, which owes the person a
    copy of every request (letter.request_copy, Cal. Gov. Code 7283.1(b)); the outbox tests leave it out
    unless they ask for it (`copies=True`; tests/notices/test_request_copy.py is about it)."""
    from handoff.notices.models import Notice

    qs = Notice.objects.filter(request=case.request).order_by("pk")
    return list(qs if copies else qs.exclude(kind="letter.request_copy"))


def body_json(raw: bytes) -> dict[str, Any]:
    return dict(json.loads(raw))
