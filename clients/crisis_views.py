"""The client's Crisis tab: crisis events the case manager responded to, recording one with
the agency's crisis definition, action plan and crisis line in view, and closing it once the
follow-up is done. An open event flags the client on every page (the client header)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casemgmt.accounts.models import Agency, User
from casemgmt.forms import add_service_error

from . import crisis_services as services
from .crisis_forms import CrisisCloseForm, CrisisEventForm
from .models import Client, CrisisAction, CrisisEvent
from .permissions import can_change_client
from .view_helpers import clinician_and_client, log_view, require_writer


def action_labels(values: list[str]) -> list[str]:
    return [str(CrisisAction(v).label) if v in CrisisAction.values else v for v in values]


@require_http_methods(["GET"])
def crisis_list(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    log_view(request, user, client)
    return render(
        request,
        "clients/crisis/list.html",
        {
            "client": client,
            "events": list(services.crisis_events_for_client(client)),
            "today": timezone.localdate(),
            "can_change": can_change_client(user, client),
        },
    )


@require_http_methods(["GET", "POST"])
def crisis_new(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    require_writer(user, client)
    form = CrisisEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.crisis_event_record(actor=user, client=client, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "The crisis event is recorded. The client is flagged on every page until "
                    "the follow-up is done."
                ),
            )
            return redirect("clients:crisis_detail", pk=client.pk, event_pk=event.pk)
    return render(
        request,
        "clients/crisis/form.html",
        {"client": client, "form": form, "agency": Agency.for_team(client.team_id)},
    )


def _detail_context(
    user: User, client: Client, event: CrisisEvent, form: CrisisCloseForm | None = None
) -> dict[str, Any]:
    can_change = can_change_client(user, client)
    return {
        "client": client,
        "event": event,
        "actions": action_labels(event.actions),
        "needs_crisis_professional": services.needs_crisis_professional(event),
        "today": timezone.localdate(),
        "can_change": can_change,
        "can_close": can_change and event.is_open,
        "form": form or CrisisCloseForm(),
    }


@require_http_methods(["GET"])
def crisis_detail(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    event = services.crisis_event_for_user(user, client, event_pk)
    log_view(request, user, client)
    return render(request, "clients/crisis/detail.html", _detail_context(user, client, event))


@require_http_methods(["GET", "POST"])
def crisis_close(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    event = services.crisis_event_for_user(user, client, event_pk)
    require_writer(user, client)
    form = CrisisCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.crisis_event_close(
                actor=user, event=event, closing_note=form.cleaned_data["closing_note"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The follow-up is recorded and the crisis event closed."))
            return redirect("clients:crisis_detail", pk=client.pk, event_pk=event.pk)
    return render(
        request,
        "clients/crisis/close.html",
        _detail_context(user, client, event, form),
    )


urlpatterns: list[URLPattern] = [
    path("<int:pk>/crisis/", crisis_list, name="crisis_list"),
    path("<int:pk>/crisis/new/", crisis_new, name="crisis_new"),
    path("<int:pk>/crisis/<int:event_pk>/", crisis_detail, name="crisis_detail"),
    path("<int:pk>/crisis/<int:event_pk>/close/", crisis_close, name="crisis_close"),
]
