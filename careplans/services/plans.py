"""Writes to service plans: building one from an assessment, goals and interventions, the
lifecycle (meeting → finalized → approved/active → under review → closed), reviews and
revisions. Every status change is checked, recorded as a PlanEvent, and kept in history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts.models import Agency, User
from casemgmt.audit.history import save_with_history as _save

from ..models import (
    EDITABLE_PLAN_STATUSES,
    Agreement,
    Assessment,
    AssessmentStatus,
    Goal,
    GoalReview,
    Intervention,
    PlanEvent,
    PlanReview,
    PlanStatus,
    Progress,
    ReviewDecision,
    ServicePlan,
)
from ..permissions import can_approve_plan, can_work_on_client

#: Plans that are still in force or on their way to it; a client has at most one of these
#: per lineage (a revision in progress sits beside the version it revises).
OPEN_STATUSES = (
    PlanStatus.DRAFT,
    PlanStatus.MEETING_RECORDED,
    PlanStatus.FINALIZED,
    PlanStatus.ACTIVE,
    PlanStatus.UNDER_REVIEW,
)


class InvalidTransition(ValidationError):
    """A status change that the plan's current status does not allow."""


def _require_worker(actor: User, plan: ServicePlan) -> None:
    if not can_work_on_client(actor, plan.client):
        raise PermissionDenied(_("You can read this plan but not change it."))


def _require_editable(plan: ServicePlan) -> None:
    if plan.status not in EDITABLE_PLAN_STATUSES:
        raise InvalidTransition(
            _(
                "This plan is %(status)s: its goals and interventions can no longer change. "
                "Revise the plan to change them."
            )
            % {"status": plan.get_status_display().lower()}
        )


def _move(
    plan: ServicePlan,
    *,
    to: PlanStatus,
    actor: User,
    note: str = "",
    allowed_from: tuple[PlanStatus, ...],
    fields: list[str] | None = None,
) -> None:
    """Check and record a status change, saving the given fields with it."""
    if plan.status not in allowed_from:
        raise InvalidTransition(
            _("A plan that is %(current)s cannot become %(target)s.")
            % {"current": plan.get_status_display().lower(), "target": PlanStatus(to).label.lower()}
        )
    previous = plan.status
    plan.status = to
    _save(plan, actor=actor, reason=f"{previous} → {to}", update_fields=["status", *(fields or [])])
    PlanEvent.objects.create(plan=plan, from_status=previous, to_status=to, actor=actor, note=note)


# --- Review timing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewWindow:
    """When a review may fall: no later than `latest`; before `earliest_routine` only with
    a reason (unless circumstances change, reviews are not sooner than 30 days)."""

    start: dt.date
    earliest_routine: dt.date
    latest: dt.date


def review_window(agency: Agency, start: dt.date) -> ReviewWindow:
    return ReviewWindow(
        start=start,
        earliest_routine=start + dt.timedelta(days=agency.early_review_days),
        latest=start + dt.timedelta(days=agency.review_interval_days),
    )


def check_review_date(
    agency: Agency,
    *,
    start: dt.date,
    review: dt.date,
    early_reason: str,
    field: str = "review_due",
) -> None:
    """The review-date rules, raised against `field` so the message sits beside it."""
    window = review_window(agency, start)
    if review < start:
        raise ValidationError(
            {field: _("The review cannot be before %(day)s.") % {"day": start.isoformat()}}
        )
    if review > window.latest:
        raise ValidationError(
            {
                field: _("The review must be no later than %(day)s (%(n)s days after %(start)s).")
                % {
                    "day": window.latest.isoformat(),
                    "n": agency.review_interval_days,
                    "start": start.isoformat(),
                }
            }
        )
    if review < window.earliest_routine and not early_reason.strip():
        raise ValidationError(
            {
                "early_review_reason": _(
                    "A review sooner than %(n)s days after %(start)s needs a reason: say what has "
                    "changed."
                )
                % {"n": agency.early_review_days, "start": start.isoformat()}
            }
        )


def default_review_date(agency: Agency, start: dt.date) -> dt.date:
    return review_window(agency, start).latest


def _agency(plan_or_client: Any) -> Agency:
    client = getattr(plan_or_client, "client", plan_or_client)
    return Agency.for_team(client.team_id)


