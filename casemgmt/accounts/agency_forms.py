"""The agency settings page: every setting on accounts.Agency, grouped as in the admin."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import Agency
from .services import AGENCY_POSITIVE_FIELDS, agency_settings_errors

#: (legend, fields) in page order; the same grouping as the Django admin's fieldsets.
AGENCY_SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Agency"), ("name", "crisis_line")),
    (
        _("Service plans"),
        ("review_interval_days", "early_review_days", "plan_approval_required"),
    ),
    (
        _("Directory and referrals"),
        (
            "stale_directory_days",
            "provider_response_business_days",
            "provider_link_days",
            "fit_review_days",
        ),
    ),
    (
        _("Reminders"),
        (
            "reminder_lead_days",
            "reminder_short_lead_days",
            "escalation_days",
            "monitoring_contact_days",
            "release_expiry_warning_days",
        ),
    ),
    (_("Crisis"), ("crisis_definition", "crisis_action_plan")),
    (
        _("Case notes"),
        (
            "note_deadline_hours",
            "default_note_format",
            "notes_cosign_required",
            "non_person_first_terms",
            "judgmental_terms",
            "impression_terms",
        ),
    ),
)

AGENCY_SETTING_FIELDS = [name for _legend, names in AGENCY_SECTIONS for name in names]

_WORD_LIST_HELP = _(
    'One per line: the wording, " => ", then what to write instead (or just the wording). '
    'Use "=>" once per line at most.'
)


class AgencySettingsForm(forms.ModelForm[Agency]):
    """Every agency setting. Rules between fields are the service's, shown beside the field."""

    class Meta:
        model = Agency
        fields = AGENCY_SETTING_FIELDS
        widgets = {
            "crisis_definition": forms.Textarea(attrs={"rows": 3}),
            "crisis_action_plan": forms.Textarea(attrs={"rows": 5}),
            "non_person_first_terms": forms.Textarea(attrs={"rows": 8}),
            "judgmental_terms": forms.Textarea(attrs={"rows": 8}),
            "impression_terms": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {
            "non_person_first_terms": _WORD_LIST_HELP,
            "judgmental_terms": _WORD_LIST_HELP,
            "impression_terms": _WORD_LIST_HELP,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in AGENCY_POSITIVE_FIELDS:
            # Zero makes no sense for an interval, a deadline or a lead time.
            field = self.fields[name]
            field.widget.attrs["min"] = 1
            field.validators = [
                validator
                for validator in field.validators
                if not isinstance(validator, MinValueValidator)
            ]
            field.validators.append(MinValueValidator(1, message=_("Enter a number of 1 or more.")))
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.layout = Layout(
            *(Fieldset(legend, *names) for legend, names in AGENCY_SECTIONS),
        )
        self.helper.add_input(Submit("save", _("Save agency settings")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, messages in agency_settings_errors(cleaned).items():
            if name in cleaned:
                for message in messages:
                    self.add_error(name, message)
        return cleaned
