"""The client's Measures tab: scores over time, administering an instrument, one result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error
from clients.selectors import client_for_user

from .. import measures_selectors as selectors
from ..charts import scores_over_time
from ..forms.measures import MeasureForm
from ..models import Assessment
from ..permissions import can_work_on_client
from ..services.measures import measure_administer


@require_http_methods(["GET"])
def measure_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    can_work = can_work_on_client(user, client)
    charts = [
        {
            "instrument": series.instrument,
            "points": series.points,
            "svg": scores_over_time(
                series.instrument.name,
                series.points,
                y_max=series.max_score,
                bands=series.bands,
            ),
        }
        for series in selectors.measure_series(user, client)
    ]
    return render(
        request,
        "careplans/measures/list.html",
        {
            "client": client,
            "charts": charts,
            "measures": selectors.measures_for_client(user, client),
            "instruments": selectors.active_instruments() if can_work else [],
            "can_work": can_work,
        },
    )


@require_http_methods(["GET", "POST"])
def measure_new(request: HttpRequest, client_pk: int, code: str) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    instrument = selectors.instrument_by_code(code)
    if not can_work_on_client(user, client):
        raise PermissionDenied(_("You can read this record but not record measures on it."))
    assessment = None
    if request.GET.get("assessment", "").isdigit():
        assessment = get_object_or_404(
            Assessment.objects.visible_to(user).filter(client=client),
            pk=int(request.GET["assessment"]),
        )
    form = MeasureForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            measure = measure_administer(
                actor=user,
                client=client,
                instrument=instrument,
                answers=form.answers(),
                administered_on=form.cleaned_data["administered_on"],
                assessment=assessment,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(instrument)s saved: %(total)s, %(band)s.")
                % {
                    "instrument": instrument.name,
                    "total": measure.total_score,
                    "band": measure.band,
                },
            )
            return redirect("careplans:measure_detail", client_pk=client.pk, pk=measure.pk)
    return render(
        request,
        "careplans/measures/new.html",
        {"client": client, "instrument": instrument, "form": form, "assessment": assessment},
    )


@require_http_methods(["GET"])
def measure_detail(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    measure = selectors.measure_for_user(user, client, pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    rows = []
    for item in measure.instrument.items.all():
        value = measure.answers.get(str(item.number))
        label = next((o["label"] for o in item.options if o.get("value") == value), "—")
        crossed = (
            item.safety_threshold is not None
            and value is not None
            and (value > item.safety_threshold)
        )
        rows.append({"item": item, "value": value, "label": label, "crossed": crossed})
    return render(
        request,
        "careplans/measures/detail.html",
        {
            "client": client,
            "measure": measure,
            "rows": rows,
            "agency": client.team.agency,
            "can_work": can_work_on_client(user, client),
        },
    )


urlpatterns = [
    path("clients/<int:client_pk>/measures/", measure_list, name="measure_list"),
    path("clients/<int:client_pk>/measures/new/<slug:code>/", measure_new, name="measure_new"),
    path("clients/<int:client_pk>/measures/<int:pk>/", measure_detail, name="measure_detail"),
]