# --- Building the plan ---------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    actor: User,
    assessment: Assessment,
    service_start: dt.date,
    review_due: dt.date | None = None,
    early_review_reason: str = "",
) -> ServicePlan:
    """Start the first plan from a completed assessment. The review date defaults to the
    service start plus the agency's review interval."""
    client = assessment.client
    if not can_work_on_client(actor, client):
        raise PermissionDenied(_("You can read this record but not change it."))
    if assessment.status != AssessmentStatus.COMPLETED:
        raise ValidationError(_("Complete the assessment before building a plan from it."))
    if ServicePlan.objects.filter(client=client, status__in=OPEN_STATUSES).exists():
        raise ValidationError(
            _("This client already has a service plan. Revise it instead of starting another.")
        )
    agency = _agency(client)
    review_due = review_due or default_review_date(agency, service_start)
    check_review_date(
        agency, start=service_start, review=review_due, early_reason=early_review_reason
    )
    version = (ServicePlan.objects.filter(client=client).aggregate(v=Max("version"))["v"] or 0) + 1
    plan = ServicePlan(
        client=client,
        assessment=assessment,
        version=version,
        service_start=service_start,
        review_due=review_due,
        early_review_reason=early_review_reason,
        created_by=actor,
    )
    plan.full_clean()
    _save(plan, actor=actor, reason="Plan started")
    PlanEvent.objects.create(
        plan=plan,
        to_status=PlanStatus.DRAFT,
        actor=actor,
        note=_("Built from the %(a)s") % {"a": assessment},
    )
    return plan


@transaction.atomic
def plan_set_dates(
    *,
    actor: User,
    plan: ServicePlan,
    service_start: dt.date,
    review_due: dt.date,
    early_review_reason: str = "",
) -> ServicePlan:
    _require_worker(actor, plan)
    _require_editable(plan)
    check_review_date(
        _agency(plan), start=service_start, review=review_due, early_reason=early_review_reason
    )
    plan.service_start = service_start
    plan.review_due = review_due
    plan.early_review_reason = early_review_reason
    plan.full_clean()
    _save(
        plan,
        actor=actor,
        reason="Dates changed",
        update_fields=["service_start", "review_due", "early_review_reason"],
    )
    return plan


GOAL_FIELDS = (
    "domain",
    "client_words",
    "indicator",
    "baseline",
    "target",
    "baseline_value",
    "target_value",
    "target_date",
    "review_date",
    "instrument",
    "instrument_comparison",
    "instrument_threshold",
)
INTERVENTION_FIELDS = ("description", "staff", "provider", "frequency", "starts_on")


@transaction.atomic
def goal_save(
    *, actor: User, plan: ServicePlan, data: dict[str, Any], goal: Goal | None = None
) -> Goal:
    """Add or change a goal while the plan is a draft or awaiting finalization."""
    _require_worker(actor, plan)
    _require_editable(plan)
    if goal is None:
        position = (plan.goals.aggregate(p=Max("position"))["p"] or 0) + 1
        goal = Goal(plan=plan, position=position)
    elif goal.plan_id != plan.pk:
        raise PermissionDenied
    for field in GOAL_FIELDS:
        if field in data:
            setattr(goal, field, data[field])
    if not goal.instrument_id:
        goal.instrument_comparison = ""
        goal.instrument_threshold = None
    errors: dict[str, str] = {}
    if goal.target_date and goal.target_date < plan.service_start:
        errors["target_date"] = _("The target date cannot be before the service start.")
    if goal.review_date and goal.review_date < plan.service_start:
        errors["review_date"] = _("The review date cannot be before the service start.")
    elif goal.review_date and goal.review_date > plan.review_due:
        errors["review_date"] = _("Review the goal no later than the plan's review on %(day)s.") % {
            "day": plan.review_due.isoformat()
        }
    if goal.instrument_id and (not goal.instrument_comparison or goal.instrument_threshold is None):
        errors["instrument_threshold"] = _(
            "Say what score on the measure means the goal is met, e.g. below 10."
        )
    if errors:
        raise ValidationError(errors)
    goal.full_clean()
    _save(goal, actor=actor, reason="Goal saved")
    return goal


