"""Forms for crisis events. They check the input; the rules are the services'
(`crisis_services.crisis_event_problems`), shown here beside each field at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .crisis_services import crisis_event_problems
from .forms import DateInput
from .models import CrisisAction, CrisisEvent, CrisisOutcome, DistressLevel
from .release_forms import CheckboxChoices


def _label(name: str) -> str:
    field = CrisisEvent._meta.get_field(name)
    return str(getattr(field, "verbose_name", name)).capitalize()


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class RadioChoices(forms.RadioSelect):
    """Radio buttons whose group is addressed by its first button, so the error summary can
    link to the question."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class CrisisEventForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label=_label("occurred_at"),
        help_text=_("In your time zone."),
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )
    distress_level = forms.ChoiceField(
        label=_label("distress_level"),
        choices=DistressLevel.choices,
        widget=RadioChoices,
        help_text=_(
            "A case manager handles emotional distress; a full crisis goes to the designated "
            "crisis professional."
        ),
    )
    description = forms.CharField(
        label=_label("description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw and heard, and what the client said, in their words."),
    )
    actions = forms.MultipleChoiceField(
        label=_label("actions"),
        choices=CrisisAction.choices,
        widget=CheckboxChoices,
        required=False,
        help_text=_("Tick each step you took."),
    )
    actions_detail = forms.CharField(
        label=_label("actions_detail"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    consulted_with = forms.CharField(
        label=_label("consulted_with"),
        max_length=300,
        required=False,
        help_text=_("Your supervisor, the crisis line, a provider …"),
    )
    crisis_professional_involved = forms.BooleanField(
        label=_label("crisis_professional_involved"), required=False
    )
    crisis_professional_name = forms.CharField(
        label=_("Name of the designated crisis professional"),
        max_length=200,
        required=False,
        help_text=_("Required when the designated crisis professional was involved."),
    )
    outcome = forms.ChoiceField(
        label=_label("outcome"), choices=[("", "---------"), *CrisisOutcome.choices]
    )
    outcome_detail = forms.CharField(
        label=_label("outcome_detail"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    safety_plan = forms.CharField(
        label=_label("safety_plan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Warning signs, coping steps, people and places to turn to, means removed."),
    )
    follow_up_on = forms.DateField(
        label=_label("follow_up_on"),
        widget=DateInput(),
        help_text=_("Not before the day it happened. The client stays flagged until then."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.localtime()
        self.initial.setdefault("occurred_at", now.replace(second=0, microsecond=0))
        self.initial.setdefault("follow_up_on", now.date() + dt.timedelta(days=1))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("What happened"),
                "occurred_at",
                "distress_level",
                "description",
            ),
            Fieldset(
                _("Your response"),
                "actions",
                "actions_detail",
                "consulted_with",
                "crisis_professional_involved",
                "crisis_professional_name",
            ),
            Fieldset(
                _("Outcome and plan"),
                _row("outcome", "follow_up_on"),
                "outcome_detail",
                "safety_plan",
            ),
        )
        self.helper.add_input(Submit("save", _("Record the crisis event")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, messages in crisis_event_problems(cleaned).items():
            if field in self.errors:
                continue
            self.add_error(field if field in self.fields else None, messages)
        return cleaned


class CrisisCloseForm(forms.Form):
    closing_note = forms.CharField(
        label=_("Follow-up done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who was contacted, what was agreed, how the client is now."),
        error_messages={
            "required": _("Say what follow-up was done: who was contacted, what was agreed.")
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("close", _("Close the crisis event")))
