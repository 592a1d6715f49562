"""Forms of the clerk's pages: a request keyed in from a faxed or e-mailed form, a release, a correction.

Why the forms check only shape (lengths, choices, dates, the upload's type) and leave the rest to the
services: a record must be judged by one set of rules whether it comes from a file, the API or this page, so
the services' InvalidInput (which names the field) is mapped back onto the form field by the view."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from handoff.core import vocab
from handoff.custody.models import ReleaseReason, ReleaseType
from handoff.web.forms import _usa

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: what a scanned form may be, judged by its first bytes (never by the name or the browser's claim)
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
)
FORM_CHOICES = [("I-247A", "Form I-247A: Immigration Detainer (Notice of Action)"),
                ("I-247N", "Form I-247N: Request for Voluntary Notification of Release")]
KIND_FOR_FORM = {"I-247A": "detainer", "I-247N": "notification"}
WARRANT_CHOICES = [("none", "No warrant attached"), ("administrative", "Administrative warrant (I-200 / I-205)"),
                   ("judicial", "Judicial warrant (signed by a judge)")]
BASIS_LABELS = {"final_order": "A final order of removal", "pending_proceedings": "Removal proceedings are pending",
                "biometric_match": "Biometric confirmation with database records",
                "statements": "Statements made to an immigration officer"}
LOCAL_TIME_HELP = "Local time at the facility (YYYY-MM-DD HH:MM)"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


@dataclass(frozen=True)
class Scan:
    """An accepted upload: its bytes and what they are."""

    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def read_scan(upload: UploadedFile) -> Scan:
    """The upload, if it is a PDF, PNG or JPEG of at most 10 MB. Raises forms.ValidationError."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError("The file is larger than 10 MB. Scan at a lower resolution, or split it.")
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise forms.ValidationError("The file is larger than 10 MB. Scan at a lower resolution, or split it.")
    if not content:
        raise forms.ValidationError("The file is empty.")
    for magic, content_type, _ in SIGNATURES:
        if content.startswith(magic):
            name = (upload.name or "scan").replace("/", "_").replace("\\", "_")[-200:]
            return Scan(name, content_type, content)
    raise forms.ValidationError("The file is not a PDF, PNG or JPEG (judged by its content, not its name).")