@transaction.atomic
def goal_delete(*, actor: User, goal: Goal) -> None:
    _require_worker(actor, goal.plan)
    _require_editable(goal.plan)
    goal._history_user = actor  # type: ignore[attr-defined]
    goal.delete()


@transaction.atomic
def intervention_save(
    *, actor: User, goal: Goal, data: dict[str, Any], intervention: Intervention | None = None
) -> Intervention:
    """What will be done toward the goal, by a staff member or a named provider."""
    _require_worker(actor, goal.plan)
    _require_editable(goal.plan)
    if intervention is None:
        intervention = Intervention(goal=goal)
    elif intervention.goal_id != goal.pk:
        raise PermissionDenied
    for field in INTERVENTION_FIELDS:
        if field in data:
            setattr(intervention, field, data[field])
    if intervention.staff_id is None and not intervention.provider.strip():
        raise ValidationError({"provider": _("Say who delivers it: a staff member or a provider.")})
    if intervention.staff is not None and not intervention.staff.is_active:
        raise ValidationError({"staff": _("Choose an active staff member.")})
    intervention.full_clean()
    _save(intervention, actor=actor, reason="Intervention saved")
    return intervention


@transaction.atomic
def intervention_delete(*, actor: User, intervention: Intervention) -> None:
    _require_worker(actor, intervention.goal.plan)
    _require_editable(intervention.goal.plan)
    intervention._history_user = actor  # type: ignore[attr-defined]
    intervention.delete()


# --- The lifecycle -------------------------------------------------------------------------


def _locked(plan: ServicePlan) -> ServicePlan:
    return ServicePlan.objects.select_for_update().select_related("client").get(pk=plan.pk)


@transaction.atomic
def plan_record_meeting(
    *,
    actor: User,
    plan: ServicePlan,
    meeting_date: dt.date,
    participants: str,
    client_participated: bool,
    notes: str,
) -> ServicePlan:
    """The planning meeting, held with the client: date, who took part, notes."""
    plan = _locked(plan)
    _require_worker(actor, plan)
    errors: dict[str, str] = {}
    if meeting_date > timezone.localdate():
        errors["meeting_date"] = _("The meeting date cannot be in the future.")
    if not participants.strip():
        errors["meeting_participants"] = _("Name who took part, including the client.")
    if not client_participated and not notes.strip():
        errors["meeting_notes"] = _(
            "The plan is built with the client. If they could not take part, say why here."
        )
    if errors:
        raise ValidationError(errors)
    if not plan.goals.exists():
        raise ValidationError(_("Add at least one goal before recording the planning meeting."))
    plan.meeting_date = meeting_date
    plan.meeting_participants = participants.strip()
    plan.client_participated = client_participated
    plan.meeting_notes = notes.strip()
    _move(
        plan,
        to=PlanStatus.MEETING_RECORDED,
        actor=actor,
        allowed_from=(PlanStatus.DRAFT,),
        fields=["meeting_date", "meeting_participants", "client_participated", "meeting_notes"],
    )
    return plan


@transaction.atomic
def plan_finalize(
    *, actor: User, plan: ServicePlan, agreement: str, agreement_note: str = ""
) -> ServicePlan:
    """Record the client's agreement. Where the agency requires it the plan then waits for a
    supervisor's approval; otherwise it is active at once."""
    plan = _locked(plan)
    _require_worker(actor, plan)
    if plan.status != PlanStatus.MEETING_RECORDED:
        raise InvalidTransition(
            _("Record the planning meeting before finalizing.")
            if plan.status == PlanStatus.DRAFT
            else _("A plan that is %(current)s cannot be finalized.")
            % {"current": plan.get_status_display().lower()}
        )
    if agreement not in Agreement.values:
        raise ValidationError({"agreement": _("Record the client's agreement.")})
    if agreement == Agreement.DECLINED and not agreement_note.strip():
        raise ValidationError({"agreement_note": _("Say why the client declined.")})
    goals = list(plan.goals.prefetch_related("interventions"))
    without = [g for g in goals if not g.interventions.all()]
    if without:
        raise ValidationError(
            _("Each goal needs at least one intervention. Missing for: %(goals)s")
            % {"goals": "; ".join(str(g) for g in without)}
        )
    agency = _agency(plan)
    check_review_date(
        agency,
        start=plan.service_start,
        review=plan.review_due,
        early_reason=plan.early_review_reason,
    )
    plan.agreement = agreement
    plan.agreement_note = agreement_note.strip()
    plan.finalized_at = timezone.now()
    plan.finalized_by = actor
    plan.approval_required = agency.plan_approval_required
    plan.returned_note = ""
    fields = [
        "agreement",
        "agreement_note",
        "finalized_at",
        "finalized_by",
        "approval_required",
        "returned_note",
    ]
    _move(
        plan,
        to=PlanStatus.FINALIZED,
        actor=actor,
        fields=fields,
        allowed_from=(PlanStatus.MEETING_RECORDED,),
    )
    if not plan.approval_required:
        _activate(plan, actor=actor, note=_("No supervisor approval required"))
    return plan


