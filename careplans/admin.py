"""Administrators define standardized measures here, as data: items with their answer options,
and severity bands. No client record (assessments, measures answered, plans) is registered:
administrators see no client record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Instrument, InstrumentItem, MeasureAdministration, SeverityBand
from .services.measures import BandSpec, ItemSpec, instrument_validate, options_validate

OPTIONS_HELP = _(
    'The answers the client chooses from, as JSON: [{"value": 0, "label": "Not at all"}, '
    '{"value": 1, "label": "Several days"}]. The total score is the sum of the values.'
)


class _LinkedFormSet(BaseInlineFormSet):
    """An instrument's inline formsets see each other (through `siblings`, shared for one
    request), so the bands can be checked against the items' highest possible total."""

    role = ""

    def __init__(self, *args: Any, siblings: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.siblings = siblings if siblings is not None else {}
        self.siblings[self.role] = self

    def kept_forms(self) -> list[forms.BaseForm]:
        """Forms that will be saved: filled in and not marked for deletion."""
        return [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]


class ItemFormSet(_LinkedFormSet):
    role = "items"


class BandFormSet(_LinkedFormSet):
    role = "bands"

    def clean(self) -> None:
        super().clean()
        items = self.siblings.get("items")
        if items is None or any(form.errors for form in self.forms) or not items.is_valid():
            return
        try:
            instrument_validate(
                items=[
                    ItemSpec(
                        number=form.cleaned_data["number"],
                        options=form.cleaned_data["options"],
                        safety_threshold=form.cleaned_data.get("safety_threshold"),
                    )
                    for form in items.kept_forms()
                ],
                bands=[
                    BandSpec(
                        min_score=form.cleaned_data["min_score"],
                        max_score=form.cleaned_data["max_score"],
                        label=form.cleaned_data["label"],
                    )
                    for form in self.kept_forms()
                ],
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class ItemForm(forms.ModelForm[InstrumentItem]):
    class Meta:
        model = InstrumentItem
        fields = ("number", "text", "loinc", "options", "safety_threshold")
        widgets = {"options": forms.Textarea(attrs={"rows": 3, "cols": 60})}
        help_texts = {"options": OPTIONS_HELP}

    def clean_options(self) -> list[dict[str, Any]]:
        return options_validate(self.cleaned_data.get("options"))


class ItemInline(admin.TabularInline[InstrumentItem, Instrument]):
    model = InstrumentItem
    form = ItemForm
    formset = ItemFormSet
    extra = 0
    ordering = ("number",)


class BandInline(admin.TabularInline[SeverityBand, Instrument]):
    model = SeverityBand
    formset = BandFormSet
    extra = 0
    ordering = ("min_score",)


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin[Instrument]):
    list_display = ("name", "code", "loinc_total", "item_count", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "loinc_total")
    prepopulated_fields = {"code": ("name",)}
    inlines = (ItemInline, BandInline)
    fieldsets = (
        (
            None,
            {
                "fields": ("name", "code", "loinc_total", "is_active"),
                "description": _(
                    "Changing the items of a measure that has been administered changes how "
                    "past answers read. To change a measure in use, add a new one (a new code) "
                    "and stop offering the old one."
                ),
            },
        ),
        (_("What the client is told"), {"fields": ("description", "instructions")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Instrument]:
        return super().get_queryset(request).annotate(number_of_items=Count("items"))

    @admin.display(description=_("items"), ordering="number_of_items")
    def item_count(self, obj: Instrument) -> int:
        return int(getattr(obj, "number_of_items", 0))

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        kwargs["siblings"] = request.__dict__.setdefault("_instrument_formsets", {})
        return kwargs

    def has_delete_permission(self, request: HttpRequest, obj: Instrument | None = None) -> bool:
        """A measure that has been administered stays (the answers refer to it): stop offering
        it instead. Deleting would also list clients' answers, which admins do not see."""
        if obj is not None and MeasureAdministration.objects.filter(instrument=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
