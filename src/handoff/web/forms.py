"""Forms of the pages. Why Django forms: validation, CSRF and error messages come reviewed and built in."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from handoff.core import clock, ids
from handoff.evidence.outcomes import LABELS, RECORDABLE
from handoff.policy.facts import Facts
from handoff.policy.registry import chain_for_policy

HOLD_CHOICES = [("", "Leave as decided"), ("prohibited", "Prohibited"), ("permitted", "Permitted"),
                ("required", "Required")]
TRANSFER_CHOICES = [("", "Leave as decided"), ("prohibited", "Prohibited"), ("permitted", "Permitted")]
YESNO_KEEP = [("", "Leave as decided"), ("yes", "Yes"), ("no", "No")]


def _usa(widget: forms.Widget, cls: str) -> forms.Widget:
    widget.attrs.setdefault("class", cls)
    return widget


class IdentifierField(forms.CharField):
    """A request id, booking number or facility/office code typed into a form: the one shape of core.ids, as
    at ingest and the API (review H5). Use `RequestIdField`, `BookingNumberField` or `CodeField`."""

    max_id_length = ids.CODE_MAX

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.max_id_length)
        kwargs.setdefault("widget", _usa(forms.TextInput(), "usa-input"))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        problem = ids.id_problem(value, self.max_id_length)
        if problem:
            raise forms.ValidationError(f"This identifier {problem}.", code="invalid_identifier")


class RequestIdField(IdentifierField):
    max_id_length = ids.REQUEST_ID_MAX


class BookingNumberField(IdentifierField):
    max_id_length = ids.BOOKING_NUMBER_MAX


class CodeField(IdentifierField):
    max_id_length = ids.CODE_MAX


def no_control_characters(value: str) -> None:
    """Free text from a form: tab and line breaks allowed, other control characters refused (review L3)."""
    problem = ids.text_problem(value, multiline=True)
    if problem:
        raise forms.ValidationError(f"The text {problem}.", code="control_character")


class OverrideForm(forms.Form):
    """A supervisor's decision where the law leaves it to a person. The reason is required and audited."""

    notify = forms.ChoiceField(choices=YESNO_KEEP, required=False, label="Notify the federal office before release",
                               widget=_usa(forms.Select(), "usa-select"))
    hold = forms.ChoiceField(choices=HOLD_CHOICES, required=False, label="Hold past release",
                             widget=_usa(forms.Select(), "usa-select"))
    transfer = forms.ChoiceField(choices=TRANSFER_CHOICES, required=False, label="Transfer custody at release",
                                 widget=_usa(forms.Select(), "usa-select"))
    reason = forms.CharField(
        label="Reason (required; recorded in the audit log)", min_length=10, max_length=2000,
        validators=[no_control_characters],
        widget=_usa(forms.Textarea(attrs={"rows": 3}), "usa-textarea"),
    )

    def choices(self) -> dict[str, Any]:
        data = self.cleaned_data
        notify = {"yes": True, "no": False}.get(data.get("notify") or "")
        return {"notify": notify, "hold": data.get("hold") or None, "transfer": data.get("transfer") or None}


#: the review form's "none of these" choice (no booking has id 0)
NONE_OF_THESE = 0


class ConfirmMatchForm(forms.Form):
    """Pick the candidate booking the request is about, or "none of these" (the candidates are ruled out and
    the request waits for its booking). The note is required and kept in the record history."""

    booking = forms.TypedChoiceField(coerce=int, label="The booking this request is about",
                                     widget=forms.RadioSelect())
    note = forms.CharField(label="How you checked (required)", min_length=5, max_length=300,
                           validators=[no_control_characters],
                           widget=_usa(forms.TextInput(), "usa-input"))

    def __init__(self, *args: Any, candidates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = list(candidates)
        if choices:
            choices.append((NONE_OF_THESE, "None of these: none is the person the request names"))
        self.fields["booking"].choices = choices  # type: ignore[attr-defined]


#: every outcome a person may record (the seven of issue 11 less "still in custody", which is only derived);
#: the office's quick form lists releases, so all six can be true of its rows
OUTCOME_CHOICES = [(k, LABELS[k]) for k in RECORDABLE]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, widget=_usa(forms.Select(), "usa-select"),
                                label="What happened at release")
    note = forms.CharField(required=False, max_length=500, widget=_usa(forms.TextInput(), "usa-input"),
                           validators=[no_control_characters],
                           label="Note (optional)")


