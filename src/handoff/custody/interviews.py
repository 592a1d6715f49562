"""ICE interview requests and the person's written consent (Cal. Gov. Code 7283.1(a); law review X10).

The rule comes from the facility's policy chain on the day of the request (policy.duties.interview_rule):
- `consent_form` (California, from 2017-01-01; Washington, uncertain): an interview is recorded only with the
  person's signed consent form, in a language the law names, signed before the interview, and with the
  person's choice about their attorney (present, or declined);
- `no_access` (Illinois, uncertain): no interview at all; a request and the person's refusal can be recorded;
- `none`: the product asks nothing more than the record itself.
Refusals: InvalidInput (422) names the field the law needs; Conflict (409) when the request is already recorded.
The caller writes the audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from handoff.core import clock, ids, vocab
from handoff.core.errors import Conflict, InvalidInput
from handoff.custody.models import Booking, InterviewRecord
from handoff.jurisdictions.services import policy_chain
from handoff.policy.duties import InterviewRule, interview_rule

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "zh": "Chinese", "tl": "Tagalog", "vi": "Vietnamese",
                  "ko": "Korean"}


@dataclass(frozen=True)
class InterviewInput:
    requested_at: datetime
    answer: str
    agency: str = ""
    form_language: str = ""
    form_signed: bool = False
    signed_at: datetime | None = None
    attorney: str = ""
    interview_at: datetime | None = None


def rule_for(booking: Booking, at: datetime | None = None) -> InterviewRule:
    return interview_rule(policy_chain(booking.facility), at or clock.now())


def _time(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{field} is not a date and time (YYYY-MM-DDTHH:MM with an offset)", field=field) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone offset", field=field)
    if value > clock.now():
        raise InvalidInput(f"{field} is in the future: record what has happened", field=field)
    return value


def validate(data: dict[str, Any]) -> InterviewInput:
    """The record's shape: times with offsets and not in the future, known answers. What the law requires is
    checked by `record` against the place's rule."""
    requested_at = _time(data.get("requested_at"), "requested_at")
    if requested_at is None:
        raise InvalidInput("requested_at (when ICE asked to interview the person) is required", field="requested_at")
    answer = str(data.get("answer") or "")
    if answer not in vocab.INTERVIEW_ANSWERS:
        raise InvalidInput(f"answer must be one of {', '.join(vocab.INTERVIEW_ANSWERS)}", field="answer")
    attorney = str(data.get("attorney") or "")
    if attorney and attorney not in vocab.INTERVIEW_ATTORNEY:
        raise InvalidInput(f"attorney must be one of {', '.join(vocab.INTERVIEW_ATTORNEY)}", field="attorney")
    agency = str(data.get("agency") or "").strip()
    if len(agency) > 200 or ids.text_problem(agency):
        raise InvalidInput("agency: at most 200 characters, no control characters", field="agency")
    language = str(data.get("form_language") or "").strip().lower()
    if len(language) > 10 or ids.text_problem(language):
        raise InvalidInput("form_language: a language code such as es", field="form_language")
    return InterviewInput(
        requested_at=requested_at, answer=answer, agency=agency, form_language=language,
        form_signed=bool(data.get("form_signed")), signed_at=_time(data.get("signed_at"), "signed_at"),
        attorney=attorney, interview_at=_time(data.get("interview_at"), "interview_at"))


#: a request time read off a fax header may be a few minutes after the form's signature stamp
_SLACK = timedelta(minutes=5)


def check(rule: InterviewRule, data: InterviewInput) -> None:
    """What the place's law requires of this record, or InvalidInput naming the missing piece."""
    caveat = " (the reading of this law is uncertain: ask county counsel)" if rule.uncertain else ""
    if data.interview_at is not None and data.interview_at < data.requested_at:
        raise InvalidInput("the interview cannot come before the request for it", field="interview_at")
    if data.answer == "declined":
        if data.interview_at is not None:
            raise InvalidInput("the person declined: no interview took place, so it has no time", field="interview_at")
        return
    if rule.bars_access:
        raise InvalidInput(f"{rule.cite} bars immigration agents' access to a person in custody: an interview "
                           f"cannot be recorded as consented{caveat}", field="answer")
    if not rule.requires_consent:
        return
    if not data.form_signed:
        raise InvalidInput(f"{rule.cite} requires the person's signed written consent form before any ICE "
                           f"interview{caveat}", field="form_signed")
    if not data.form_language:
        raise InvalidInput("say in which language the consent form was given", field="form_language")
    if rule.languages and data.form_language not in rule.languages:
        named = ", ".join(f"{LANGUAGE_NAMES.get(x, x)} ({x})" for x in rule.languages)
        raise InvalidInput(f"{rule.cite} names the form's languages: {named}; {data.form_language!r} is not one "
                           "(add a county threshold language to the policy file first)", field="form_language")
    if data.signed_at is None:
        raise InvalidInput("when was the consent form signed? (signed_at)", field="signed_at")
    if data.signed_at < data.requested_at - _SLACK:
        raise InvalidInput("the consent form was signed before ICE asked for the interview", field="signed_at")
    if data.interview_at is not None and data.signed_at > data.interview_at:
        raise InvalidInput(f"{rule.cite} requires the consent form in advance of the interview: it was signed "
                           "after the interview", field="signed_at")
    if data.attorney not in vocab.INTERVIEW_ATTORNEY:
        raise InvalidInput("record the person's choice: interviewed with their attorney present, or declined "
                           "the attorney (attorney: present | declined)", field="attorney")


def record(booking: Booking, data: InterviewInput, *, source: str) -> InterviewRecord:
    """Record an interview request and the person's answer under the law in force on the request's day.
    Refused: InvalidInput (the law's requirement missing, 422) or Conflict (this request already recorded,
    409: a record is never edited; a different answer to the same request is a conflict to resolve by hand)."""
    if booking.released_at is not None and data.interview_at is not None and data.interview_at > booking.released_at:
        raise Conflict("the person was released before that interview time")
    rule = rule_for(booking, data.requested_at)
    existing = InterviewRecord.objects.filter(booking=booking, requested_at=data.requested_at).first()
    if existing is not None:
        same = existing.answer == data.answer and existing.interview_at == data.interview_at
        raise Conflict("this interview request is already recorded" + ("" if same else
                       f" with a different answer ({existing.answer}); a record is never changed"))
    check(rule, data)
    try:
        with transaction.atomic():
            return InterviewRecord.objects.create(
                booking=booking, requested_at=data.requested_at, agency=data.agency, answer=data.answer,
                form_language=data.form_language, form_signed=data.form_signed, signed_at=data.signed_at,
                attorney=data.attorney, interview_at=data.interview_at, rule=rule.rule, rule_cite=rule.cite[:300],
                rule_uncertain=rule.uncertain, recorded_at=clock.now(), source=source[:200])
    except IntegrityError:
        raise Conflict("this interview request is already recorded") from None


def as_dict(r: InterviewRecord) -> dict[str, Any]:
    return {"requested_at": r.requested_at, "agency": r.agency, "answer": r.answer,
            "form_language": r.form_language, "form_signed": r.form_signed, "signed_at": r.signed_at,
            "attorney": r.attorney, "interview_at": r.interview_at,
            "rule": {"rule": r.rule, "cite": r.rule_cite, "uncertain": r.rule_uncertain},
            "recorded_at": r.recorded_at, "source": r.source}
