"""Forms of the evidence pages (server-side validation; USWDS classes on the widgets)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from handoff.core.errors import InvalidInput
from handoff.evidence.outcomes import LABELS, RECORDABLE
from handoff.evidence.whatif import chain_registry, parse_chain


class RecordOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(k, LABELS[k]) for k in RECORDABLE], widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
        label="How did this request end?",
        error_messages={"required": "Choose how the request ended.",
                        "invalid_choice": "Choose one of the outcomes listed."})
    note = forms.CharField(required=False, max_length=500, label="Note (optional)",
                           widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
                           error_messages={"max_length": "Keep the note under 500 characters."})


class WhatIfForm(forms.Form):
    chain = forms.CharField(
        max_length=300, label="Policy chain to replay under",
        help_text="Policy ids, nation first, separated by commas; add @YYYY-MM-DD to use the law as it stood "
                  "on that day. Example: us-federal,us-tx or us-federal,us-wa@2019-01-01",
        widget=forms.TextInput(attrs={"class": "usa-input", "aria-describedby": "id_chain-hint"}),
        error_messages={"required": "Name the policies to replay under, e.g. us-federal,us-tx."})
    start = forms.DateField(required=False, label="Requests received from",
                            widget=forms.DateInput(attrs={"class": "usa-input", "type": "date"}),
                            error_messages={"invalid": "Enter the first day as YYYY-MM-DD."})
    end = forms.DateField(required=False, label="Requests received to",
                          widget=forms.DateInput(attrs={"class": "usa-input", "type": "date"}),
                          error_messages={"invalid": "Enter the last day as YYYY-MM-DD."})

    def clean_chain(self) -> Any:
        try:
            spec = parse_chain(self.cleaned_data["chain"])
            chain_registry(spec)  # unknown policies, no version on the date: said next to the field
            return spec
        except InvalidInput as exc:
            raise forms.ValidationError(str(exc).removeprefix("--chain: ")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and start > end:
            self.add_error("end", "The last day must be on or after the first day.")
        return data