class Marked(forms.Form):
    """A form whose fields in error are marked the design system's way (red border, aria-invalid, the
    message tied to the field), so the page re-renders with the field marked and nothing saved."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "usa-input--error" not in attrs.get("class", ""):
                    attrs["class"] = (attrs.get("class", "") + " usa-input--error").strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{name}-error"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            attrs = self.fields[field].widget.attrs
            if "usa-input--error" not in attrs.get("class", ""):
                attrs["class"] = (attrs.get("class", "") + " usa-input--error").strip()
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{field}-error"


def _local_dt(label: str, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, input_formats=DATETIME_FORMATS, help_text=LOCAL_TIME_HELP,
        widget=_usa(forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), "usa-input"),
    )


def wall_time(value: Any) -> Any:
    """The time as typed (the facility's local wall time), without the server's zone Django attached."""
    return value.replace(tzinfo=None) if value is not None else None


class RequestEntryForm(Marked):
    """A federal request that arrived on paper (fax or e-mail), keyed in by a records clerk."""

    form = forms.ChoiceField(choices=FORM_CHOICES, label="Form", widget=_usa(forms.Select(), "usa-select"))
    request_id = forms.CharField(label="Request number (the form's event or file number)", max_length=80,
                                 widget=_usa(forms.TextInput(), "usa-input"))
    facility = forms.ChoiceField(label="Facility", widget=_usa(forms.Select(), "usa-select"))
    office = forms.ChoiceField(label="Federal office that sent it", widget=_usa(forms.Select(), "usa-select"))
    issued_at = _local_dt("Date and time on the form")
    booking_number = forms.CharField(label="Booking number (if the form gives one)", max_length=60, required=False,
                                     widget=_usa(forms.TextInput(), "usa-input"))
    last_name = forms.CharField(label="Subject's family name", max_length=100, required=False,
                                widget=_usa(forms.TextInput(), "usa-input"))
    first_name = forms.CharField(label="Subject's given name", max_length=100, required=False,
                                 widget=_usa(forms.TextInput(), "usa-input"))
    date_of_birth = forms.DateField(label="Subject's date of birth (YYYY-MM-DD)", required=False,
                                    widget=_usa(forms.DateInput(attrs={"type": "date"}), "usa-input"))
    a_number = forms.RegexField(label="A-number (A followed by 8 or 9 digits)", regex=r"^[Aa]?\d{8,9}$",
                                max_length=10, required=False, widget=_usa(forms.TextInput(), "usa-input"),
                                error_messages={"invalid": "An A-number is A followed by 8 or 9 digits."})
    fbi_number = forms.CharField(label="FBI number", max_length=20, required=False,
                                 widget=_usa(forms.TextInput(), "usa-input"))
    sex = forms.ChoiceField(label="Subject's sex (as the form gives it)", required=False,
                            choices=[("", "Not given"), ("M", "Male"), ("F", "Female"), ("X", "X"), ("U", "Unknown")],
                            widget=_usa(forms.Select(), "usa-select"))
    citizenship = forms.CharField(label="Subject's country of citizenship (as written)", max_length=60,
                                  required=False, widget=_usa(forms.TextInput(), "usa-input"))
    warrant_type = forms.ChoiceField(choices=WARRANT_CHOICES, label="Warrant", initial="none",
                                     widget=_usa(forms.Select(), "usa-select"))
    warrant_form = forms.CharField(label="Warrant form (e.g. I-200)", max_length=20, required=False,
                                   widget=_usa(forms.TextInput(), "usa-input"))
    basis = forms.MultipleChoiceField(
        label="Probable cause the form states (tick each box ticked on the form)", required=False,
        choices=[(b, BASIS_LABELS.get(b, b)) for b in vocab.BASIS_VALUES],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}))
    judicial_probable_cause = forms.BooleanField(
        label="A judge has determined probable cause (a judicial determination comes with the form)",
        required=False, widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}))
    federal_aggravated_felony_conviction = forms.BooleanField(
        label="The office states a conviction of an aggravated felony (8 U.S.C. 1101(a)(43))", required=False,
        widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}))
    federal_outstanding_felony_warrant = forms.BooleanField(
        label="The office states an outstanding federal felony warrant", required=False,
        widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}))
    federal_terrorist_screening_match = forms.BooleanField(
        label="The office states a match in the terrorist screening database", required=False,
        widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}))
    lead_time_hours = forms.IntegerField(label="Notice asked for, in hours before release", min_value=1,
                                         max_value=24 * 30, initial=48, widget=_usa(forms.NumberInput(), "usa-input"))
    scan = forms.FileField(label="The scanned form (PDF, PNG or JPEG, at most 10 MB)",
                           widget=_usa(forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
                                       "usa-file-input"))

    def __init__(self, *args: Any, facilities: list[Any], offices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [(f.code, f"{f.name} ({f.code})") for f in facilities]  # type: ignore[attr-defined]
        self.fields["office"].choices = [(o.code, f"{o.name} ({o.code})") for o in offices]  # type: ignore[attr-defined]
        self.scan_file: Scan | None = None

    def clean_scan(self) -> Any:
        upload = self.cleaned_data.get("scan")
        if upload is not None:
            self.scan_file = read_scan(upload)
        return upload

    def clean_a_number(self) -> str:
        value = (self.cleaned_data.get("a_number") or "").strip().upper()
        if value and not value.startswith("A"):
            value = "A" + value
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = data.get("last_name") and data.get("first_name") and data.get("date_of_birth")
        if not (data.get("booking_number") or data.get("a_number") or data.get("fbi_number") or named
                or self.errors):
            self.add_error("booking_number", "Give a booking number, an A-number, an FBI number, or the name "
                                             "with the date of birth: otherwise nobody can be matched.")
        return data


class ReleaseForm(Marked):
    """A release as it happens: when, how, why, and to whom."""

    released_at = _local_dt("Released at")
    release_type = forms.ChoiceField(choices=[("", "Not known"), *ReleaseType.choices], required=False,
                                     label="Type of release", widget=_usa(forms.Select(), "usa-select"))
    release_reason = forms.ChoiceField(choices=ReleaseReason.choices, label="Reason",
                                       widget=_usa(forms.Select(), "usa-select"))
    released_to = forms.CharField(label="Released to (a person, an agency, or “self”)", max_length=200,
                                  widget=_usa(forms.TextInput(), "usa-input"))


CORRECTION_LABELS = {
    "booked_at": "Booked at", "scheduled_release_at": "Scheduled release", "release_type": "Type of release",
    "released_at": "Released at", "release_reason": "Release reason", "released_to": "Released to",
    "last_name": "Family name", "first_name": "Given name", "middle_name": "Middle name",
    "date_of_birth": "Date of birth", "a_number": "A-number", "fbi_number": "FBI number",
    "state_id": "State identification number",
}


class CorrectionForm(Marked):
    """One field of a booking (or its person) corrected, with the reason; the old value stays in history."""

    field = forms.ChoiceField(label="Field to correct", choices=list(CORRECTION_LABELS.items()),
                              widget=_usa(forms.Select(), "usa-select"))
    value = forms.CharField(label="Correct value (times are local to the facility, YYYY-MM-DD HH:MM; leave empty "
                                  "to clear)", max_length=200, required=False,
                            widget=_usa(forms.TextInput(), "usa-input"))
    reason = forms.CharField(label="Reason for the correction (required; kept in the record history)",
                             min_length=5, max_length=200, widget=_usa(forms.TextInput(), "usa-input"))
