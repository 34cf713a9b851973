"""The client's Collaterals tab: the people in the client's life, how to reach them, and
whether an active release lets the case manager speak with them about the client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.forms import add_service_error

from . import collateral_services as services
from .collateral_forms import CollateralForm
from .models import Collateral, ReleaseOfInformation
from .permissions import can_change_client
from .release_views import ReleaseRow
from .view_helpers import clinician_and_client, log_view, require_writer


@dataclass
class CollateralRow:
    """A collateral as the pages show it, with the release in effect today naming them."""

    collateral: Collateral
    release: ReleaseOfInformation | None

    @classmethod
    def of(cls, collateral: Collateral, today: date) -> CollateralRow:
        return cls(
            collateral=collateral,
            release=services.collateral_active_release(collateral, today),
        )

    @property
    def reach(self) -> list[str]:
        c = self.collateral
        return [part for part in (c.phone, c.email, c.address) if part]


@require_http_methods(["GET"])
def collateral_list(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    log_view(request, user, client)
    today = timezone.localdate()
    rows = [CollateralRow.of(c, today) for c in services.collaterals_for_client(client, on=today)]
    return render(
        request,
        "clients/collaterals/list.html",
        {
            "client": client,
            "active_rows": [r for r in rows if r.collateral.is_active],
            "past_rows": [r for r in rows if not r.collateral.is_active],
            "can_change": can_change_client(user, client),
        },
    )


@require_http_methods(["GET", "POST"])
def collateral_new(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    require_writer(user, client)
    form = CollateralForm(request.POST or None, submit_label=_("Add the collateral"))
    if request.method == "POST" and form.is_valid():
        try:
            collateral = services.collateral_create(
                actor=user, client=client, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(name)s is added. Speaking with them about the client needs a release "
                    "naming them."
                )
                % {"name": collateral.name},
            )
            return redirect("clients:collateral_detail", pk=client.pk, collateral_pk=collateral.pk)
    return render(
        request,
        "clients/collaterals/form.html",
        {"client": client, "form": form, "collateral": None},
    )


@require_http_methods(["GET"])
def collateral_detail(request: HttpRequest, pk: int, collateral_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    collateral = services.collateral_for_user(user, client, collateral_pk)
    log_view(request, user, client)
    today = timezone.localdate()
    return render(
        request,
        "clients/collaterals/detail.html",
        {
            "client": client,
            "row": CollateralRow.of(collateral, today),
            "collateral": collateral,
            "releases": [ReleaseRow.of(r, today) for r in services.releases_naming(collateral)],
            "can_change": can_change_client(user, client),
        },
    )


@require_http_methods(["GET", "POST"])
def collateral_edit(request: HttpRequest, pk: int, collateral_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    collateral = services.collateral_for_user(user, client, collateral_pk)
    require_writer(user, client)
    form = CollateralForm(
        request.POST or None, instance=collateral, submit_label=_("Save the changes")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.collateral_update(actor=user, collateral=collateral, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("clients:collateral_detail", pk=client.pk, collateral_pk=collateral.pk)
    return render(
        request,
        "clients/collaterals/form.html",
        {"client": client, "form": form, "collateral": collateral},
    )


@require_POST
def collateral_involvement(request: HttpRequest, pk: int, collateral_pk: int) -> HttpResponse:
    """Mark a collateral no longer involved (`involved=0`) or involved again (`involved=1`)."""
    user, client = clinician_and_client(request, pk)
    collateral = services.collateral_for_user(user, client, collateral_pk)
    require_writer(user, client)
    involved = request.POST.get("involved") == "1"
    services.collateral_set_involved(actor=user, collateral=collateral, involved=involved)
    if involved:
        messages.success(request, _("%(name)s is involved again.") % {"name": collateral.name})
    else:
        messages.success(
            request, _("%(name)s is marked as no longer involved.") % {"name": collateral.name}
        )
    return redirect("clients:collateral_detail", pk=client.pk, collateral_pk=collateral.pk)


urlpatterns: list[URLPattern] = [
    path("<int:pk>/collaterals/", collateral_list, name="collateral_list"),
    path("<int:pk>/collaterals/new/", collateral_new, name="collateral_new"),
    path(
        "<int:pk>/collaterals/<int:collateral_pk>/",
        collateral_detail,
        name="collateral_detail",
    ),
    path(
        "<int:pk>/collaterals/<int:collateral_pk>/edit/",
        collateral_edit,
        name="collateral_edit",
    ),
    path(
        "<int:pk>/collaterals/<int:collateral_pk>/involvement/",
        collateral_involvement,
        name="collateral_involvement",
    ),
]