def _activate(plan: ServicePlan, *, actor: User, note: str) -> None:
    _move(plan, to=PlanStatus.ACTIVE, actor=actor, note=note, allowed_from=(PlanStatus.FINALIZED,))
    previous = plan.previous
    if previous is not None and previous.status in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW):
        previous = _locked(previous)
        _move(
            previous,
            to=PlanStatus.SUPERSEDED,
            actor=actor,
            note=_("Replaced by version %(v)s") % {"v": plan.version},
            allowed_from=(PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW),
        )


@transaction.atomic
def plan_approve(*, actor: User, plan: ServicePlan) -> ServicePlan:
    """A supervisor of the client's team approves; nobody approves their own plan."""
    plan = _locked(plan)
    if not can_approve_plan(actor, plan):
        raise PermissionDenied(
            _(
                "Only a supervisor of the client's team who did not write or finalize the plan "
                "can approve it."
            )
        )
    if plan.status != PlanStatus.FINALIZED:
        raise InvalidTransition(_("Only a finalized plan awaiting approval can be approved."))
    plan.approved_at = timezone.now()
    plan.approved_by = actor
    _save(plan, actor=actor, reason="Approved", update_fields=["approved_at", "approved_by"])
    _activate(plan, actor=actor, note=_("Approved"))
    return plan


@transaction.atomic
def plan_return(*, actor: User, plan: ServicePlan, note: str) -> ServicePlan:
    """The supervisor sends the plan back with a comment; it can be changed and finalized
    again."""
    plan = _locked(plan)
    if not can_approve_plan(actor, plan):
        raise PermissionDenied(_("Only an approving supervisor can return a plan."))
    if not note.strip():
        raise ValidationError({"note": _("Say what needs to change.")})
    plan.returned_note = note.strip()
    _move(
        plan,
        to=PlanStatus.MEETING_RECORDED,
        actor=actor,
        note=note.strip(),
        allowed_from=(PlanStatus.FINALIZED,),
        fields=["returned_note"],
    )
    return plan


@transaction.atomic
def plan_start_review(*, actor: User, plan: ServicePlan) -> ServicePlan:
    plan = _locked(plan)
    _require_worker(actor, plan)
    _move(plan, to=PlanStatus.UNDER_REVIEW, actor=actor, allowed_from=(PlanStatus.ACTIVE,))
    return plan


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    progress: str
    current_value: str = ""
    current_number: Decimal | None = None
    notes: str = ""


