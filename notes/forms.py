"""Forms for writing, co-signing and adding to case notes. They validate input only; the
rules (who may, what signing needs, what never changes) live in notes.services."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import MaxValueValidator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from careplans.models import Goal
from clients.models import Collateral
from referrals.models import Referral

from .models import SECTION_FIELDS, AddendumKind, CaseNote, ContactType, CosignStatus, NoteFormat
from .services import DRAFT_FIELDS

#: The longest contact a note records, in minutes (a day).
MAX_DURATION_MINUTES = 24 * 60

#: What each section is for, shown under its label: facts apart from impressions.
SECTION_HELP = {
    "purpose": _(
        "Why the contact happened: a planned check-in, a call about a referral, a crisis."
    ),
    "observations": _(
        "Facts only: what you saw and heard, as a camera would have recorded it. "
        "Keep your interpretation for Impressions."
    ),
    "client_quotes": _("The client's own words, in quotation marks, as they said them."),
    "impressions": _(
        "Your professional impression, kept apart from the facts, and what it rests on."
    ),
    "interventions": _(
        "What you did (information, skills, linkage, advocacy) and what came of it."
    ),
    "next_steps": _("Who does what, by when. Write “none needed” if there is nothing."),
}


class OptionsInput(forms.CheckboxSelectMultiple):
    """Checkboxes whose group is named by its first option, so an error summary's link
    lands on the group (the GOV.UK pattern) instead of the top of the page."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class ChoiceRadios(forms.RadioSelect):
    """Radios named by their first option, like OptionsInput."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class GoalChoiceField(forms.ModelMultipleChoiceField):
    """Goals shown in the client's words, with the need and plan version they belong to."""

    def label_from_instance(self, obj: Any) -> str:
        goal = cast(Goal, obj)
        return format_html(
            "“{}” <span class='text-body-secondary small'>({}, {})</span>",
            goal.client_words,
            goal.get_domain_display(),
            _("plan version %(v)s") % {"v": goal.plan.version},
        )


class ReferralChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        referral = cast(Referral, obj)
        return _("%(service)s (%(status)s)") % {
            "service": referral.service,
            "status": referral.get_status_display(),
        }


class CollateralChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        collateral = cast(Collateral, obj)
        label = f"{collateral.name} ({collateral.get_relationship_display()})"
        if collateral.relationship_detail:
            label += f" — {collateral.relationship_detail}"
        return label


class NoteForm(forms.ModelForm[CaseNote]):
    """The draft as the author types it. Drafts may be incomplete; signing asks for more."""

    goals = GoalChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        widget=OptionsInput,
        label=_("Goals worked on"),
    )
    referrals = ReferralChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        widget=OptionsInput,
        label=_("Referrals worked on"),
    )
    collaterals = CollateralChoiceField(
        queryset=Collateral.objects.none(),
        required=False,
        widget=OptionsInput,
        label=_("Collaterals present or spoken with"),
        help_text=_("Speaking with a collateral about the client needs an active release."),
    )

    class Meta:
        model = CaseNote
        fields = (*DRAFT_FIELDS, "collaterals", "goals", "referrals")
        widgets = {
            "contact_at": forms.DateTimeInput(
                format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}
            ),
            "duration_minutes": forms.NumberInput(attrs={"min": 0, "max": MAX_DURATION_MINUTES}),
            "note_format": ChoiceRadios,
            "other_participants": forms.TextInput,
            **{name: forms.Textarea(attrs={"rows": 3}) for name in SECTION_FIELDS},
        }
        help_texts = {
            "contact_at": _("In your time zone. For a missed appointment, when it was due."),
            "note_format": _(
                "Changes only the headings the sections sit under; nothing typed is lost."
            ),
            **SECTION_HELP,
        }

    def __init__(
        self,
        *args: Any,
        goals: Any,
        referrals: Any,
        collaterals: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["goals"]).queryset = goals
        cast(forms.ModelMultipleChoiceField, self.fields["referrals"]).queryset = referrals
        cast(forms.ModelMultipleChoiceField, self.fields["collaterals"]).queryset = collaterals
        self.fields["duration_minutes"].validators.append(
            MaxValueValidator(
                MAX_DURATION_MINUTES,
                _("A note records one contact of up to %(limit_value)s minutes (a day)."),
            )
        )
        # A contact always has a type and a note a layout: no empty choice.
        cast(forms.ChoiceField, self.fields["contact_type"]).choices = ContactType.choices
        cast(forms.ChoiceField, self.fields["note_format"]).choices = NoteFormat.choices

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed validation (all of them on a valid form), without links."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned[name]
            for name in DRAFT_FIELDS
            if name in cleaned and name not in self.errors
        }

    def valid_links(self) -> dict[str, Any]:
        """The links that passed validation; None leaves a link unchanged."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: (cleaned[name] if name in cleaned and name not in self.errors else None)
            for name in ("goals", "referrals", "collaterals")
        }


class AddendumForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of addendum"), choices=AddendumKind.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why the note needs this, e.g. “wrong date of the appointment”."),
    )
    text = forms.CharField(
        label=_("Addendum"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("It is signed as you add it and can never change."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class CosignForm(forms.Form):
    APPROVE = "approve"
    RETURN = "return"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (APPROVE, CosignStatus.APPROVED.label),
            (RETURN, CosignStatus.RETURNED.label),
        ],
    )
    comment = forms.CharField(
        label=_("Comment for the author"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you return the note: say what the author should add or correct."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == self.APPROVE
