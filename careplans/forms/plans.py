"""Forms for building, finalizing and reviewing service plans. They validate input only;
the rules live in careplans.services.plans."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import User
from clients.forms import DateInput

from ..models import Agreement, Domain, Goal, Instrument, Intervention, Progress, ReviewDecision
from ..services.plans import GOAL_FIELDS, INTERVENTION_FIELDS


def _helper(*layout: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout:
        helper.layout = Layout(*layout)
    return helper


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class PlanDatesForm(forms.Form):
    service_start = forms.DateField(label=_("Service start"), widget=DateInput())
    review_due = forms.DateField(
        label=_("Plan review date"),
        widget=DateInput(),
        required=False,
        help_text=_(
            "Leave empty for the latest allowed: service start plus the agency's review interval."
        ),
    )
    early_review_reason = forms.CharField(
        label=_("Why review this early (only for a review sooner than the routine minimum)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row("service_start", "review_due"), "early_review_reason")


class GoalForm(forms.ModelForm[Goal]):
    class Meta:
        model = Goal
        fields = GOAL_FIELDS
        widgets = {
            "client_words": forms.Textarea(attrs={"rows": 2}),
            "target_date": DateInput(),
            "review_date": DateInput(),
        }
        help_texts = {
            "baseline_value": _(
                "If the indicator is a number, give it here too: progress is then charted."
            ),
            "instrument": _("Optional: judge the goal by a standardized measure."),
        }

    def __init__(self, *args: Any, needs: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instrument = cast(forms.ModelChoiceField, self.fields["instrument"])
        instrument.queryset = Instrument.objects.filter(is_active=True)
        if needs:
            domain = cast(forms.ChoiceField, self.fields["domain"])
            # The assessed needs first, so the plan follows from the assessment.
            ordered = [c for c in Domain.choices if c[0] in needs]
            ordered += [c for c in Domain.choices if c[0] not in needs]
            domain.choices = [("", "---------"), *ordered]
        self.helper = _helper(
            Fieldset(_("The goal"), "domain", "client_words"),
            Fieldset(
                _("How progress is measured"),
                "indicator",
                _row("baseline", "target"),
                _row("baseline_value", "target_value"),
            ),
            Fieldset(_("Dates"), _row("target_date", "review_date")),
            Fieldset(
                _("Standardized measure (optional)"),
                _row("instrument", "instrument_comparison", "instrument_threshold"),
            ),
        )


class InterventionForm(forms.ModelForm[Intervention]):
    class Meta:
        model = Intervention
        fields = INTERVENTION_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "starts_on": DateInput(),
        }

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["staff"])
        field.queryset = User.objects.filter(pk__in=[u.pk for u in staff])
        self.helper = _helper(
            "description", _row("staff", "provider"), _row("frequency", "starts_on")
        )


class MeetingForm(forms.Form):
    meeting_date = forms.DateField(label=_("Date of the planning meeting"), widget=DateInput())
    meeting_participants = forms.CharField(
        label=_("Who took part"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Names and roles, e.g. the client, their sister, the case manager."),
    )
    client_participated = forms.BooleanField(label=_("The client took part"), required=False)
    meeting_notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class FinalizeForm(forms.Form):
    agreement = forms.ChoiceField(
        label=_("The client's agreement"), choices=Agreement.choices, widget=forms.RadioSelect
    )
    agreement_note = forms.CharField(
        label=_("If the client declined: why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("What needs to change"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label=_("What changes and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Review date"), widget=DateInput())
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    justification = forms.CharField(
        label=_("Justification (required for any change)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_review_date = forms.DateField(
        label=_("Next review (when continuing)"),
        required=False,
        widget=DateInput(),
    )
    early_review_reason = forms.CharField(
        label=_("Why the next review is this early"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class GoalProgressForm(forms.Form):
    progress = forms.ChoiceField(
        label=_("Progress"), choices=[("", "---------"), *Progress.choices]
    )
    current_value = forms.CharField(label=_("Indicator now"), max_length=100, required=False)
    current_number = forms.DecimalField(
        label=_("Indicator now (number)"),
        required=False,
        max_digits=9,
        decimal_places=2,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.helper = _helper(_row("progress", "current_value", "current_number"), "notes")
