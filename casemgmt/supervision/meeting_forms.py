"""Forms for staffing meetings. They validate input only; who may, and what recording the
minutes does, live in meeting_services. People and teams are offered from lists the view
reads once, so a page with many agenda items asks the database nothing per form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import Team, User

from .models import MAX_DISCUSSION_MINUTES, DecisionKind

DATETIME_WIDGET = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class OptionsInput(forms.CheckboxSelectMultiple):
    """Checkboxes whose group is named by its first option, so an error summary's link
    lands on the group."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class ChoiceRadios(forms.RadioSelect):
    """Radios named by their first option, like OptionsInput."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


def _person_label(user: User) -> str:
    roles = []
    if user.is_case_manager:
        roles.append(str(_("case manager")))
    if user.is_supervisor:
        roles.append(str(_("supervisor")))
    return f"{user.full_name or user.email} ({', '.join(roles)})" if roles else str(user)


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _person(self, name: str, people: dict[str, User]) -> User:
        return people[self.cleaned_data[name]]

    def _people(self, name: str, people: dict[str, User]) -> list[User]:
        return [people[pk] for pk in self.cleaned_data.get(name) or []]


def _choices(people: Sequence[User]) -> list[tuple[str, str]]:
    return [(str(u.pk), _person_label(u)) for u in people]


class MeetingCreateForm(_Form):
    team = forms.ChoiceField(label=_("Team"))
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"), widget=DATETIME_WIDGET, help_text=_("In your time zone.")
    )
    facilitator = forms.ChoiceField(
        label=_("Facilitator"),
        help_text=_("A supervisor of the team; the minutes go out in their name."),
    )
    attendees = forms.MultipleChoiceField(
        label=_("Who is invited"), required=False, widget=OptionsInput
    )

    def __init__(
        self,
        *args: Any,
        teams: Sequence[Team],
        supervisors: Sequence[User],
        people: Sequence[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        self.supervisors = {str(u.pk): u for u in supervisors}
        self.people = {str(u.pk): u for u in people}
        self._set_choices(teams, supervisors, people)

    def _set_choices(
        self, teams: Sequence[Team], supervisors: Sequence[User], people: Sequence[User]
    ) -> None:
        self.fields["team"].choices = [(str(t.pk), t.name) for t in teams]  # type: ignore[attr-defined]
        self.fields["facilitator"].choices = _choices(supervisors)  # type: ignore[attr-defined]
        self.fields["attendees"].choices = _choices(people)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The cleaned input as the service takes it."""
        return {
            "team": self.teams[self.cleaned_data["team"]],
            "scheduled_at": self.cleaned_data["scheduled_at"],
            "facilitator": self._person("facilitator", self.supervisors),
            "attendees": self._people("attendees", self.people),
        }


class RecordForm(_Form):
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=DATETIME_WIDGET, help_text=_("In your time zone.")
    )
    facilitator = forms.ChoiceField(
        label=_("Facilitator"),
        help_text=_("The case conference notes are written and signed in their name."),
    )
    attendees = forms.MultipleChoiceField(
        label=_("Who took part"), required=False, widget=OptionsInput
    )

    def __init__(
        self, *args: Any, supervisors: Sequence[User], people: Sequence[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.supervisors = {str(u.pk): u for u in supervisors}
        self.people = {str(u.pk): u for u in people}
        self.fields["facilitator"].choices = _choices(supervisors)  # type: ignore[attr-defined]
        self.fields["attendees"].choices = _choices(people)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return {
            "held_at": self.cleaned_data["held_at"],
            "facilitator": self._person("facilitator", self.supervisors),
            "attendees": self._people("attendees", self.people),
        }


class ItemAddForm(_Form):
    client = forms.CharField(
        label=_("Client (record number or name)"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    because = forms.CharField(
        label=_("Why discuss them"),
        max_length=300,
        required=False,
        help_text=_("Optional; it goes into the note's purpose."),
    )


class MinutesForm(_Form):
    discussed = forms.BooleanField(label=_("Discussed at the meeting"), required=False)
    discussion_minutes = forms.IntegerField(
        label=_("Time spent (minutes)"),
        validators=[
            MinValueValidator(1, _("Enter how many minutes the team spent on this client.")),
            MaxValueValidator(MAX_DISCUSSION_MINUTES),
        ],
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_DISCUSSION_MINUTES}),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What was presented and discussed, as facts. It goes into the client's file as a "
            "signed case conference note when the meeting is recorded."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("discussed") and not (data.get("minutes") or "").strip():
            self.add_error("minutes", _("Write what was discussed, or untick “Discussed”."))
        return data


class DecisionForm(_Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices, widget=ChoiceRadios)
    text = forms.CharField(label=_("What is to be done"), widget=forms.Textarea(attrs={"rows": 2}))
    assigned_to = forms.ChoiceField(label=_("Who"))
    due_on = forms.DateField(label=_("By"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, people: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.pk): u for u in people}
        self.fields["assigned_to"].choices = _choices(people)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.cleaned_data["kind"],
            "text": self.cleaned_data["text"],
            "assigned_to": self._person("assigned_to", self.people),
            "due_on": self.cleaned_data["due_on"],
        }
