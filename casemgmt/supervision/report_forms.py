"""The report export form: which report, the range, the team, the file format."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import Team, User
from clients.forms import DateInput
from clients.report_selectors import report_teams

from .reports import MAX_RANGE_DAYS, ExportFormat, ReportKind


class ReportForm(forms.Form):
    report = forms.ChoiceField(
        label=_("Report"), choices=ReportKind.choices, widget=forms.RadioSelect
    )
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To"), widget=DateInput())
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("All the teams I can export"),
    )
    export_format = forms.ChoiceField(
        label=_("File format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = report_teams(user)  # type: ignore[attr-defined]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            "report",
            Div(
                Div("date_from", css_class="col-sm"),
                Div("date_to", css_class="col-sm"),
                css_class="row",
            ),
            "team",
            "export_format",
        )
        self.helper.add_input(Submit("download", _("Download the report")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("date_from")
        end: dt.date | None = cleaned.get("date_to")
        if start is not None and end is not None:
            if end < start:
                self.add_error("date_to", _("The end of the range cannot be before its start."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error(
                    "date_to",
                    _("A report covers at most three years; choose a shorter range."),
                )
        return cleaned
