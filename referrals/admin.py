"""Administrators maintain the provider directory here: organizations, their services (with
locations, phones, contacts and hours), locations and service categories. Nothing holding
client data (referrals, their events, provider links) is registered: administrators see no
client record."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import User
from clients.models import PayerType

from .models import (
    Accessibility,
    Address,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .services.directory import service_search_vectors_refresh, service_verify

# Directory rows keep HSDS ids (UUIDs without a default): a row added here gets a new uuid4.


class NewIdFormSet(BaseInlineFormSet):
    def save_new(self, form: Any, commit: bool = True) -> Any:
        if form.instance.pk is None:
            form.instance.pk = uuid.uuid4()
        return super().save_new(form, commit=commit)


class NewIdAdmin(admin.ModelAdmin[Any]):
    exclude = ("id",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.pk is None:
            obj.pk = uuid.uuid4()
        super().save_model(request, obj, form, change)


class _Inline(admin.TabularInline[Any, Any]):
    formset = NewIdFormSet
    exclude = ("id",)
    extra = 0


# --- Inlines ------------------------------------------------------------------------------


class ServiceAtLocationInline(_Inline):
    model = ServiceAtLocation
    fields = ("location", "description")
    autocomplete_fields = ("location",)
    verbose_name = _("location where it is offered")
    verbose_name_plural = _("locations where it is offered")


class ServicePhoneInline(_Inline):
    model = Phone
    fk_name = "service"
    fields = ("number", "extension", "type", "description", "languages")


class ServiceContactInline(_Inline):
    model = Contact
    fk_name = "service"
    fields = ("name", "title", "department", "email")


class ServiceScheduleInline(_Inline):
    model = Schedule
    fk_name = "service"
    fields = ("byday", "opens_at", "closes_at", "description", "notes", "valid_from", "valid_to")


class OrganizationPhoneInline(_Inline):
    model = Phone
    fk_name = "organization"
    fields = ("number", "extension", "type", "description", "languages")


class OrganizationContactInline(_Inline):
    model = Contact
    fk_name = "organization"
    fields = ("name", "title", "department", "email")


class AddressInline(_Inline):
    model = Address
    fields = (
        "address_1",
        "address_2",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    )


class AccessibilityInline(_Inline):
    model = Accessibility
    fields = ("description", "details", "url")


class LocationScheduleInline(_Inline):
    model = Schedule
    fk_name = "location"
    fields = ("byday", "opens_at", "closes_at", "description", "notes")


# --- Organizations ------------------------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(NewIdAdmin):
    list_display = ("name", "is_internal", "service_count", "last_modified")
    list_filter = ("is_internal",)
    search_fields = ("name", "alternate_name")
    readonly_fields = ("last_modified",)
    inlines = (OrganizationPhoneInline, OrganizationContactInline)
    fieldsets = (
        (None, {"fields": ("name", "alternate_name", "is_internal", "description")}),
        (_("Contact"), {"fields": ("email", "website")}),
        (
            _("Legal"),
            {
                "classes": ("collapse",),
                "fields": ("tax_status", "tax_id", "year_incorporated", "legal_status"),
            },
        ),
        (None, {"fields": ("last_modified",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).annotate(service_total=Count("services"))

    @admin.display(description=_("services"), ordering="service_total")
    def service_count(self, obj: Organization) -> int:
        return int(getattr(obj, "service_total", 0))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"name", "alternate_name"} & set(form.changed_data):
            # The organization's names are part of each of its services' search text.
            service_search_vectors_refresh(
                service_ids=list(obj.services.values_list("pk", flat=True))
            )


# --- Services -----------------------------------------------------------------------------


class ServiceAdminForm(forms.ModelForm[Service]):
    payers_accepted = forms.MultipleChoiceField(
        label=_("Payers accepted"),
        required=False,
        choices=PayerType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked when not known."),
    )

    class Meta:
        model = Service
        # The admin's fieldsets decide the fields; this form only changes one widget.
        fields = ("payers_accepted",)


@admin.register(Service)
class ServiceAdmin(NewIdAdmin):
    form = ServiceAdminForm
    list_display = (
        "name",
        "organization",
        "status",
        "accepting_new_clients",
        "wait_time_days",
        "last_verified_on",
    )
    list_filter = ("status", "accepting_new_clients", "organization__is_internal")
    list_select_related = ("organization",)
    search_fields = ("name", "alternate_name", "organization__name")
    autocomplete_fields = ("organization",)
    filter_horizontal = ("categories",)
    readonly_fields = ("last_verified_on", "last_verified_by", "last_modified")
    inlines = (
        ServiceAtLocationInline,
        ServicePhoneInline,
        ServiceContactInline,
        ServiceScheduleInline,
    )
    actions = ("verify_today",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "organization",
                    "name",
                    "alternate_name",
                    "status",
                    "description",
                    ("url", "email"),
                    "alert",
                )
            },
        ),
        (
            _("Availability"),
            {"fields": ("accepting_new_clients", "wait_time_days", "wait_time", "capacity_note")},
        ),
        (
            _("Who it serves"),
            {
                "fields": (
                    "eligibility_description",
                    ("minimum_age", "maximum_age"),
                    "languages",
                    "interpretation_services",
                    "payers_accepted",
                    "fees_description",
                )
            },
        ),
        (_("Applying"), {"fields": ("application_process", "required_documents")}),
        (_("Categories"), {"fields": ("categories",)}),
        (
            _("Verification"),
            {
                "fields": ("last_verified_on", "last_verified_by", "last_modified"),
                "description": _(
                    "Record a verification with the provider on the service's directory page."
                ),
            },
        ),
        (_("Accreditation"), {"classes": ("collapse",), "fields": ("accreditations", "licenses")}),
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        service_search_vectors_refresh(service_ids=[form.instance.pk])

    @admin.action(description=_("Verified with the provider today"))
    def verify_today(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        actor = request.user
        if not isinstance(actor, User):
            return
        count = 0
        try:
            for service in queryset:
                service_verify(actor=actor, service=service)
                count += 1
        except PermissionDenied as error:
            messages.error(request, str(error))
            return
        messages.success(request, _("%(n)d service(s) marked verified today.") % {"n": count})


# --- Locations ----------------------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(NewIdAdmin):
    list_display = ("__str__", "organization", "location_type")
    list_filter = ("location_type",)
    list_select_related = ("organization",)
    search_fields = ("name", "alternate_name", "organization__name", "addresses__city")
    autocomplete_fields = ("organization",)
    inlines = (AddressInline, AccessibilityInline, LocationScheduleInline)


# --- Categories ---------------------------------------------------------------------------


@admin.register(Taxonomy)
class TaxonomyAdmin(NewIdAdmin):
    list_display = ("name", "version", "uri")
    search_fields = ("name",)


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(NewIdAdmin):
    list_display = ("name", "code", "parent", "taxonomy")
    list_filter = ("taxonomy",)
    list_select_related = ("parent", "taxonomy")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent", "taxonomy")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            service_search_vectors_refresh(
                service_ids=list(obj.services.values_list("pk", flat=True))
            )
