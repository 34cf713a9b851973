"""The agency settings page: every setting on accounts.Agency, grouped as in the admin."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Agency
from .services import AGENCY_POSITIVE_FIELDS, agency_settings_errors

#: (legend, fields) in page order; the same grouping as the Django admin's fieldsets.
AGENCY_SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Agency"), ("name", "crisis_line")),
    (_("Approvals required"), ("plan_approval_required", "notes_cosign_required")),
    (_("Service plans"), ("review_interval_days", "early_review_days")),
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
            "non_person_first_terms",
            "judgmental_terms",
            "impression_terms",
        ),
    ),
    (
        _("Supervision — weighted caseload"),
        ("acuity_weight_crisis", "acuity_weight_safety_flag", "acuity_weight_high_need"),
    ),
    (_("Sessions"), ("session_timeout_minutes",)),
)

#: What a section is for, shown under its heading.
SECTION_DESCRIPTIONS: dict[str, Any] = {
    "plan_approval_required": _(
        "Steps that need a supervisor before they count. Co-signature can also be asked for "
        "one staff member at a time, on their page in Staff."
    ),
    "acuity_weight_crisis": _(
        "The supervision dashboard weighs each case manager's caseload: every active client "
        "counts 1, plus the weight below for each open crisis event, each open safety flag, "
        "and each high-need domain in the client's latest completed assessment. With the "
        "weights 3, 2 and 1, a client with one open crisis and two high-need domains counts "
        "1 + 3 + 2 = 6."
    ),
}

AGENCY_SETTING_FIELDS = [name for _legend, names in AGENCY_SECTIONS for name in names]

_WORD_LIST_HELP = _(
    'One per line: the wording, " => ", then what to write instead (or just the wording). '
    'Use "=>" once per line at most.'
)


def _section(legend: Any, names: tuple[str, ...]) -> Fieldset:
    description = SECTION_DESCRIPTIONS.get(names[0])
    if description is None:
        return Fieldset(legend, *names)
    return Fieldset(legend, HTML(format_html('<p class="form-text">{}</p>', description)), *names)


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
            "session_timeout_minutes": _(
                "Between 5 and 720 (12 hours). Applies from each person's next page; everyone "
                "is also signed out %(hours)d hours after signing in."
            ),
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
        hours = int(settings.SESSION_ABSOLUTE_LIMIT.total_seconds() // 3600)
        timeout = self.fields["session_timeout_minutes"]
        # The model's bounds, so the browser offers them too.
        for validator in Agency._meta.get_field("session_timeout_minutes").validators:
            if isinstance(validator, MinValueValidator):
                timeout.widget.attrs["min"] = validator.limit_value
            elif isinstance(validator, MaxValueValidator):
                timeout.widget.attrs["max"] = validator.limit_value
        timeout.help_text = str(timeout.help_text) % {"hours": hours}
        self.helper.layout = Layout(*(_section(legend, names) for legend, names in AGENCY_SECTIONS))
        self.helper.add_input(Submit("save", _("Save agency settings")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, messages in agency_settings_errors(cleaned).items():
            if name in cleaned:
                for message in messages:
                    self.add_error(name, message)
        return cleaned
