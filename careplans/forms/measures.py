"""The form for administering a measure, built from the instrument's items: one group of radio
buttons per item (a fieldset with the question as its legend) and the date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Instrument


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnswerRadioSelect(forms.RadioSelect):
    """Radio buttons whose group is addressed by its first button, so the error summary can
    link to the question (the GOV.UK pattern)."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


def item_field_name(number: int) -> str:
    return f"item_{number}"


class MeasureForm(forms.Form):
    administered_on = forms.DateField(label=_("Date answered"), widget=DateInput())

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.initial.setdefault("administered_on", timezone.localdate())
        item_names = []
        for item in instrument.items.all():
            name = item_field_name(item.number)
            item_names.append(name)
            self.fields[name] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=[
                    (option["value"], f"{option['label']} ({option['value']})")
                    for option in sorted(item.options, key=lambda o: o["value"])
                ],
                coerce=int,
                widget=AnswerRadioSelect,
                error_messages={"required": _("Choose the client's answer.")},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                instrument.instructions or _("Questions"),
                *item_names,
            ),
            "administered_on",
        )
        self.helper.add_input(Submit("save", _("Score and save")))

    def clean_administered_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["administered_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def answers(self) -> dict[int, int]:
        """The cleaned answers as item number → value, as the service takes them."""
        return {
            item.number: self.cleaned_data[item_field_name(item.number)]
            for item in self.instrument.items.all()
        }
