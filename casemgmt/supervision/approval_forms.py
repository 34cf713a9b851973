"""The inline decision on one item of the approvals queue."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .approvals import Decision


class ApprovalForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when you return an item: say what needs to change."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == Decision.RETURN and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Say what needs to change before returning it."))
        return cleaned
