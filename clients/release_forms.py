"""Forms for releases of information and documents. They check the input; the rules are the
services' (`release_services.release_problems`), shown here beside each field at once."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DateInput
from .models import (
    Client,
    Collateral,
    CollateralRelationship,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleasePurpose,
    SignatureMethod,
    SignerRelationship,
)
from .release_services import STATEMENTS, directory_organizations, release_problems

ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

#: What the client is told before signing, in full, as the case manager confirms it.
STATEMENT_WORDING = {
    "ack_right_to_revoke": _(
        "The client was told they may revoke this release at any time, in writing or in "
        "person, except for information already disclosed while it was in effect, and how "
        "to do so."
    ),
    "ack_no_conditioning": _(
        "The client was told that their services, treatment, payment, enrolment and "
        "eligibility for benefits do not depend on signing this release."
    ),
    "ack_redisclosure": _(
        "The client was told that information disclosed under this release may be disclosed "
        "again by the recipient and may then no longer be protected by federal privacy rules "
        "(substance-use disorder records under 42 CFR Part 2 go with a notice forbidding "
        "redisclosure)."
    ),
}


#: The purpose a release naming a collateral usually has, offered when the form opens.
PURPOSE_FOR_RELATIONSHIP: dict[str, ReleasePurpose] = {
    CollateralRelationship.FAMILY: ReleasePurpose.FAMILY,
    CollateralRelationship.PARTNER: ReleasePurpose.FAMILY,
    CollateralRelationship.GUARDIAN: ReleasePurpose.FAMILY,
    CollateralRelationship.LANDLORD: ReleasePurpose.HOUSING,
    CollateralRelationship.PROBATION: ReleasePurpose.LEGAL,
}


def _field(name: str) -> Any:
    return ReleaseOfInformation._meta.get_field(name)


def _label(name: str) -> str:
    return str(_field(name).verbose_name).capitalize()


class CheckboxChoices(forms.CheckboxSelectMultiple):
    """Checkboxes whose group is addressed by its first box, so the error summary can link
    to the question (the GOV.UK pattern)."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class ReleaseForm(forms.Form):
    discloser = forms.CharField(
        label=_label("discloser"), max_length=200, help_text=_field("discloser").help_text
    )
    recipient_organization_id = forms.ChoiceField(
        label=_("Recipient from the provider directory"),
        required=False,
        help_text=_("Choose the organization if it is in the directory."),
    )
    recipient_collateral = forms.ModelChoiceField(
        label=_("Or one of the client's collaterals"),
        queryset=Collateral.objects.none(),
        required=False,
        empty_label=_("— Not a collateral —"),
        help_text=_("Contact with a collateral about the client needs a release naming them."),
        error_messages={
            "invalid_choice": _("Choose one of this client's collaterals who is still involved.")
        },
    )
    recipient_name = forms.CharField(
        label=_("Or the recipient's name"),
        max_length=300,
        required=False,
        help_text=_("A person or an organization that is not in the directory."),
    )
    recipient_details = forms.CharField(
        label=_label("recipient_details"), max_length=300, required=False
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purposes of the disclosure"),
        choices=ReleasePurpose.choices,
        widget=CheckboxChoices,
        required=False,
    )
    purpose_other = forms.CharField(label=_label("purpose_other"), max_length=300, required=False)
    categories = forms.MultipleChoiceField(
        label=_("Information that may be disclosed"),
        choices=ReleaseCategory.choices,
        widget=CheckboxChoices,
        required=False,
        help_text=_("Psychotherapy notes are never disclosed under a release."),
    )
    category_other = forms.CharField(label=_label("category_other"), max_length=300, required=False)
    effective_on = forms.DateField(label=_label("effective_on"), widget=DateInput())
    expires_on = forms.DateField(label=_label("expires_on"), widget=DateInput(), required=False)
    expiration_event = forms.CharField(
        label=_label("expiration_event"),
        max_length=300,
        required=False,
        help_text=_("For example: when the housing application is decided."),
    )
    signer_name = forms.CharField(label=_label("signer_name"), max_length=200)
    signer_relationship = forms.ChoiceField(
        label=_label("signer_relationship"), choices=SignerRelationship.choices
    )
    signer_authority = forms.CharField(
        label=_label("signer_authority"),
        max_length=300,
        required=False,
        help_text=_field("signer_authority").help_text,
    )
    signature_method = forms.ChoiceField(
        label=_label("signature_method"),
        choices=[("", "---------"), *SignatureMethod.choices],
    )
    signed_on = forms.DateField(label=_label("signed_on"), widget=DateInput())
    ack_right_to_revoke = forms.BooleanField(label=STATEMENT_WORDING["ack_right_to_revoke"])
    ack_no_conditioning = forms.BooleanField(label=STATEMENT_WORDING["ack_no_conditioning"])
    ack_redisclosure = forms.BooleanField(label=STATEMENT_WORDING["ack_redisclosure"])
    scanned_copy = forms.FileField(
        label=_("Scanned copy of the signed release"),
        required=False,
        help_text=_("A PDF, JPEG or PNG file under 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )

    def __init__(
        self, *args: Any, client: Client, collateral: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        organization = cast(forms.ChoiceField, self.fields["recipient_organization_id"])
        organization.choices = [
            ("", _("— Not in the directory: type the name below —")),
            *directory_organizations(),
        ]
        collaterals = cast(forms.ModelChoiceField, self.fields["recipient_collateral"])
        collaterals.queryset = Collateral.objects.filter(client=client, is_active=True).order_by(
            "name", "pk"
        )
        if collateral and collateral.isdigit():
            self._preselect(int(collateral))
        for name in STATEMENTS:
            self.fields[name].error_messages["required"] = _(
                "Confirm the client was told this before recording the release."
            )
        today = timezone.localdate()
        self.initial.setdefault("discloser", client.team.agency.name)
        self.initial.setdefault("signer_name", client.legal_name)
        self.initial.setdefault("signer_relationship", SignerRelationship.SELF)
        self.initial.setdefault("effective_on", today)
        self.initial.setdefault("signed_on", today)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Who discloses, to whom"),
                "discloser",
                _row("recipient_organization_id", "recipient_collateral"),
                "recipient_name",
                "recipient_details",
            ),
            Fieldset(
                _("Why, and what information"),
                _row("purposes", "categories"),
                _row("purpose_other", "category_other"),
            ),
            Fieldset(
                _("How long it lasts"),
                _row("effective_on", "expires_on", "expiration_event"),
            ),
            Fieldset(
                _("Signature"),
                _row("signer_name", "signer_relationship"),
                "signer_authority",
                _row("signature_method", "signed_on"),
            ),
            Fieldset(
                _("What the client was told"),
                HTML(
                    '<p class="form-text">'
                    + str(_("The release is valid only if the client was told all three."))
                    + "</p>"
                ),
                *STATEMENTS,
            ),
            Fieldset(_("The signed paper"), "scanned_copy"),
        )
        self.helper.add_input(Submit("save", _("Record the release")))

    def _preselect(self, collateral_pk: int) -> None:
        """`?collateral=<id>` from the collateral's page: that collateral as the recipient,
        their contact details and the purpose of talking with them filled in."""
        collateral = (
            Collateral.objects.filter(client=self.client, is_active=True, pk=collateral_pk)
        ).first()
        if collateral is None:
            return
        self.initial["recipient_collateral"] = collateral.pk
        details = ", ".join(
            part for part in (collateral.organization, collateral.phone, collateral.email) if part
        )
        if details:
            self.initial.setdefault("recipient_details", details[:300])
        purpose = PURPOSE_FOR_RELATIONSHIP.get(collateral.relationship, ReleasePurpose.COORDINATION)
        self.initial.setdefault("purposes", [purpose])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problems = release_problems(cleaned, cleaned.get("scanned_copy"), client=self.client)
        for field, messages in problems.items():
            if field in self.errors:
                continue
            self.add_error(field if field in self.fields else None, messages)
        return cleaned


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("Date the client revoked it"), widget=DateInput())
    revocation_method = forms.CharField(
        label=_("How the client revoked it"),
        max_length=200,
        help_text=_("In writing, by phone, in person… Attach a written revocation as a document."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("revoked_on", timezone.localdate())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("revoke", _("Revoke the release"), css_class="btn-danger"))


class EventEndedForm(forms.Form):
    note = forms.CharField(
        label=_("What happened, and when"),
        max_length=80,
        help_text=_("For example: housing application approved on 3 March."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(
            Submit("ended", _("Mark the release as ended"), css_class="btn-outline-secondary")
        )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(
        label=_("Information it holds"),
        choices=ReleaseCategory.choices,
        initial=ReleaseCategory.GENERAL,
        help_text=_("Decides which releases allow it to be shared."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, JPEG or PNG file under 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("upload", _("Upload")))
