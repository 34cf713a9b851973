"""Forms for the provider directory: browsing, searching with a client, and the
administrator's edit, verify and add forms. They validate input only; the rules live in
referrals.services.directory."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client, PayerType

from ..directory_selectors import category_choices
from ..models import Organization, Service, TaxonomyTerm
from ..services.directory import (
    ORGANIZATION_FIELDS,
    SERVICE_DESCRIPTION_FIELDS,
    SERVICE_REFERRAL_FIELDS,
)

MAX_WAIT_DAYS = 3650


def _helper(*layout: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout:
        helper.layout = Layout(*layout)
    return helper


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class ListField(forms.CharField):
    """A list typed as text, one item per line or separated by the delimiter; blank items
    and repeats are dropped."""

    def __init__(self, *, delimiter: str = ",", **kwargs: Any) -> None:
        self.delimiter = delimiter
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            joiner = "\n" if self.delimiter == "\n" else f"{self.delimiter} "
            return joiner.join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            parts = [str(v) for v in value]
        else:
            text = super().to_python(value) or ""
            parts = text.replace("\r", "").split(self.delimiter)
        seen: set[str] = set()
        kept: list[str] = []
        for part in parts:
            item = part.strip()
            if item and item.casefold() not in seen:
                seen.add(item.casefold())
                kept.append(item)
        return kept

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _term_label(term: TaxonomyTerm) -> str:
    """A category with its parent, e.g. "Housing / Rental assistance"."""
    return f"{term.parent.name} / {term.name}" if term.parent_id and term.parent else term.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _term_label(cast(TaxonomyTerm, obj))


class CategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _term_label(cast(TaxonomyTerm, obj))


# --- Reading --------------------------------------------------------------------------------


class DirectoryBrowseForm(forms.Form):
    SERVICES = "services"
    ORGANIZATIONS = "organizations"

    q = forms.CharField(
        label=_("Search the directory"),
        required=False,
        max_length=200,
        help_text=_("A service, an organization or a kind of help, e.g. food pantry."),
    )
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(SERVICES, _("Services")), (ORGANIZATIONS, _("Organizations"))],
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=TaxonomyTerm.objects.none(),
        required=False,
        empty_label=_("Any category"),
    )
    include_inactive = forms.BooleanField(
        label=_("Include closed and inactive services"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CategoryChoiceField, self.fields["category"]).queryset = category_choices()


class InternalChoice:
    ANY = ""
    INTERNAL = "internal"
    EXTERNAL = "external"


class ProviderSearchForm(forms.Form):
    """Narrowing the provider list with the client. With a client, the filters start from
    the client's language, age, payer and city (`filtered` tells a first visit apart from a
    search where the case manager cleared a filter)."""

    q = forms.CharField(
        label=_("What help is the client looking for?"),
        required=False,
        max_length=200,
        help_text=_("e.g. rental assistance, counseling for teens. Results update as you type."),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=TaxonomyTerm.objects.none(),
        required=False,
        empty_label=_("Any category"),
    )
    language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "known-languages", "autocomplete": "off"}),
    )
    fits_age = forms.BooleanField(label=_("Serves the client's age"), required=False)
    payer = forms.ChoiceField(
        label=_("Accepts payer"),
        required=False,
        choices=[("", _("Any payer")), *PayerType.choices],
        help_text=_("Services that list no payers stay in the list, marked as not known."),
    )
    accepting_only = forms.BooleanField(label=_("Accepting new clients"), required=False)
    max_wait_days = forms.IntegerField(
        label=_("Longest wait (days)"),
        required=False,
        min_value=0,
        max_value=MAX_WAIT_DAYS,
        help_text=_("Services whose wait is not verified drop out."),
    )
    internal = forms.ChoiceField(
        label=_("Provider"),
        required=False,
        choices=[
            (InternalChoice.ANY, _("Our programs and other agencies")),
            (InternalChoice.INTERNAL, _("Our own programs only")),
            (InternalChoice.EXTERNAL, _("Other agencies only")),
        ],
    )
    place = forms.CharField(label=_("City or ZIP code"), required=False, max_length=100)
    filtered = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, client: Client | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        cast(CategoryChoiceField, self.fields["category"]).queryset = category_choices()
        if client is None:
            del self.fields["fits_age"]

    @staticmethod
    def client_defaults(client: Client) -> dict[str, str]:
        """The filters a search with the client starts from."""
        return {
            "language": client.primary_language,
            "fits_age": "on",
            "payer": client.payer_type,
            "place": client.city,
        }

    def search_filters(self) -> dict[str, Any]:
        """Keyword arguments for `search_services` from the fields that are valid."""
        data = getattr(self, "cleaned_data", {})
        internal = data.get("internal")
        return {
            "q": data.get("q") or "",
            "category": data.get("category"),
            "language": data.get("language") or None,
            "client": self.client,
            "fits_age": bool(data.get("fits_age")),
            "payer": data.get("payer") or None,
            "accepting_only": bool(data.get("accepting_only")),
            "max_wait_days": data.get("max_wait_days"),
            "internal": {InternalChoice.INTERNAL: True, InternalChoice.EXTERNAL: False}.get(
                internal or ""
            ),
            "place": data.get("place") or None,
        }


# --- Administrators -------------------------------------------------------------------------


class ServiceEditForm(forms.ModelForm[Service]):
    """What a referral depends on, as an administrator keeps it up to date."""

    languages = ListField(
        label=_("Languages"),
        max_length=1000,
        help_text=_("Languages staff speak with clients, separated by commas."),
    )
    required_documents = ListField(
        label=_("Documents to bring"),
        delimiter="\n",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    payers_accepted = forms.MultipleChoiceField(
        label=_("Payers accepted"),
        required=False,
        choices=PayerType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked when not known."),
    )
    categories = CategoriesField(
        label=_("Categories"),
        required=False,
        queryset=TaxonomyTerm.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Service
        fields: tuple[str, ...] = (*SERVICE_REFERRAL_FIELDS, "categories")
        widgets = {
            "capacity_note": forms.Textarea(attrs={"rows": 2}),
            "eligibility_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            CategoriesField, self.fields["categories"]
        ).queryset = TaxonomyTerm.objects.select_related("parent").order_by("name", "pk")
        self.helper = _helper(*self.layout())

    def layout(self) -> list[Any]:
        return [
            Fieldset(
                _("Availability"),
                _row("status", "accepting_new_clients"),
                _row("wait_time_days"),
                "capacity_note",
            ),
            Fieldset(
                _("Who it serves"),
                _row("minimum_age", "maximum_age"),
                "eligibility_description",
                "languages",
                "payers_accepted",
            ),
            Fieldset(_("Applying"), "required_documents", "categories"),
        ]


class OrganizationInternalForm(forms.Form):
    is_internal = forms.BooleanField(
        label=_("This organization is one of our own programs"),
        required=False,
        help_text=_(
            "Referrals to the agency's own programs are internal referrals. "
            "This applies to every service of the organization."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "organization")
        super().__init__(*args, **kwargs)
        self.helper = _helper(Fieldset(_("The organization"), "is_internal"))


class ServiceCreateForm(ServiceEditForm):
    class Meta(ServiceEditForm.Meta):
        fields = (
            "organization",
            *SERVICE_DESCRIPTION_FIELDS,
            *SERVICE_REFERRAL_FIELDS,
            "categories",
        )
        widgets = {
            **ServiceEditForm.Meta.widgets,
            "description": forms.Textarea(attrs={"rows": 3}),
            "application_process": forms.Textarea(attrs={"rows": 2}),
            "fees_description": forms.Textarea(attrs={"rows": 2}),
            "interpretation_services": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = cast(forms.ModelChoiceField, self.fields["organization"])
        organization.queryset = Organization.objects.order_by("name", "pk")

    def layout(self) -> list[Any]:
        return [
            Fieldset(
                _("The service"),
                "organization",
                _row("name", "alternate_name"),
                "description",
                _row("url", "email"),
                "application_process",
                "fees_description",
                "interpretation_services",
            ),
            *super().layout(),
        ]


class OrganizationForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _row("name", "alternate_name"), "description", _row("email", "website"), "is_internal"
        )


class VerifyForm(forms.Form):
    """Verified with the provider today; a field left empty keeps what is recorded."""

    wait_time_days = forms.IntegerField(
        label=_("Wait time (days) the provider gave"),
        required=False,
        min_value=0,
        max_value=MAX_WAIT_DAYS,
    )
    accepting_new_clients = forms.TypedChoiceField(
        label=_("Accepting new clients?"),
        required=False,
        choices=[("", _("As recorded")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    capacity_note = forms.CharField(
        label=_("What they said about capacity"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, service: Service | None = None, **kwargs: Any) -> None:
        if service is not None and not args and "data" not in kwargs:
            kwargs.setdefault(
                "initial",
                {
                    "wait_time_days": service.wait_time_days,
                    "accepting_new_clients": "yes" if service.accepting_new_clients else "no",
                },
            )
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row("wait_time_days", "accepting_new_clients"), "capacity_note")
