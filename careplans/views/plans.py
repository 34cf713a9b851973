"""Service plan pages: the client's Plan tab, building the plan, the lifecycle, reviews,
versions and their differences, the printable plan, plans due for review and approvals."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error
from clients.models import Client
from clients.selectors import client_for_user

from .. import plan_selectors as selectors
from ..charts import line_over_time
from ..forms.plans import (
    FinalizeForm,
    GoalForm,
    GoalProgressForm,
    InterventionForm,
    MeetingForm,
    NoteForm,
    PlanDatesForm,
    ReviewForm,
    ReviseForm,
)
from ..models import (
    Assessment,
    AssessmentStatus,
    NeedLevel,
    PlanStatus,
    ReviewDecision,
    ServicePlan,
)
from ..permissions import can_approve_plan, can_work_on_client
from ..services import plans as services


def _load(request: HttpRequest, client_pk: int, pk: int) -> tuple[User, Client, ServicePlan]:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    return user, client, selectors.plan_for_user(user, client, pk)


def _require_worker(user: User, client: Client) -> None:
    if not can_work_on_client(user, client):
        raise PermissionDenied(_("You can read this plan but not change it."))


def _form_page(
    request: HttpRequest,
    client: Client,
    plan: ServicePlan,
    form: Any,
    title: str,
    **extra: Any,
) -> HttpResponse:
    """One step of the plan on its own page: the form, the errors, the way back."""
    return render(
        request,
        "careplans/plans/form.html",
        {
            "client": client,
            "plan": plan,
            "form": form,
            "title": title,
            **extra,
        },
    )


def _back(plan: ServicePlan) -> HttpResponse:
    return redirect("careplans:plan_detail", client_pk=plan.client_id, pk=plan.pk)


def _needs(plan_or_assessment: Any) -> list[str]:
    assessment = getattr(plan_or_assessment, "assessment", plan_or_assessment)
    return [
        n.domain
        for n in assessment.needs.all()
        if n.level in (NeedLevel.MODERATE, NeedLevel.HIGH, NeedLevel.LOW)
    ]


# --- The Plan tab and one version ------------------------------------------------------------


@require_http_methods(["GET"])
def plan_tab(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    versions = selectors.plan_versions(user, client)
    current = selectors.current_plan(versions)
    if current is not None:
        return redirect("careplans:plan_detail", client_pk=client.pk, pk=current.pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    completed = (
        Assessment.objects.visible_to(user)
        .filter(client=client, status=AssessmentStatus.COMPLETED)
        .order_by("-assessed_on", "-pk")
        .first()
    )
    today = timezone.localdate()
    return render(
        request,
        "careplans/plans/start.html",
        {
            "client": client,
            "assessment": completed,
            "can_change": can_work_on_client(user, client),
            "form": PlanDatesForm(initial={"service_start": today}),
        },
    )


@require_POST
def plan_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    client = client_for_user(user, client_pk)
    _require_worker(user, client)
    assessment_pk = request.POST.get("assessment", "")
    if not assessment_pk.isdigit():
        raise Http404
    assessment = get_object_or_404(
        Assessment.objects.visible_to(user).filter(client=client), pk=int(assessment_pk)
    )
    form = PlanDatesForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_create(
                actor=user,
                assessment=assessment,
                service_start=form.cleaned_data["service_start"],
                review_due=form.cleaned_data["review_due"],
                early_review_reason=form.cleaned_data["early_review_reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The plan is started. Add the goals you agreed."))
            return _back(plan)
    return render(
        request,
        "careplans/plans/start.html",
        {
            "client": client,
            "assessment": assessment,
            "can_change": True,
            "form": form,
        },
        status=400,
    )


@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    versions = selectors.plan_versions(user, client)
    series = selectors.goal_progress_series(user, client, list(plan.goals.all()))
    for goal in plan.goals.all():
        # Numeric indicators are charted over time: the baseline, then each review.
        points = series.get(goal.key, [])
        goal.progress_chart = (  # type: ignore[attr-defined]
            {
                "svg": line_over_time(goal.indicator, points, y_label=goal.indicator),
                "points": points,
            }
            if len(points) >= 2
            else None
        )
    can_change = can_work_on_client(user, client)
    return render(
        request,
        "careplans/plans/detail.html",
        {
            "client": client,
            "plan": plan,
            "versions": versions,
            "current": selectors.current_plan(versions),
            "reviews": [r for r in selectors.plan_reviews(user, client) if r.plan_id == plan.pk],
            "can_change": can_change,
            "can_edit_contents": can_change and plan.is_editable,
            "can_refer": can_change and plan.status in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW),
            "can_approve": plan.status == PlanStatus.FINALIZED and can_approve_plan(user, plan),
            "has_revision": any(v.previous_id == plan.pk for v in versions),
        },
    )


@require_http_methods(["GET"])
def plan_print(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.PRINT, request=request)
    return render(
        request,
        "careplans/plans/print.html",
        {
            "client": client,
            "plan": plan,
            "printed_at": timezone.now(),
            "printed_by": user,
        },
    )


@require_http_methods(["GET"])
def plan_diff(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    if plan.previous_id is None:
        raise Http404(_("This is the first version; there is nothing to compare it with."))
    previous = selectors.plan_for_user(user, client, plan.previous_id)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    return render(
        request,
        "careplans/plans/diff.html",
        {
            "client": client,
            "plan": plan,
            "previous": previous,
            "items": selectors.plan_diff(previous, plan),
            "date_changes": [
                (label, getattr(previous, name), getattr(plan, name))
                for name, label in (
                    ("service_start", _("Service start")),
                    ("review_due", _("Review due")),
                )
                if getattr(previous, name) != getattr(plan, name)
            ],
        },
    )


# --- Editing the contents -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def plan_dates(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    form = PlanDatesForm(
        request.POST or None,
        initial={
            "service_start": plan.service_start,
            "review_due": plan.review_due,
            "early_review_reason": plan.early_review_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_set_dates(
                actor=user,
                plan=plan,
                service_start=data["service_start"],
                review_due=data["review_due"]
                or services.default_review_date(
                    Agency.for_team(client.team_id), data["service_start"]
                ),
                early_review_reason=data["early_review_reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The plan's dates are saved."))
            return _back(plan)
    return _form_page(request, client, plan, form, title=_("Service start and review"))


@require_http_methods(["GET", "POST"])
def goal_edit(
    request: HttpRequest, client_pk: int, pk: int, goal_pk: int | None = None
) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    goal = get_object_or_404(plan.goals.all(), pk=goal_pk) if goal_pk else None
    initial = {} if goal else {"review_date": plan.review_due}
    form = GoalForm(request.POST or None, instance=goal, initial=initial, needs=_needs(plan))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.goal_save(actor=user, plan=plan, goal=goal, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The goal is saved."))
            if goal is None:
                messages.info(request, _("Now add what will be done toward it."))
                return redirect(
                    "careplans:intervention_new", client_pk=client.pk, pk=plan.pk, goal_pk=saved.pk
                )
            return _back(plan)
    return _form_page(
        request,
        client,
        plan,
        form,
        title=_("Change the goal") if goal else _("Add a goal"),
        needs=plan.assessment.needs.all(),
    )


@require_POST
def goal_delete(request: HttpRequest, client_pk: int, pk: int, goal_pk: int) -> HttpResponse:
    user, _client, plan = _load(request, client_pk, pk)
    goal = get_object_or_404(plan.goals.all(), pk=goal_pk)
    try:
        services.goal_delete(actor=user, goal=goal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The goal is removed."))
    return _back(plan)


def _staff_choices(client: Client) -> list[User]:
    return list(
        User.objects.filter(is_active=True, member_teams=client.team_id)
        .union(User.objects.filter(is_active=True, supervised_teams=client.team_id))
        .order_by("full_name")
    )


@require_http_methods(["GET", "POST"])
def intervention_edit(
    request: HttpRequest, client_pk: int, pk: int, goal_pk: int, intervention_pk: int | None = None
) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    goal = get_object_or_404(plan.goals.all(), pk=goal_pk)
    intervention = (
        get_object_or_404(goal.interventions.all(), pk=intervention_pk) if intervention_pk else None
    )
    form = InterventionForm(
        request.POST or None,
        instance=intervention,
        staff=_staff_choices(client),
        initial={} if intervention else {"starts_on": plan.service_start},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intervention_save(
                actor=user, goal=goal, intervention=intervention, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The intervention is saved."))
            return _back(plan)
    return _form_page(
        request,
        client,
        plan,
        form,
        goal=goal,
        title=_("Change the intervention") if intervention else _("Add an intervention"),
    )


@require_POST
def intervention_delete(
    request: HttpRequest, client_pk: int, pk: int, goal_pk: int, intervention_pk: int
) -> HttpResponse:
    user, _client, plan = _load(request, client_pk, pk)
    goal = get_object_or_404(plan.goals.all(), pk=goal_pk)
    intervention = get_object_or_404(goal.interventions.all(), pk=intervention_pk)
    try:
        services.intervention_delete(actor=user, intervention=intervention)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The intervention is removed."))
    return _back(plan)


# --- The lifecycle ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def plan_meeting(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    form = MeetingForm(
        request.POST or None,
        initial={
            "meeting_date": timezone.localdate(),
            "meeting_participants": f"{client.display_name} (client), {user} (case manager)",
            "client_participated": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            services.plan_record_meeting(
                actor=user,
                plan=plan,
                meeting_date=data["meeting_date"],
                participants=data["meeting_participants"],
                client_participated=data["client_participated"],
                notes=data["meeting_notes"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The planning meeting is recorded."))
            return _back(plan)
    return _form_page(request, client, plan, form, title=_("Record the planning meeting"))


@require_http_methods(["GET", "POST"])
def plan_finalize(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    form = FinalizeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_finalize(actor=user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            plan.refresh_from_db()
            if plan.status == PlanStatus.FINALIZED:
                messages.success(
                    request, _("The plan is finalized and waits for a supervisor's approval.")
                )
            else:
                messages.success(request, _("The plan is finalized and active."))
            return _back(plan)
    return _form_page(request, client, plan, form, title=_("Finalize the plan"))


@require_POST
def plan_approve(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, _client, plan = _load(request, client_pk, pk)
    try:
        services.plan_approve(actor=user, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The plan is approved and active."))
    if request.POST.get("from") == "queue":
        return redirect("careplans:approvals")
    return _back(plan)


@require_http_methods(["GET", "POST"])
def plan_return(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    if not can_approve_plan(user, plan):
        raise PermissionDenied(_("Only an approving supervisor can return a plan."))
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_return(actor=user, plan=plan, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The plan is returned to the case manager."))
            return redirect("careplans:approvals")
    return _form_page(request, client, plan, form, title=_("Return the plan"))


@require_POST
def plan_start_review(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    try:
        services.plan_start_review(actor=user, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(plan)
    return redirect("careplans:plan_review", client_pk=client.pk, pk=plan.pk)


@require_http_methods(["GET", "POST"])
def plan_review(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW):
        messages.error(request, _("Only an active plan can be reviewed."))
        return _back(plan)
    data = request.POST if request.method == "POST" else None
    form = ReviewForm(
        data, initial={"reviewed_on": timezone.localdate(), "decision": ReviewDecision.CONTINUE}
    )
    goal_forms = [
        GoalProgressForm(data, goal=goal, prefix=f"goal-{goal.pk}") for goal in plan.goals.all()
    ]
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in goal_forms):
        try:
            _review, revision = services.plan_review_record(
                actor=user,
                plan=plan,
                **form.cleaned_data,
                goal_progress=[
                    services.GoalProgress(goal=f.goal, **f.cleaned_data) for f in goal_forms
                ],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if revision is not None:
                messages.success(
                    request,
                    _("The review is recorded. Version %(v)s is open for the changes.")
                    % {"v": revision.version},
                )
                return _back(revision)
            messages.success(request, _("The review is recorded."))
            return _back(plan)
    return render(
        request,
        "careplans/plans/review.html",
        {
            "client": client,
            "plan": plan,
            "form": form,
            "goal_forms": goal_forms,
            "goal_errors": any(f.errors for f in goal_forms),
        },
    )


@require_http_methods(["GET", "POST"])
def plan_revise(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, plan = _load(request, client_pk, pk)
    _require_worker(user, client)
    form = ReviseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revision = services.plan_revise(
                actor=user, plan=plan, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("Version %(v)s is open for your changes.") % {"v": revision.version}
            )
            return _back(revision)
    return _form_page(request, client, plan, form, title=_("Revise the plan"))


# --- Lists across clients ----------------------------------------------------------------------


@require_http_methods(["GET"])
def plans_due(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    today = timezone.localdate()
    return render(
        request,
        "careplans/plans/due.html",
        {
            "plans": selectors.plans_due_for_review(user, today=today),
            "today": today,
            "within": selectors.DUE_SOON_DAYS,
        },
    )


@require_http_methods(["GET"])
def approvals(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    if not policy.supervised_team_ids(user):
        raise Http404
    return render(
        request,
        "careplans/plans/approvals.html",
        {
            "entries": selectors.approval_queue(user),
        },
    )


_plan = "clients/<int:client_pk>/plans/<int:pk>/"
urlpatterns = [
    path("clients/<int:client_pk>/plan/", plan_tab, name="plan_tab"),
    path("clients/<int:client_pk>/plans/new/", plan_create, name="plan_create"),
    path(_plan, plan_detail, name="plan_detail"),
    path(_plan + "print/", plan_print, name="plan_print"),
    path(_plan + "changes/", plan_diff, name="plan_diff"),
    path(_plan + "dates/", plan_dates, name="plan_dates"),
    path(_plan + "goals/new/", goal_edit, name="goal_new"),
    path(_plan + "goals/<int:goal_pk>/", goal_edit, name="goal_edit"),
    path(_plan + "goals/<int:goal_pk>/delete/", goal_delete, name="goal_delete"),
    path(
        _plan + "goals/<int:goal_pk>/interventions/new/", intervention_edit, name="intervention_new"
    ),
    path(
        _plan + "goals/<int:goal_pk>/interventions/<int:intervention_pk>/",
        intervention_edit,
        name="intervention_edit",
    ),
    path(
        _plan + "goals/<int:goal_pk>/interventions/<int:intervention_pk>/delete/",
        intervention_delete,
        name="intervention_delete",
    ),
    path(_plan + "meeting/", plan_meeting, name="plan_meeting"),
    path(_plan + "finalize/", plan_finalize, name="plan_finalize"),
    path(_plan + "approve/", plan_approve, name="plan_approve"),
    path(_plan + "return/", plan_return, name="plan_return"),
    path(_plan + "review/start/", plan_start_review, name="plan_start_review"),
    path(_plan + "review/", plan_review, name="plan_review"),
    path(_plan + "revise/", plan_revise, name="plan_revise"),
    path("plans/due/", plans_due, name="plans_due"),
    path("plans/approvals/", approvals, name="approvals"),
]
