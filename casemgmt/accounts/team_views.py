"""Team pages for agency administrators: the list with its counts, creating a team, and
changing its name, case managers and supervisors. Anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from casemgmt.forms import add_service_error

from . import selectors, staff_services
from .models import Team
from .staff_forms import TeamForm
from .staff_views import admin_and_agency, reassign_links


@require_safe
def team_list(request: HttpRequest) -> HttpResponse:
    _admin, agency = admin_and_agency(request)
    return render(
        request,
        "accounts/team_list.html",
        {"agency": agency, "teams": list(selectors.team_list(agency))},
    )


@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    admin, agency = admin_and_agency(request)
    form = TeamForm(request.POST or None, agency=agency, team=None, submit_label=_("Create team"))
    if request.method == "POST" and form.is_valid():
        try:
            team = staff_services.team_create(actor=admin, agency=agency, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The team %(name)s is created.") % {"name": team.name})
            return redirect("accounts:team_list")
    return render(
        request,
        "accounts/team_form.html",
        {"form": form, "agency": agency, "title": _("New team")},
    )


@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin, agency = admin_and_agency(request)
    team = get_object_or_404(Team.objects.filter(agency=agency), pk=pk)
    form = TeamForm(
        request.POST or None,
        initial=TeamForm.initial_for(team),
        agency=agency,
        team=team,
        submit_label=_("Save changes"),
    )
    links: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = staff_services.team_update(actor=admin, team=team, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
            links = reassign_links(error)
        else:
            messages.success(request, _("The team %(name)s is saved.") % {"name": saved.name})
            return redirect("accounts:team_list")
    return render(
        request,
        "accounts/team_form.html",
        {
            "form": form,
            "agency": agency,
            "team": team,
            "reassign": links,
            "title": _("Team: %(name)s") % {"name": team.name},
        },
    )
