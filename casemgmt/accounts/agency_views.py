"""The agency settings page, for administrators who are not Django staff."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casemgmt.forms import add_service_error

from .agency_forms import AgencySettingsForm
from .models import Agency, User
from .policy import AnyUser
from .selectors import agency_for_user
from .services import agency_settings_update


def agency_admin_or_404(user: AnyUser) -> User:
    """The settings page exists only for active agency administrators."""
    if not isinstance(user, User) or not user.is_active or not user.is_agency_admin:
        raise Http404
    return user


def agency_for_admin(user: User) -> Agency:
    """The administrator's agency (selectors.agency_for_user); 404 when there is none."""
    agency = agency_for_user(user)
    if agency is None:
        raise Http404
    return agency


@require_http_methods(["GET", "POST"])
def agency_settings(request: HttpRequest) -> HttpResponse:
    admin = agency_admin_or_404(request.user)
    agency = agency_for_admin(admin)
    form = AgencySettingsForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields}
        try:
            agency_settings_update(actor=admin, agency=agency, data=data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The agency settings are saved."))
            return redirect("accounts:agency_settings")
    return render(
        request,
        "accounts/agency_settings.html",
        {"form": form, "agency": agency},
    )
