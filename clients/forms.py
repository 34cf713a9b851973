"""Forms for intake, the fact sheet and episodes of care. They validate input only; the views
hand cleaned data to the services."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User

from .models import Client, DischargeReason, PayerType
from .services import FACT_SHEET_FIELDS

OLDEST_AGE_YEARS = 120


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class ClientForm(forms.ModelForm[Client]):
    other_languages = SimpleArrayField(
        forms.CharField(max_length=60),
        required=False,
        label=_("Other languages"),
        help_text=_("Separate languages with commas."),
    )

    class Meta:
        model = Client
        fields = FACT_SHEET_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "presenting_issue": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "preferred_name": _("What the person wants to be called, if not their legal name."),
            "presenting_issue": _("In a few sentences: what brings the person to us now."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = cast(forms.ModelChoiceField, self.fields["team"])
        manager_field = cast(forms.ModelChoiceField, self.fields["primary_case_manager"])
        team_field.queryset = Team.objects.filter(
            pk__in=policy.member_team_ids(user) | policy.supervised_team_ids(user)
        )
        manager_field.queryset = User.objects.filter(
            pk__in=[u.pk for u in policy.assignable_case_managers(user)]
        )
        if not self.instance.pk:
            # Ask rather than assume how services are paid for.
            payer = cast(forms.ChoiceField, self.fields["payer_type"])
            payer.choices = [("", "---------"), *PayerType.choices]
            self.initial["payer_type"] = ""
            teams = list(team_field.queryset)
            if len(teams) == 1:
                self.initial.setdefault("team", teams[0].pk)
            if user.is_case_manager:
                self.initial.setdefault("primary_case_manager", user.pk)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Name and identity"),
                _row("legal_first_name", "legal_last_name"),
                _row("preferred_name", "pronouns"),
                _row("date_of_birth", "sex_at_birth", "gender_identity"),
            ),
            Fieldset(
                _("Language"),
                _row("primary_language", "other_languages"),
                "interpreter_needed",
            ),
            Fieldset(
                _("How to reach the person"),
                _row("phone", "phone_ok_to_contact"),
                _row("email", "email_ok_to_contact"),
                "address_line1",
                "address_line2",
                _row("city", "state", "postal_code"),
                "address_ok_to_contact",
            ),
            Fieldset(
                _("Emergency contact"),
                _row(
                    "emergency_contact_name",
                    "emergency_contact_relationship",
                    "emergency_contact_phone",
                ),
            ),
            Fieldset(
                _("Pay information"),
                _row("payer_type", "payer_name", "member_id"),
            ),
            Fieldset(
                _("Why the person came and who will work with them"),
                "presenting_issue",
                "referral_source",
                _row("team", "primary_case_manager", "case_management_model"),
            ),
        )

    def clean_legal_first_name(self) -> str:
        return str(self.cleaned_data["legal_first_name"]).strip()

    def clean_legal_last_name(self) -> str:
        return str(self.cleaned_data["legal_last_name"]).strip()

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if today.year - born.year > OLDEST_AGE_YEARS:
            raise forms.ValidationError(
                _("Check the year: that would make the person older than %(n)s.")
                % {"n": OLDEST_AGE_YEARS}
            )
        return born

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        team, manager = cleaned.get("team"), cleaned.get("primary_case_manager")
        if team and manager and not manager.member_teams.filter(pk=team.pk).exists():
            self.add_error(
                "primary_case_manager",
                _("%(who)s is not on the team %(team)s.") % {"who": manager, "team": team},
            )
        return cleaned


class IntakeForm(ClientForm):
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label=_("I have checked: this is a different person. Create the record."),
    )


class ClientEditForm(ClientForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        max_length=200,
        label=_("Reason for the change (optional)"),
    )


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(label=_("Discharge date"), widget=DateInput())
    discharge_reason = forms.ChoiceField(label=_("Reason"), choices=DischargeReason.choices)
    discharge_plan = forms.CharField(
        label=_("Discharge plan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Services continuing, who to call, and how to come back."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("discharge", _("Discharge"), css_class="btn-warning"))


class ReenrolForm(forms.Form):
    enrolled_on = forms.DateField(label=_("Re-enrolment date"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("reenrol", _("Re-enrol")))
