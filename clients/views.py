"""Client pages: caseloads, intake, the fact sheet, episodes of care, change history."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts import policy
from casemgmt.audit.models import AccessAction
from casemgmt.audit.selectors import history_entries
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error

from . import selectors, services
from .forms import ClientEditForm, DischargeForm, IntakeForm, ReenrolForm
from .models import Client, ClientStatus
from .permissions import can_change_client, can_read_client_history
from .reassignment_services import can_reassign

PAGE_SIZE = 25


def _caseload_page(
    request: HttpRequest, *, title: str, rows: Any, scope: str, teams: Any = ()
) -> HttpResponse:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "teams": teams,
        "team": request.GET.get("team", ""),
        "title": title,
        "scope": scope,
        "page": page,
        "search": request.GET.get("q", ""),
        "status": request.GET.get("status", ""),
        "sort": request.GET.get("sort", selectors.DEFAULT_SORT),
        "statuses": ClientStatus.choices,
        "sort_options": selectors.SORT_LABELS,
    }
    template = "clients/caseload.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET"])
def my_caseload(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    rows = selectors.my_caseload(
        user,
        search=request.GET.get("q", ""),
        status=request.GET.get("status", ""),
        sort=request.GET.get("sort", selectors.DEFAULT_SORT),
    )
    return _caseload_page(request, title=_("My caseload"), rows=rows, scope="mine")


@require_http_methods(["GET"])
def team_caseload(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    team = request.GET.get("team", "")
    rows = selectors.team_caseload(
        user,
        search=request.GET.get("q", ""),
        status=request.GET.get("status", ""),
        sort=request.GET.get("sort", selectors.DEFAULT_SORT),
        team_id=int(team) if team.isdigit() else None,
    )
    teams = policy.assignable_teams(user)
    return _caseload_page(
        request,
        title=_("Team caseload"),
        rows=rows,
        scope="team",
        teams=teams if len(teams) > 1 else (),
    )


@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    form = IntakeForm(request.POST or None, user=user)
    duplicates: list[services.PossibleDuplicate] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = services.client_possible_duplicates(
            actor=user,
            legal_first_name=data["legal_first_name"],
            legal_last_name=data["legal_last_name"],
            date_of_birth=data["date_of_birth"],
            member_id=data.get("member_id", ""),
        )
        if not duplicates or data.get("confirm_not_duplicate"):
            try:
                client = services.client_intake(actor=user, data=data)
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as error:
                form.add_error("team", str(error))
            else:
                messages.success(
                    request,
                    _("%(name)s is enrolled as %(number)s.")
                    % {"name": client.display_name, "number": client.record_number},
                )
                return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/intake.html", {"form": form, "duplicates": duplicates})


@require_http_methods(["GET"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    today = timezone.localdate()
    return render(
        request,
        "clients/detail.html",
        {
            "client": client,
            "age": client.age_on(today),
            "can_change": can_change_client(user, client),
            "can_read_history": can_read_client_history(user, client),
            "discharge_form": DischargeForm(initial={"discharged_on": today}),
            "reenrol_form": ReenrolForm(initial={"enrolled_on": today}),
            "open_episode": next((e for e in client.episodes.all() if e.is_open), None),
            "can_reassign": can_reassign(user, client),
            "reassignments": client.reassignments.select_related(
                "from_case_manager", "to_case_manager", "reassigned_by"
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    if not can_change_client(user, client):
        raise PermissionDenied(_("You can read this record but not change it."))
    conflict: services.StaleVersionError | None = None
    if request.method == "POST":
        form = ClientEditForm(request.POST, instance=client, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.client_update(
                    actor=user,
                    client=client,
                    data=data,
                    expected_version=data["version"],
                    reason=data.get("reason", ""),
                )
            except services.StaleVersionError as stale:
                conflict = stale
                # Keep what the user typed; the next save is checked against the new version.
                form = ClientEditForm(
                    {**request.POST.dict(), "version": stale.current.version},
                    instance=copy.copy(stale.current),
                    user=user,
                )
                form.is_valid()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The fact sheet is saved."))
                return redirect("clients:detail", pk=client.pk)
    else:
        form = ClientEditForm(instance=client, initial={"version": client.version}, user=user)
    conflict_rows = []
    if conflict is not None:
        for name in conflict.changed_fields:
            if name in form.fields:
                bound = form[name]
                field = Client._meta.get_field(name)
                current = conflict.current
                display = getattr(current, f"get_{name}_display", None)
                conflict_rows.append(
                    {
                        "label": bound.label,
                        "theirs": display() if callable(display) else getattr(current, name),
                        "yours": bound.value(),
                        "field": field.name,
                    }
                )
    return render(
        request,
        "clients/edit.html",
        {
            "client": client,
            "form": form,
            "conflict": conflict,
            "conflict_rows": conflict_rows,
        },
    )


@require_POST
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    form = DischargeForm(request.POST)
    if form.is_valid():
        try:
            services.episode_discharge(
                actor=user,
                client=client,
                discharged_on=form.cleaned_data["discharged_on"],
                reason=form.cleaned_data["discharge_reason"],
                plan=form.cleaned_data["discharge_plan"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is discharged.") % {"name": client.display_name})
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/episode_form.html",
        {
            "client": client,
            "form": form,
            "action": "discharge",
            "title": _("Discharge"),
        },
        status=400,
    )


@require_POST
def reenrol(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    form = ReenrolForm(request.POST)
    if form.is_valid():
        try:
            services.episode_reenrol(
                actor=user, client=client, enrolled_on=form.cleaned_data["enrolled_on"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("%(name)s is enrolled again.") % {"name": client.display_name}
            )
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/episode_form.html",
        {
            "client": client,
            "form": form,
            "action": "reenrol",
            "title": _("Re-enrol"),
        },
        status=400,
    )


@require_http_methods(["GET"])
def history(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    if not can_read_client_history(user, client):
        raise PermissionDenied(_("Only the team's supervisors read a record's change history."))
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.HISTORY, request=request)
    return render(
        request,
        "clients/history.html",
        {
            "client": client,
            "entries": history_entries(client),
            "episode_entries": [
                (episode, history_entries(episode)) for episode in client.episodes.all()
            ],
        },
    )


@require_POST
def safety_flag_resolve(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    flag = get_object_or_404(client.safety_flags.all(), pk=flag_pk)
    try:
        services.safety_flag_resolve(
            actor=user, flag=flag, follow_up=request.POST.get("follow_up", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The safety follow-up is recorded."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("clients:detail", args=[client.pk])
    return redirect(back)
