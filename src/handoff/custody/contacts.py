"""The attorney or designee of a booked person: who gets the TRUTH Act copies besides the person.

Cal. Gov. Code 7283.1(b), second sentence: when ICE is told a release date, the jail promptly gives the same
notice in writing "to the individual and to their attorney or to one additional person who the individual
shall designate". A copy can only reach that person if the jail knows how: an address or an e-mail address.
One contact per booking (a designation is made for one custody episode). Jail staff record it through the
page or the API; the caller writes the audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from handoff.core import clock, ids, vocab
from handoff.core.errors import InvalidInput
from handoff.custody.models import AttorneyContact, Booking, RecordChange

FIELDS = ("relation", "name", "email", "address", "phone", "bar_number")
LIMITS = {"name": 200, "email": 254, "address": 500, "phone": 40, "bar_number": 20}


@dataclass(frozen=True)
class ContactInput:
    relation: str
    name: str
    email: str = ""
    address: str = ""
    phone: str = ""
    bar_number: str = ""


def validate(data: dict[str, Any]) -> ContactInput:
    """The contact as typed, checked; InvalidInput names the first field at fault. A contact needs a name and
    a way to reach them (an e-mail address or a postal address): a copy that cannot be sent is no copy."""
    values = {k: str(data.get(k) or "").strip() for k in FIELDS}
    relation = values["relation"] or "attorney"
    if relation not in vocab.CONTACT_RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(vocab.CONTACT_RELATIONS)}, not {relation!r}",
                           field="relation")
    for name, limit in LIMITS.items():
        value = values[name]
        if len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
        problem = ids.text_problem(value, multiline=name == "address")
        if problem:
            raise InvalidInput(f"{name}: {problem}", field=name)
    if not values["name"]:
        raise InvalidInput("the attorney's or designee's name is required", field="name")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            raise InvalidInput(f"{values['email']!r} is not an e-mail address", field="email") from None
    if not values["email"] and not values["address"]:
        raise InvalidInput("give an e-mail address or a postal address: the copies must be able to reach them",
                           field="email")
    return ContactInput(relation=relation, name=values["name"], email=values["email"], address=values["address"],
                        phone=values["phone"], bar_number=values["bar_number"])


def contact_for(booking: Booking) -> AttorneyContact | None:
    return AttorneyContact.objects.filter(booking=booking).first()


def set_contact(booking: Booking, data: ContactInput, *, source: str) -> tuple[AttorneyContact, dict[str, list[Any]]]:
    """Create or replace the booking's contact. Returns it and what changed (field: [old, new]); the old values
    stay in the record history (RecordChange), as for any correction of a booking."""
    now = clock.now()
    current = contact_for(booking)
    new = {k: getattr(data, k) for k in FIELDS}
    if current is None:
        current = AttorneyContact.objects.create(booking=booking, recorded_at=now, source=source[:200], **new)
        changes = {k: ["", v] for k, v in new.items() if v}
    else:
        changes = {k: [getattr(current, k), v] for k, v in new.items() if getattr(current, k) != v}
        if changes:
            for k, v in new.items():
                setattr(current, k, v)
            current.recorded_at, current.source = now, source[:200]
            current.save()
    if changes:
        RecordChange.objects.create(model="AttorneyContact", object_id=booking.pk, changes=changes,
                                    source=source[:300], changed_at=now)
    return current, changes


def as_dict(contact: AttorneyContact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {**{k: getattr(contact, k) for k in FIELDS}, "recorded_at": contact.recorded_at,
            "source": contact.source}
