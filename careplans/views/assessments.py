"""Assessment pages: the client's Assessments tab, start, the draft form, the completed
assessment, and two assessments side by side."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error
from clients.selectors import client_for_user

from .. import assessment_selectors as selectors
from ..forms.assessments import AssessmentForm
from ..models import AssessmentKind
from ..permissions import can_work_on_client
from ..services import assessments as services


@require_http_methods(["GET"])
def assessment_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    assessments = list(selectors.assessments_for_client(user, client))
    completed = [a for a in assessments if not a.is_draft]
    return render(
        request,
        "careplans/assessments/list.html",
        {
            "client": client,
            "assessments": assessments,
            "completed": completed,
            "draft": next((a for a in assessments if a.is_draft), None),
            "can_work": can_work_on_client(user, client),
            "next_is_intake": not completed,
            "compare_first": completed[1] if len(completed) > 1 else None,
            "compare_second": completed[0] if len(completed) > 1 else None,
        },
    )


@require_http_methods(["POST"])
def assessment_start(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    if not can_work_on_client(user, client):
        raise PermissionDenied(services.NOT_YOURS_TO_CHANGE)
    try:
        assessment = services.assessment_start(actor=user, client=client)
    except services.AssessmentDraftExists as exists:
        messages.info(request, exists.messages[0])
        return redirect("careplans:assessment_edit", client_pk=client.pk, pk=exists.draft.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("careplans:assessment_list", client_pk=client.pk)
    if assessment.kind == AssessmentKind.INTAKE:
        messages.success(request, _("The intake assessment is started."))
    else:
        messages.success(
            request,
            _(
                "The reassessment is started from the answers of the last completed "
                "assessment. Go through each part with %(name)s and update what has changed."
            )
            % {"name": client.display_name},
        )
    return redirect("careplans:assessment_edit", client_pk=client.pk, pk=assessment.pk)


@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    assessment = selectors.assessment_for_user(user, pk, client_id=client.pk)
    if not can_work_on_client(user, client):
        raise PermissionDenied(services.NOT_YOURS_TO_CHANGE)
    if not assessment.is_draft:
        messages.info(request, str(services.COMPLETED_IS_READ_ONLY))
        return redirect("careplans:assessment_detail", client_pk=client.pk, pk=assessment.pk)
    autosave = bool(request.htmx) and "autosave" in request.POST  # type: ignore[attr-defined]
    form = AssessmentForm(request.POST if request.method == "POST" else None, assessment=assessment)
    draft_saved = False
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_update(
                    actor=user,
                    assessment=assessment,
                    data=form.assessment_data(),
                    needs=form.needs_data(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                draft_saved = True
        if autosave:
            return render(
                request,
                "careplans/assessments/edit.html#autosave-status",
                {"draft_saved": draft_saved, "autosave": True},
            )
        if draft_saved and request.POST.get("action") == "complete":
            try:
                services.assessment_complete(actor=user, assessment=assessment)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The assessment is completed."))
                return redirect(
                    "careplans:assessment_detail", client_pk=client.pk, pk=assessment.pk
                )
        elif draft_saved:
            messages.success(request, _("The draft is saved."))
            return redirect("careplans:assessment_edit", client_pk=client.pk, pk=assessment.pk)
    return render(
        request,
        "careplans/assessments/edit.html",
        {
            "client": client,
            "assessment": assessment,
            "form": form,
            "draft_saved": draft_saved,
            "previous": selectors.previous_completed(user, assessment),
        },
    )


@require_http_methods(["GET"])
def assessment_detail(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    assessment = selectors.assessment_for_user(user, pk, client_id=client.pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    return render(
        request,
        "careplans/assessments/detail.html",
        {
            "client": client,
            "assessment": assessment,
            "groups": selectors.needs_by_level(assessment),
            "barrier_labels": selectors.barrier_labels(assessment),
            "can_work": can_work_on_client(user, client),
            "previous": selectors.previous_completed(user, assessment),
        },
    )


def _pk_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@require_http_methods(["GET"])
def assessment_compare(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    a_pk, b_pk = _pk_param(request, "a"), _pk_param(request, "b")
    if a_pk is None or b_pk is None or a_pk == b_pk:
        messages.error(request, _("Choose two different assessments to compare."))
        return redirect("careplans:assessment_list", client_pk=client.pk)
    a = selectors.assessment_for_user(user, a_pk, client_id=client.pk)
    b = selectors.assessment_for_user(user, b_pk, client_id=client.pk)
    # Read in time order, so "better" and "worse" say how things moved since the earlier one.
    first, second = sorted((a, b), key=lambda x: (x.assessed_on, x.created_at, x.pk))
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    comparison = selectors.assessment_comparison(first, second)
    return render(
        request,
        "careplans/assessments/compare.html",
        {
            "client": client,
            "comparison": comparison,
            "text_rows": [
                (_("What the client wants, in their own words"), comparison.client_words),
                (_("Strengths and protective factors"), comparison.strengths),
                (_("Barriers in more detail"), comparison.barrier_notes),
            ],
        },
    )


urlpatterns = [
    path(
        "clients/<int:client_pk>/assessments/",
        assessment_list,
        name="assessment_list",
    ),
    path(
        "clients/<int:client_pk>/assessments/start/",
        assessment_start,
        name="assessment_start",
    ),
    path(
        "clients/<int:client_pk>/assessments/compare/",
        assessment_compare,
        name="assessment_compare",
    ),
    path(
        "clients/<int:client_pk>/assessments/<int:pk>/",
        assessment_detail,
        name="assessment_detail",
    ),
    path(
        "clients/<int:client_pk>/assessments/<int:pk>/edit/",
        assessment_edit,
        name="assessment_edit",
    ),
]
