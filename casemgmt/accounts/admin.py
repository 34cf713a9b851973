"""Administrators manage people, teams and the agency here. No client record is reachable."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .agency_forms import AGENCY_SECTIONS
from .models import Agency, Team, User
from .staff_services import (
    CaseloadNotEmpty,
    can_manage_staff,
    staff_deactivate,
    staff_deactivation_check,
)


def _with_reassign_address(error: ValidationError) -> list[str]:
    """The refusal's words, and for a caseload the address of its reassignment page."""
    texts = list(error.messages)
    if isinstance(error, CaseloadNotEmpty):
        try:
            base = reverse("clients:reassign")
        except NoReverseMatch:
            return texts
        for user, _count in error.holders:
            texts.append(_("Reassignment page: %(url)s") % {"url": f"{base}?from_user={user.pk}"})
    return texts


class StaffChangeForm(UserChangeForm[User]):
    """The admin's user form keeps the rules of the Staff pages: unticking "active" or "case
    manager" is refused while the person holds active clients, nobody deactivates themselves,
    and the last active administrator stays one."""

    actor: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, actor = self.instance, self.actor
        if user.pk is None or actor is None:
            return cleaned
        # The instance still holds the saved values here; cleaned_data holds the new ones.
        if user.is_active and cleaned.get("is_active") is False:
            if not can_manage_staff(actor):
                self.add_error("is_active", _("Only an administrator can deactivate staff."))
            else:
                try:
                    staff_deactivation_check(actor=actor, user=user)
                except ValidationError as error:
                    self.add_error("is_active", _with_reassign_address(error))
        if user.is_case_manager and cleaned.get("is_case_manager") is False:
            count = selectors.active_client_count(user)
            if count:
                refusal = CaseloadNotEmpty([(user, count)])
                self.add_error("is_case_manager", _with_reassign_address(refusal))
        if (
            user.is_agency_admin
            and user.is_active
            and cleaned.get("is_agency_admin") is False
            and selectors.active_admin_count() <= 1
        ):
            self.add_error(
                "is_agency_admin",
                _("%(name)s is the only active administrator; name another one first.")
                % {"name": user},
            )
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffChangeForm
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
        (
            gettext_lazy("Roles"),
            {"fields": ("is_case_manager", "is_supervisor", "is_agency_admin")},
        ),
        (gettext_lazy("Case notes and time"), {"fields": ("notes_need_cosign", "time_zone")}),
        (gettext_lazy("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (gettext_lazy("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
        (
            gettext_lazy("Roles"),
            {"fields": ("is_case_manager", "is_supervisor", "is_agency_admin")},
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ["deactivate"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[User]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if change and issubclass(form, StaffChangeForm):
            return type(form.__name__, (form,), {"actor": request.user})
        return form

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if not deactivating:
            super().save_model(request, obj, form, change)
            return
        # Save the other changes, then deactivate through the service (the form has checked
        # its rules): sessions end, the API token goes, and the history says why.
        obj.is_active = True
        super().save_model(request, obj, form, change)
        staff_deactivate(actor=request.user, user=obj)  # type: ignore[arg-type]
        obj.is_active = False

    @admin.action(description=gettext_lazy("Deactivate and end their sessions"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            try:
                staff_deactivate(actor=request.user, user=user)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as error:
                reasons = (
                    _with_reassign_address(error)
                    if isinstance(error, ValidationError)
                    else [str(error) or _("You may not deactivate staff.")]
                )
                messages.error(request, f"{user}: {' '.join(reasons)}")
            else:
                count += 1
        if count:
            messages.success(request, _("%(n)d user(s) deactivated.") % {"n": count})


class TeamAdminForm(forms.ModelForm[Team]):
    """As on the Teams page: a case manager leaves a team once its clients are reassigned."""

    class Meta:
        model = Team
        fields = ("agency", "name", "members", "supervisors")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None or "members" not in cleaned:
            return cleaned
        kept = {user.pk for user in cleaned["members"]}
        removed = [user for user in self.instance.members.all() if user.pk not in kept]
        held = selectors.active_clients_on_team(self.instance, [user.pk for user in removed])
        if held:
            refusal = CaseloadNotEmpty(
                [(user, held[user.pk]) for user in removed if user.pk in held],
                field="members",
                team=self.instance.name,
            )
            self.add_error("members", _with_reassign_address(refusal))
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    form = TeamAdminForm
    list_display = ("name", "agency")
    filter_horizontal = ("members", "supervisors")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ("name",)
    # The same sections as the in-app page (agency_forms.AGENCY_SECTIONS).
    fieldsets = tuple(
        (None if index == 0 else legend, {"fields": names})
        for index, (legend, names) in enumerate(AGENCY_SECTIONS)
    )
