"""Forms of the pages that record what the law owes the person in custody: their attorney or designee (TRUTH
Act copies). Shape only; custody.contacts judges the values (the same rules as the API) and the view maps its
InvalidInput back onto the field."""

from __future__ import annotations

from django import forms

from handoff.custody.models import ContactRelation
from handoff.web.clerk_forms import Marked, _local_dt
from handoff.web.forms import _usa


class AttorneyForm(Marked):
    """The attorney, or the one person the individual designates, and how to reach them."""

    relation = forms.ChoiceField(choices=ContactRelation.choices, label="Who this is",
                                 widget=_usa(forms.Select(), "usa-select"))
    name = forms.CharField(label="Name", max_length=200, widget=_usa(forms.TextInput(), "usa-input"))
    email = forms.CharField(label="E-mail address (the release-date notice is e-mailed here)", max_length=254,
                            required=False,
                            widget=_usa(forms.EmailInput(attrs={"autocomplete": "off"}), "usa-input"))
    address = forms.CharField(label="Postal address", max_length=500, required=False,
                              widget=_usa(forms.Textarea(attrs={"rows": 3}), "usa-textarea"))
    phone = forms.CharField(label="Telephone", max_length=40, required=False,
                            widget=_usa(forms.TextInput(attrs={"type": "tel"}), "usa-input"))
    bar_number = forms.CharField(label="State Bar number (attorneys)", max_length=20, required=False,
                                 widget=_usa(forms.TextInput(), "usa-input"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("email") or "").strip() and not (data.get("address") or "").strip():
            self.add_error("email", "Give an e-mail address or a postal address: the copies must be able to "
                                    "reach them.")
        return data


LANGUAGE_CHOICES = [("", "Not given"), ("en", "English"), ("es", "Spanish / Español"), ("zh", "Chinese / 中文"),
                    ("tl", "Tagalog"), ("vi", "Vietnamese / Tiếng Việt"), ("ko", "Korean / 한국어")]


class InterviewForm(Marked):
    """An ICE request to interview the person, and their answer with the written consent form."""

    requested_at = _local_dt("When ICE asked to interview the person")
    agency = forms.CharField(label="Who asked (e.g. ICE ERO Los Angeles)", max_length=200, required=False,
                             widget=_usa(forms.TextInput(), "usa-input"))
    answer = forms.ChoiceField(label="The person's answer", choices=[("consented", "Consented to the interview"),
                                                                      ("declined", "Declined the interview")],
                               widget=_usa(forms.Select(), "usa-select"))
    form_language = forms.ChoiceField(label="Language of the consent form given", choices=LANGUAGE_CHOICES,
                                      required=False, widget=_usa(forms.Select(), "usa-select"))
    form_signed = forms.TypedChoiceField(label="Did the person sign the written consent form?",
                                         choices=[("no", "No"), ("yes", "Yes, signed")],
                                         coerce=lambda v: v == "yes", required=False,
                                         widget=_usa(forms.Select(), "usa-select"))
    signed_at = _local_dt("When the form was signed", required=False)
    attorney = forms.ChoiceField(label="Attorney", required=False,
                                 choices=[("", "Not recorded"), ("present", "Interviewed only with the attorney present"),
                                          ("declined", "Declined to have the attorney present")],
                                 widget=_usa(forms.Select(), "usa-select"))
    interview_at = _local_dt("When the interview took place (empty if it did not)", required=False)
