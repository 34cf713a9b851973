"""The form for a collateral. It checks the input; the rules are the services'
(`collateral_services.collateral_problems`), shown here beside each field at once."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .collateral_services import COLLATERAL_FIELDS, collateral_problems
from .models import Collateral, CollateralRelationship


def _row(*fields: str) -> Div:
    return Div(*[Div(f, css_class="col-md") for f in fields], css_class="row")


class CollateralForm(forms.ModelForm[Collateral]):
    class Meta:
        model = Collateral
        fields = COLLATERAL_FIELDS
        widgets = {
            "relationship": forms.Select(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "best_way_to_reach": _("For example: mobile after 5 pm; text first; office hours."),
            "is_emergency_contact": _("Someone to call if the client is in danger."),
            "notes": _(
                "What they do for the client. Facts only; the client's information is shared "
                "with them only under a release."
            ),
        }

    def __init__(self, *args: Any, submit_label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relationship = self.fields["relationship"]
        relationship.choices = [("", "---------"), *CollateralRelationship.choices]  # type: ignore[attr-defined]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Who they are"),
                _row("name", "organization"),
                _row("relationship", "relationship_detail"),
            ),
            Fieldset(
                _("How to reach them"),
                _row("phone", "email"),
                "address",
                "best_way_to_reach",
                "is_emergency_contact",
            ),
            Fieldset(_("Notes"), "notes"),
        )
        self.helper.add_input(Submit("save", submit_label or _("Save")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, messages in collateral_problems(cleaned).items():
            if field in self.errors:
                continue
            self.add_error(field if field in self.fields else None, messages)
        return cleaned