KIND_CHOICES = [("detainer", "Detainer (Form I-247A)"), ("notification", "Notification request"),
                ("transfer", "Transfer request")]
WARRANT_CHOICES = [("administrative", "Administrative (I-200 / I-205)"), ("judicial", "Judicial warrant"),
                   ("none", "None")]
RELEASE_CHOICES = [("scheduled", "Scheduled"), ("bail", "Bail"), ("courtroom", "From a courtroom"),
                   ("other", "Other")]


class TryItForm(forms.Form):
    """A hypothetical case for the "try it" form. Convictions and charges are one per line:
    `statute; level; date (convictions); categories separated by commas`."""

    policy = forms.ChoiceField(label="Governing policy", widget=_usa(forms.Select(), "usa-select"))
    as_of = forms.DateField(label="As of (YYYY-MM-DD)", required=False,
                            widget=_usa(forms.DateInput(attrs={"type": "date"}), "usa-input"))
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Request", widget=_usa(forms.Select(), "usa-select"))
    warrant = forms.ChoiceField(choices=WARRANT_CHOICES, label="Warrant", widget=_usa(forms.Select(), "usa-select"))
    judicial_probable_cause = forms.BooleanField(required=False, label="A judicial probable-cause determination accompanies the request",
                                                 widget=_usa(forms.CheckboxInput(), "usa-checkbox__input"))
    release_type = forms.ChoiceField(choices=RELEASE_CHOICES, label="Release", widget=_usa(forms.Select(), "usa-select"))
    charges = forms.CharField(
        required=False, label="Current charges, one per line: statute; level; disposition; categories",
        widget=_usa(forms.Textarea(attrs={"rows": 3, "placeholder": "CA PC 459.5; misdemeanor; pending"}), "usa-textarea"),
    )
    convictions = forms.CharField(
        required=False, label="Convictions, one per line: statute; level; date; categories",
        widget=_usa(forms.Textarea(attrs={"rows": 3, "placeholder": "CA PC 211; felony; 2019-04-02; serious_felony, violent_felony"}), "usa-textarea"),
    )
    sex_offender = forms.BooleanField(required=False, label="Current sex-offender registrant",
                                      widget=_usa(forms.CheckboxInput(), "usa-checkbox__input"))
    aggravated_felony = forms.BooleanField(required=False, label="Federal aggravated-felony conviction (asserted by the office)",
                                           widget=_usa(forms.CheckboxInput(), "usa-checkbox__input"))
    federal_warrant = forms.BooleanField(required=False, label="Outstanding federal felony arrest warrant",
                                         widget=_usa(forms.CheckboxInput(), "usa-checkbox__input"))
    lawful_status = forms.BooleanField(required=False, label="Proof of citizenship or lawful status presented",
                                       widget=_usa(forms.CheckboxInput(), "usa-checkbox__input"))

    def __init__(self, *args: Any, registry: Any, hidden: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        """hidden: policies of confidential places the viewer may not see (web.views.policies.hidden_policies)."""
        super().__init__(*args, **kwargs)
        self.registry = registry
        docs = sorted((d for d in registry.policies.values() if d.id not in hidden), key=lambda d: d.id)
        self.fields["policy"].choices = [(d.id, f"{d.title} ({d.id})") for d in docs]  # type: ignore[attr-defined]
        self.fields["as_of"].initial = clock.now().date()

    @staticmethod
    def _lines(text: str) -> list[list[str]]:
        return [[p.strip() for p in line.split(";")] for line in text.splitlines() if line.strip()]

    def facts_and_chain(self) -> tuple[Any, list[str], date]:
        d = self.cleaned_data
        charges = []
        for parts in self._lines(d.get("charges") or ""):
            parts += [""] * (4 - len(parts))
            charges.append({"statute": parts[0], "level": parts[1], "disposition": parts[2] or "pending",
                            "categories": [c.strip() for c in parts[3].split(",") if c.strip()]})
        convictions = []
        for parts in self._lines(d.get("convictions") or ""):
            parts += [""] * (4 - len(parts))
            if not parts[2]:
                raise ValueError(f"conviction {parts[0]!r}: give the date (YYYY-MM-DD)")
            convictions.append({"statute": parts[0], "level": parts[1], "convicted_on": parts[2],
                                "categories": [c.strip() for c in parts[3].split(",") if c.strip()]})
        facts = Facts.from_dict({
            "request": {"kind": d["kind"], "warrant": {"type": d["warrant"]},
                        "judicial_probable_cause": bool(d.get("judicial_probable_cause"))},
            "booking": {"release_type": d["release_type"]},
            "charges": charges,
            "convictions": convictions,
            "registrant": {"sex_offender": bool(d.get("sex_offender"))},
            "federal": {"aggravated_felony_conviction": bool(d.get("aggravated_felony")),
                        "outstanding_federal_felony_warrant": bool(d.get("federal_warrant"))},
            "person": {"lawful_status_proven": bool(d.get("lawful_status"))},
        })
        # compose under the policies above it, as a real facility would be: nation, then state
        chain = chain_for_policy(d["policy"], self.registry)
        return facts, chain, d.get("as_of") or clock.now().date()


class LinkForm(forms.Form):
    """Link a request to a booking by hand (a waiting request whose person was found by searching). The
    reason is required and kept in the audit log and the record history."""

    booking = forms.CharField(label="Booking (FACILITY/NUMBER, as people search shows it)", max_length=130,
                              widget=_usa(forms.TextInput(attrs={"autocomplete": "off"}), "usa-input"))
    reason = forms.CharField(label="Why this booking is the request's subject (required; audited)", min_length=10,
                             max_length=300, widget=_usa(forms.TextInput(), "usa-input"))

    def clean_booking(self) -> str:
        value = str(self.cleaned_data["booking"]).strip()
        facility, sep, number = value.partition("/")
        if not sep or not facility.strip() or not number.strip():
            raise forms.ValidationError("Give the facility code and booking number as FACILITY/NUMBER, "
                                        "e.g. LA-MCJ/24-001.")
        # each part has the one identifier shape (core.ids), so the slash between them is never ambiguous
        for part, limit in ((facility.strip(), ids.CODE_MAX), (number.strip(), ids.BOOKING_NUMBER_MAX)):
            problem = ids.id_problem(part, limit)
            if problem:
                raise forms.ValidationError(f"{part!r} {problem}.")
        return value


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label="Name, date of birth, booking number, A-number or FBI number", max_length=120,
                        required=False, widget=_usa(forms.TextInput(attrs={"type": "search"}), "usa-input"))


class HandoverForm(forms.Form):
    """Staff record that a letter reached the person or their attorney or designee (audited). The time is the
    jail's local time; a time before the letter was written or in the future is refused by the service."""

    to = forms.ChoiceField(choices=[("person", "The person"), ("attorney", "The attorney or designee")],
                           label="Handed to", widget=_usa(forms.Select(), "usa-select"))
    handed_over_at = forms.DateTimeField(
        required=False, label="When (the jail's local time; empty means now)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=_usa(forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), "usa-input"))
    language = forms.ChoiceField(choices=[("en", "English"), ("es", "Español")], label="Language handed over",
                                 widget=_usa(forms.Select(), "usa-select"))
    recipient = forms.CharField(required=False, max_length=200, label="Received by (name)",
                                widget=_usa(forms.TextInput(), "usa-input"))