@transaction.atomic
def plan_review_record(
    *,
    actor: User,
    plan: ServicePlan,
    reviewed_on: dt.date,
    decision: str,
    justification: str,
    goal_progress: list[GoalProgress],
    next_review_date: dt.date | None = None,
    early_review_reason: str = "",
) -> tuple[PlanReview, ServicePlan | None]:
    """Record a review: progress on every goal and a decision. Continue keeps the plan
    active until the next review; revise or switch provider opens a new version; close
    ends the plan. Any change needs a written justification. Returns the review and, for a
    revision, the new draft version."""
    plan = _locked(plan)
    _require_worker(actor, plan)
    if plan.status == PlanStatus.ACTIVE:
        plan_start_review(actor=actor, plan=plan)
        plan.refresh_from_db()
    if plan.status != PlanStatus.UNDER_REVIEW:
        raise InvalidTransition(
            _("Only an active plan can be reviewed; this one is %(status)s.")
            % {"status": plan.get_status_display().lower()}
        )
    if decision not in ReviewDecision.values:
        raise ValidationError({"decision": _("Choose a decision.")})
    if decision != ReviewDecision.CONTINUE and not justification.strip():
        raise ValidationError({"justification": _("Explain why the plan changes.")})
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": _("The review date cannot be in the future.")})
    goals = {g.pk: g for g in plan.goals.all()}
    given = {p.goal.pk: p for p in goal_progress}
    if set(given) != set(goals):
        raise ValidationError(_("Record progress on every goal of the plan."))
    for item in goal_progress:
        if item.progress not in Progress.values:
            raise ValidationError(_("Choose the progress on each goal."))
    if decision == ReviewDecision.CONTINUE:
        if next_review_date is None:
            raise ValidationError({"next_review_date": _("Set the next review date.")})
        check_review_date(
            _agency(plan),
            start=reviewed_on,
            review=next_review_date,
            early_reason=early_review_reason,
            field="next_review_date",
        )
    review = PlanReview(
        plan=plan,
        reviewed_on=reviewed_on,
        decision=decision,
        justification=justification.strip(),
        next_review_date=next_review_date if decision == ReviewDecision.CONTINUE else None,
        early_review_reason=early_review_reason.strip(),
        reviewed_by=actor,
    )
    review.full_clean()
    _save(review, actor=actor, reason="Plan reviewed")
    for item in goal_progress:
        row = GoalReview(
            review=review,
            goal=item.goal,
            progress=item.progress,
            current_value=item.current_value,
            current_number=item.current_number,
            notes=item.notes,
        )
        row.full_clean()
        _save(row, actor=actor, reason="Goal reviewed")
    new_version = None
    if decision == ReviewDecision.CONTINUE:
        assert next_review_date is not None  # noqa: S101 - checked above
        plan.review_due = next_review_date
        plan.early_review_reason = early_review_reason.strip()
        _move(
            plan,
            to=PlanStatus.ACTIVE,
            actor=actor,
            note=_("Reviewed: continue"),
            allowed_from=(PlanStatus.UNDER_REVIEW,),
            fields=["review_due", "early_review_reason"],
        )
    elif decision == ReviewDecision.CLOSE:
        _move(
            plan,
            to=PlanStatus.CLOSED,
            actor=actor,
            note=justification.strip(),
            allowed_from=(PlanStatus.UNDER_REVIEW,),
        )
    else:
        new_version = plan_revise(
            actor=actor, plan=plan, reason=justification.strip(), starts_on=reviewed_on
        )
    return review, new_version


@transaction.atomic
def plan_revise(
    *, actor: User, plan: ServicePlan, reason: str, starts_on: dt.date | None = None
) -> ServicePlan:
    """A new draft version copying the goals and interventions; the version in force stays
    in force until the revision is finalized (and approved)."""
    plan = _locked(plan)
    _require_worker(actor, plan)
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW):
        raise InvalidTransition(_("Only an active plan or one under review can be revised."))
    if ServicePlan.objects.filter(previous=plan).exists():
        raise InvalidTransition(_("A revision of this plan is already in progress."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what changes and why.")})
    start = starts_on or timezone.localdate()
    agency = _agency(plan)
    version = ServicePlan.objects.filter(client=plan.client).aggregate(v=Max("version"))["v"]
    revision = ServicePlan(
        client=plan.client,
        assessment=plan.assessment,
        version=(version or 0) + 1,
        previous=plan,
        revision_reason=reason.strip(),
        service_start=start,
        review_due=default_review_date(agency, start),
        created_by=actor,
    )
    revision.full_clean()
    _save(revision, actor=actor, reason="Revision started")
    PlanEvent.objects.create(
        plan=revision, to_status=PlanStatus.DRAFT, actor=actor, note=reason.strip()
    )
    for goal in plan.goals.prefetch_related("interventions"):
        interventions = list(goal.interventions.all())
        goal.pk = None
        goal.plan = revision
        goal.review_date = min(goal.review_date, revision.review_due)
        if goal.review_date < start:
            goal.review_date = revision.review_due
        goal._state.adding = True
        _save(goal, actor=actor, reason="Copied into the revision")
        for intervention in interventions:
            intervention.pk = None
            intervention.goal = goal
            intervention._state.adding = True
            _save(intervention, actor=actor, reason="Copied into the revision")
    return revision
