"""Reassignment pages: a supervisor moves one client, or many from one caseload, to another
case manager on the team, with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.forms import add_service_error

from . import reassignment_selectors, selectors
from .models import Client
from .reassignment_forms import ChooseCaseManagerForm, ReassignForm
from .reassignment_services import can_reassign, clients_reassign


def _supervisor_or_404(request: HttpRequest) -> User:
    user = policy.clinician_or_404(request.user)
    if not policy.supervised_team_ids(user):
        raise Http404
    return user


def _move(request: HttpRequest, form: ReassignForm, supervisor: User) -> int | None:
    """Run the reassignment the valid `form` asks for; the number of clients moved, or None
    with the refusal on the form."""
    try:
        moves = clients_reassign(
            actor=supervisor,
            client_ids=[c.pk for c in form.cleaned_data["clients"]],
            to_case_manager=form.cleaned_data["to_case_manager"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        add_service_error(form, error)
        return None
    except PermissionDenied as error:
        form.add_error(None, str(error))
        return None
    messages.success(
        request,
        ngettext(
            "%(count)d client reassigned to %(name)s; both case managers are notified.",
            "%(count)d clients reassigned to %(name)s; both case managers are notified.",
            len(moves),
        )
        % {"count": len(moves), "name": form.cleaned_data["to_case_manager"]},
    )
    return len(moves)


@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest) -> HttpResponse:
    """Choose a caseload (`?from_user=`), tick clients, name the new case manager and why."""
    supervisor = _supervisor_or_404(request)
    chooser = ChooseCaseManagerForm(
        request.GET if "from_user" in request.GET else None, supervisor=supervisor
    )
    holder = chooser.cleaned_data["from_user"] if chooser.is_valid() else None
    form = None
    status = 200
    if holder is not None:
        caseload = reassignment_selectors.caseload(supervisor, holder)
        form = ReassignForm(
            request.POST if request.method == "POST" else None,
            supervisor=supervisor,
            clients=caseload,
        )
        if request.method == "POST":
            if form.is_valid() and _move(request, form, supervisor) is not None:
                if caseload.exists():
                    query = urlencode({"from_user": holder.pk})
                    return redirect(f"{reverse('clients:reassign')}?{query}")
                messages.info(
                    request,
                    _("%(name)s has no active clients left on your teams.") % {"name": holder},
                )
                return redirect("clients:reassign")
            status = 400
    elif request.method == "POST":
        raise Http404
    recent = reassignment_selectors.recent_reassignments(supervisor)
    return render(
        request,
        "clients/reassign.html",
        {"chooser": chooser, "holder": holder, "form": form, "recent": recent},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def reassign_client(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one client, from their page."""
    user = policy.clinician_or_404(request.user)
    client = selectors.client_for_user(user, pk)
    if not can_reassign(user, client):
        raise Http404
    form = ReassignForm(
        request.POST if request.method == "POST" else None,
        supervisor=user,
        clients=Client.objects.filter(pk=client.pk),
        initial={"clients": [client.pk]},
    )
    if request.method == "POST" and form.is_valid() and _move(request, form, user) is not None:
        return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/reassign_client.html",
        {"client": client, "form": form},
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("reassign/", reassign, name="reassign"),
    path("<int:pk>/reassign/", reassign_client, name="reassign_client"),
]
