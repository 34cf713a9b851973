"""The dashboard's filters: one of the supervisor's teams (or all of them) and the date
range of the charts and late notes. The form only validates; `dashboard.make_filters` turns
the answer into the filters the figures use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import Team

from .dashboard import default_range


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


BAD_DATE = _("Enter a date as year-month-day, for example 2026-03-31.")


class DashboardFilterForm(forms.Form):
    team = forms.ChoiceField(
        label=_("Team"),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the teams you supervise.")},
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": BAD_DATE},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": BAD_DATE},
        help_text=_(
            "The charts and late notes cover these dates; the other figures are as of today."
        ),
    )

    def __init__(self, *args: Any, teams: Sequence[Team], today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        start, end = default_range(today)
        self.initial.setdefault("start", start)
        self.initial.setdefault("end", end)
        team_field = cast(forms.ChoiceField, self.fields["team"])
        team_field.choices = [("", _("All my teams")), *((str(t.pk), t.name) for t in teams)]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "dashboard-filters"
        self.helper.attrs = {"aria-label": _("Choose the team and dates")}
        self.helper.layout = Layout(
            Div(
                Div("team", css_class="col-md-4"),
                Div("start", css_class="col-md-3"),
                Div("end", css_class="col-md-3"),
                Div(Submit("show", _("Show"), css_class="mt-md-4"), css_class="col-md-2"),
                css_class="row g-2 align-items-start",
            )
        )

    def clean_end(self) -> dt.date | None:
        end = cast(dt.date | None, self.cleaned_data.get("end"))
        if end is not None and end > self.today:
            raise forms.ValidationError(_("The range can end today at the latest."))
        return end

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None:
            return cleaned
        if end is not None and start > end:
            self.add_error("start", _("The start date must be on or before the end date."))
        elif end is None and "end" not in self.errors and start > self.today:
            self.add_error("start", _("The range can start today at the latest."))
        return cleaned

    @property
    def team_id(self) -> int | None:
        """The team chosen (valid input only); None for all the supervisor's teams."""
        value = self.cleaned_data.get("team") or ""
        return int(value) if value else None
