"""Forms of the staff and team pages. They validate input only; the rules between fields and
rows (unique e-mail, the caseload before a role or a team goes) are the services'."""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import available_timezones

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Agency, Role, Team, User


def _time_zone_choices() -> list[tuple[str, str]]:
    agency_zone = _("The agency's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", agency_zone), *((zone, zone) for zone in sorted(available_timezones()))]


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """People by name, with their e-mail to tell two of the same name apart."""

    def label_from_instance(self, obj: Any) -> str:
        label = f"{obj.full_name} ({obj.email})"
        if not obj.is_active:
            label += " — " + str(_("deactivated"))
        return label


class StaffForm(forms.Form):
    """A person's details, roles and teams, for adding or changing them."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_(
            "Their work address: they sign in with it, and the set-password link goes there."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "At least one. Case managers hold caseloads; supervisors see and change the "
            "caseloads of the teams they supervise; administrators manage staff, teams and "
            "the agency settings and see no client record unless they also hold another role."
        ),
    )
    member_teams = TeamChoiceField(
        label=_("Member of (as case manager)"),
        queryset=Team.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    supervised_teams = TeamChoiceField(
        label=_("Supervises"),
        queryset=Team.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("For someone working from another time zone; dates and times are shown in it."),
    )
    notes_need_cosign = forms.BooleanField(
        label=_("Their case notes need a supervisor's co-signature"),
        required=False,
        help_text=_("For staff in training or on probation."),
    )

    def __init__(self, *args: Any, agency: Agency, submit_label: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(agency=agency).order_by("name")
        for name in ("member_teams", "supervised_teams"):
            cast(forms.ModelMultipleChoiceField, self.fields[name]).queryset = teams
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _time_zone_choices()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Person"), "full_name", "email"),
            Fieldset(_("Roles and teams"), "roles", "member_teams", "supervised_teams"),
            Fieldset(_("Case notes and time"), "notes_need_cosign", "time_zone"),
        )
        self.helper.add_input(Submit("save", submit_label))

    @staticmethod
    def initial_for(user: User, agency: Agency) -> dict[str, Any]:
        return {
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(role.value for role in user.roles),
            "member_teams": list(user.member_teams.filter(agency=agency)),
            "supervised_teams": list(user.supervised_teams.filter(agency=agency)),
            "time_zone": user.time_zone,
            "notes_need_cosign": user.notes_need_cosign,
        }


class StaffFilterForm(forms.Form):
    """The staff list's filters; shown at the top of the list and read from the address."""

    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Active")), ("inactive", _("Deactivated")), ("", _("Anyone"))],
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.none(),
        empty_label=_("Any team"),
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast(forms.ModelChoiceField, self.fields["team"])
        team.queryset = Team.objects.filter(agency=agency).order_by("name")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> selectors.StaffFilters:
        """The valid choices; a choice that is not valid filters nothing."""
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.StaffFilters(
            active=data.get("active") or "",
            role=data.get("role") or "",
            team=data.get("team"),
        )


def _people(agency: Agency, role_field: str, current: QuerySet[User] | None) -> QuerySet[User]:
    """Active staff of the agency with the role, and whoever is on the team already (so a
    deactivated member is not dropped by saving the form)."""
    condition = Q(is_active=True, **{role_field: True})
    if current is not None:
        condition |= Q(pk__in=current.values("pk"))
    return selectors.staff_of(agency).filter(condition).order_by("full_name", "email")


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    members = PersonChoiceField(
        label=_("Case managers (members)"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    supervisors = PersonChoiceField(
        label=_("Supervisors"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("They see and change the caseloads of the team's case managers."),
    )

    def __init__(
        self, *args: Any, agency: Agency, team: Team | None, submit_label: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        members = cast(forms.ModelMultipleChoiceField, self.fields["members"])
        supervisors = cast(forms.ModelMultipleChoiceField, self.fields["supervisors"])
        members.queryset = _people(agency, "is_case_manager", team.members.all() if team else None)
        supervisors.queryset = _people(
            agency, "is_supervisor", team.supervisors.all() if team else None
        )
        self.helper = FormHelper()
        self.helper.layout = Layout("name", "members", "supervisors")
        self.helper.add_input(Submit("save", submit_label))

    @staticmethod
    def initial_for(team: Team) -> dict[str, Any]:
        return {
            "name": team.name,
            "members": list(team.members.all()),
            "supervisors": list(team.supervisors.all()),
        }
