"""Administrators manage people, teams and the agency here. No client record is reachable."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Agency, Team, User
from .services import user_deactivate, user_end_sessions


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("full_name",)
    list_display = (
        "full_name",
        "email",
        "is_case_manager",
        "is_supervisor",
        "is_agency_admin",
        "is_active",
    )
    list_filter = ("is_active", "is_case_manager", "is_supervisor", "is_agency_admin")
    search_fields = ("full_name", "email")
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        (_("Roles"), {"fields": ("is_case_manager", "is_supervisor", "is_agency_admin")}),
        (_("Case notes and time"), {"fields": ("notes_need_cosign", "time_zone")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
        (_("Roles"), {"fields": ("is_case_manager", "is_supervisor", "is_agency_admin")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["deactivate"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_end_sessions(user=obj)

    @admin.action(description=_("Deactivate and end their sessions"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            if user.pk == request.user.pk:
                continue
            user_deactivate(actor=request.user, user=user)  # type: ignore[arg-type]
            count += 1
        messages.success(request, _("%(n)d user(s) deactivated.") % {"n": count})


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "agency")
    filter_horizontal = ("members", "supervisors")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "crisis_line")}),
        (
            _("Service plans"),
            {"fields": ("review_interval_days", "early_review_days", "plan_approval_required")},
        ),
        (
            _("Directory and referrals"),
            {
                "fields": (
                    "stale_directory_days",
                    "provider_response_business_days",
                    "provider_link_days",
                    "fit_review_days",
                )
            },
        ),
        (
            _("Reminders"),
            {
                "fields": (
                    "reminder_lead_days",
                    "reminder_short_lead_days",
                    "escalation_days",
                    "monitoring_contact_days",
                    "release_expiry_warning_days",
                )
            },
        ),
        (_("Crisis"), {"fields": ("crisis_definition", "crisis_action_plan")}),
        (
            _("Case notes"),
            {
                "fields": (
                    "note_deadline_hours",
                    "default_note_format",
                    "notes_cosign_required",
                    "non_person_first_terms",
                    "judgmental_terms",
                    "impression_terms",
                )
            },
        ),
    )
