"""Building blocks for plan tests: a completed assessment and a plan carried to any status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from careplans.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Domain,
    DomainNeed,
    NeedLevel,
    PlanStatus,
    ServicePlan,
)
from careplans.services import plans as services
from casemgmt.accounts.models import User
from clients.models import Client


def completed_assessment(client: Client, actor: User) -> Assessment:
    """Written straight to the database: plan tests do not depend on the assessment pages."""
    assessment = Assessment.objects.create(
        client=client,
        kind=AssessmentKind.INTAKE,
        status=AssessmentStatus.COMPLETED,
        assessed_on=timezone.localdate(),
        strengths="Close to her sister; keeps appointments.",
        client_words="I want my own place and to feel less down.",
        created_by=actor,
        completed_by=actor,
        completed_at=timezone.now(),
    )
    levels: dict[str, str] = {
        Domain.HOUSING: NeedLevel.HIGH,
        Domain.MENTAL_HEALTH: NeedLevel.MODERATE,
    }
    DomainNeed.objects.bulk_create(
        DomainNeed(assessment=assessment, domain=d, level=levels.get(d, NeedLevel.NONE))
        for d in Domain.values
    )
    return assessment


def goal_data(plan: ServicePlan, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "domain": Domain.HOUSING,
        "client_words": "I want a place of my own.",
        "indicator": "nights in own housing per month",
        "baseline": "0 nights",
        "target": "30 nights",
        "baseline_value": 0,
        "target_value": 30,
        "target_date": plan.service_start + dt.timedelta(days=180),
        "review_date": plan.review_due,
    }
    data.update(overrides)
    return data


def intervention_data(plan: ServicePlan, actor: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "description": "Apply for the rapid re-housing program together.",
        "staff": actor,
        "provider": "",
        "frequency": "weekly",
        "starts_on": plan.service_start,
    }
    data.update(overrides)
    return data


def plan_with_goal(client: Client, actor: User, *, start: dt.date | None = None) -> ServicePlan:
    assessment = completed_assessment(client, actor)
    plan = services.plan_create(
        actor=actor, assessment=assessment, service_start=start or timezone.localdate()
    )
    goal = services.goal_save(actor=actor, plan=plan, data=goal_data(plan))
    services.intervention_save(actor=actor, goal=goal, data=intervention_data(plan, actor))
    return plan


def plan_in_status(
    client: Client, actor: User, status: PlanStatus, *, approver: User | None = None
) -> ServicePlan:
    """A plan walked through the real services up to `status`."""
    plan = plan_with_goal(client, actor)
    if status == PlanStatus.DRAFT:
        return plan
    services.plan_record_meeting(
        actor=actor,
        plan=plan,
        meeting_date=timezone.localdate(),
        participants="Maria Rivera (client), Casey North",
        client_participated=True,
        notes="",
    )
    if status == PlanStatus.MEETING_RECORDED:
        return _fresh(plan)
    services.plan_finalize(actor=actor, plan=plan, agreement="signed")
    if status == PlanStatus.FINALIZED:
        return _fresh(plan)
    if _fresh(plan).status == PlanStatus.FINALIZED:
        assert approver is not None, "this agency requires approval: pass an approver"
        services.plan_approve(actor=approver, plan=plan)
    if status == PlanStatus.ACTIVE:
        return _fresh(plan)
    services.plan_start_review(actor=actor, plan=plan)
    return _fresh(plan)


def _fresh(plan: ServicePlan) -> ServicePlan:
    return ServicePlan.objects.get(pk=plan.pk)
