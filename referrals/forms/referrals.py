"""Forms for referrals; they validate input, the rules live in the services."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from careplans.models import Goal
from clients.forms import DateInput
from clients.models import ClientDocument, PayerType

from ..models import ConsentException, Outcome, PacketSection, Service, Urgency
from ..services.referrals import FIT_DECISIONS


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_domain_display()}: {obj.client_words}"


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.organization}" if obj.organization else obj.name


class ReferralForm(forms.Form):
    goal = GoalChoiceField(
        label=_("The plan goal this referral serves"), queryset=Goal.objects.none()
    )
    service = ServiceChoiceField(
        label=_("The client's choice"),
        queryset=Service.objects.none(),
        widget=forms.RadioSelect,
        help_text=_("The client chooses among the services offered; you narrow the list."),
    )
    reason = forms.CharField(
        label=_("Reason for referral"), widget=forms.Textarea(attrs={"rows": 2})
    )
    presenting_issue_summary = forms.CharField(
        label=_("Presenting issue summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what the provider needs: not the whole story."),
    )
    desired_services = forms.CharField(
        label=_("Services wanted"), widget=forms.Textarea(attrs={"rows": 2})
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    target_date = forms.DateField(label=_("Connect by"), widget=DateInput())
    review_date = forms.DateField(label=_("Review the referral on"), widget=DateInput())
    payer_type = forms.ChoiceField(label=_("Payer type"), choices=PayerType.choices)
    payer_name = forms.CharField(label=_("Payer"), required=False, max_length=120)
    member_id = forms.CharField(label=_("Member id"), required=False, max_length=60)

    def __init__(self, *args: Any, goals: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = goals  # type: ignore[attr-defined]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.helper = _helper()


class PacketForm(forms.Form):
    packet_sections = forms.MultipleChoiceField(
        label=_("What the provider receives"),
        choices=PacketSection.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The minimum necessary. The assessment narrative and substance-use "
            "information are left out unless the provider needs them."
        ),
    )
    packet_documents = forms.ModelMultipleChoiceField(
        label=_("Documents to include"),
        queryset=ClientDocument.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, documents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["packet_documents"].queryset = documents  # type: ignore[attr-defined]
        self.helper = _helper()


class SendForm(forms.Form):
    provider_email = forms.EmailField(
        label=_("Send the secure link to"),
        help_text=_("The provider's intake contact. The link shows only the packet."),
    )
    exception = forms.ChoiceField(
        label=_("Without consent, only because"),
        required=False,
        choices=[("", _("— a release covers this referral —")), *ConsentException.choices],
    )
    justification = forms.CharField(
        label=_("Written justification (for an exception)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A supervisor reviews every referral sent without consent."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ActForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "---------"), *Outcome.choices]
    )


class HandoffForm(forms.Form):
    contact = forms.CharField(label=_("Spoke with"), max_length=200)
    at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    method = forms.CharField(
        label=_("How"), max_length=100, help_text=_("Phone, in person, video, three-way call …")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class FitReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=list(FIT_DECISIONS.items()), widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Outcome of your review"), widget=forms.Textarea(attrs={"rows": 2})
    )
