"""E-mail through Django's e-mail backend (HANDOFF_EMAIL_URL). Delivered means the SMTP server accepted the
message (the backend reports it sent); nothing less.

Why a stable Message-ID: it is derived from the delivery's webhook-id, so a retry that the server did accept
the first time can be recognised as the same message by the office's mail system.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from handoff.core import clock, ids
from handoff.notices.channels import Result

_local = threading.local()


def _connection() -> Any:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = get_connection(fail_silently=False)
        conn.open()  # one SMTP session per batch; the worker closes it when the batch ends
        _local.conn = conn
    return conn


def close() -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        with contextlib.suppress(Exception):  # closing a broken SMTP session must not hide the real error
            conn.close()
        _local.conn = None


SUBJECTS = {
    "release.advance_notice": "Advance release notice",
    "release.short_notice": "SHORT release notice",
    "release.occurred": "Release occurred",
    "request.declined": "Request declined",
}


def build(to: str, msg_id: str, body: dict[str, Any], ack_link: str, *, escalation: bool,
          tz: str | None = None) -> EmailMultiAlternatives:
    """The message for one attempt. Times read in the facility's zone (`tz`), with the zone named: an officer
    plans a pick-up by the jail's clock, and "03:00Z" was misread as the local time (users review)."""
    kind = SUBJECTS.get(str(body.get("type")), str(body.get("type")))
    subject = f"[Handoff] {'ESCALATION: ' if escalation else ''}{kind}: request {body.get('request_id')}"
    release = _parse(body.get("release_at"))
    release_local = clock.local_text(release, tz, missing="-")
    if release is not None:
        subject += f", release {release_local}"
    # a stored id from before core.ids refused control characters must not make the message unsendable
    # forever (Django refuses a header with a line break: review L3); a line break reads as a space
    subject = ids.LINE_CONTROL_RE.sub(" ", subject)
    context = {"n": body, "kind": kind, "ack_link": ack_link, "escalation": escalation, "webhook_id": msg_id,
               "release_local": release_local, "release_utc": body.get("release_at") or "-",
               "sent_local": clock.local_text(_parse(body.get("sent_at")), tz, missing="-")}
    text = render_to_string("notices/email/notice.txt", context)
    html = render_to_string("notices/email/notice.html", context)
    domain = str(getattr(settings, "DEFAULT_FROM_EMAIL", "handoff@localhost")).rsplit("@", 1)[-1].strip(">") or "handoff"
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[to],
        headers={"Message-ID": f"<{msg_id}@{domain}>", "X-Handoff-Webhook-Id": msg_id,
                 "X-Handoff-Notice-Id": str(body.get("notice_id"))},
    )
    message.attach_alternative(html, "text/html")
    return message


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def send(to: str, msg_id: str, body: dict[str, Any], ack_link: str, *, escalation: bool = False,
         tz: str | None = None) -> Result:
    if not to:
        return Result(False, error="office has no e-mail address", endpoint_down=True)
    message = build(to, msg_id, body, ack_link, escalation=escalation, tz=tz)
    return send_message(message, to)


def build_attorney(to: str, msg_id: str, notice: Any) -> EmailMultiAlternatives:
    """The copy to the attorney or designee (`email.attorney`): the words of their letter
    (notices.letters, English then Spanish), nothing of the office's payload. Its subject names no person:
    a mailbox preview is read by more eyes than the message."""
    from handoff.notices import letters

    parts = [letters.context(notice, lang) for lang in letters.LANGUAGES]
    subject = ids.LINE_CONTROL_RE.sub(" ", f"[Handoff] {parts[0]['title']} ({parts[0]['facility']})")
    text = "\n\n".join("\n\n".join([p["title"], p["to"], *p["paragraphs"], p["footer"]]) for p in parts)
    html = "<hr>".join(
        render_to_string("notices/email/attorney.html", {**p, "webhook_id": msg_id}) for p in parts)
    domain = str(getattr(settings, "DEFAULT_FROM_EMAIL", "handoff@localhost")).rsplit("@", 1)[-1].strip(">") or "handoff"
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[to],
        headers={"Message-ID": f"<{msg_id}@{domain}>", "X-Handoff-Webhook-Id": msg_id,
                 "X-Handoff-Notice-Id": str(notice.uid)},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_message(message: EmailMultiAlternatives, to: str) -> Result:
    """Hand one message to the SMTP server; delivered means it accepted the message (reply 250)."""
    started = time.perf_counter()
    try:
        sent = _connection().send_messages([message])
    except smtplib.SMTPResponseException as exc:
        close()
        return Result(False, status_code=exc.smtp_code, error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:500],
                      latency_ms=int((time.perf_counter() - started) * 1000), target=to, endpoint_down=True)
    except (smtplib.SMTPException, OSError) as exc:
        close()
        return Result(False, error=f"{type(exc).__name__}: {exc}"[:500],
                      latency_ms=int((time.perf_counter() - started) * 1000), target=to, endpoint_down=True)
    latency = int((time.perf_counter() - started) * 1000)
    if not sent:
        close()
        return Result(False, error="the mail server did not accept the message", latency_ms=latency, target=to,
                      endpoint_down=True)
    return Result(True, status_code=250, latency_ms=latency, target=to)


def send_attorney(to: str, msg_id: str, notice: Any) -> Result:
    if not to:
        # the address was removed after the e-mail was scheduled: this message cannot go anywhere
        return Result(False, error="the attorney or designee has no e-mail address", endpoint_down=False)
    return send_message(build_attorney(to, msg_id, notice), to)
