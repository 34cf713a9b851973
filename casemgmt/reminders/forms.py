from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference

#: The snoozes offered beside each item: (days, label).
SNOOZE_CHOICES = [(1, _("1 day")), (3, _("3 days")), (7, _("1 week"))]


class PreferenceForm(forms.ModelForm[NotificationPreference]):
    """How the user hears about what is due. In-app notices are always on."""

    digest_hour = forms.IntegerField(
        label=_("Send the digest at (hour from 0 to 23, your time zone)"),
        min_value=0,
        max_value=23,
        help_text=_("For example 7 for 7 in the morning, 17 for 5 in the afternoon."),
        error_messages={
            "min_value": _("Enter an hour from 0 to 23."),
            "max_value": _("Enter an hour from 0 to 23."),
            "invalid": _("Enter an hour from 0 to 23, as a whole number."),
            "required": _("Enter the hour to send the digest, from 0 to 23."),
        },
    )

    class Meta:
        model = NotificationPreference
        fields = ["email_digest", "digest_hour", "email_urgent_at_once"]
        labels = {
            "email_digest": _("Send me a daily e-mail digest of what is due"),
            "email_urgent_at_once": _(
                "E-mail urgent items at once (overdue work, crisis follow-ups, escalations)"
            ),
        }
        help_texts = {
            "email_urgent_at_once": _("Otherwise they wait for the next digest."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save settings")))
