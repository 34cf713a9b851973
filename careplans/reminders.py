"""The due items service plans raise: plan reviews and goal target dates."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from casemgmt.reminders import rules

from .models import Goal, GoalReview, PlanStatus, Progress, ServicePlan

if TYPE_CHECKING:
    from casemgmt.accounts.models import Agency

#: The plan versions in force: the ones whose dates are worked to.
IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)

#: Progress after which a goal's target date no longer asks for anything.
FINISHED_PROGRESS = (Progress.MET, Progress.DISCONTINUED)


class PlanReviewRule(rules.Rule):
    """The review of a plan in force is due on its review date; the client's primary case
    manager does it. Recording the review moves the date (or closes the plan)."""

    kind = "plan_review"
    label = _("Service plan review")
    uses_lead_times = True

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        return rules.due_rows(
            ServicePlan.objects.filter(client__team__agency=agency, status__in=IN_FORCE),
            due="review_due",
            until=until,
            recipient="client__primary_case_manager_id",
        )

    def url_name(self) -> str:
        return "careplans:plan_review"


class GoalTargetRule(rules.Rule):
    """A goal of a plan in force is due on its target date, unless its latest review (of
    this goal in any version of the plan) found it met or discontinued."""

    kind = "goal_target"
    label = _("Goal target date")
    uses_lead_times = True

    def items(self, agency: Agency, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        latest_progress = (
            GoalReview.objects.filter(
                goal__key=OuterRef("key"), goal__plan__client_id=OuterRef("plan__client_id")
            )
            .order_by("-review__reviewed_on", "-review_id")
            .values("progress")[:1]
        )
        return rules.due_rows(
            Goal.objects.filter(plan__client__team__agency=agency, plan__status__in=IN_FORCE)
            .annotate(latest_progress=Coalesce(Subquery(latest_progress), Value("")))
            .exclude(latest_progress__in=FINISHED_PROGRESS),
            due="target_date",
            until=until,
            client_id="plan__client_id",
            recipient="plan__client__primary_case_manager_id",
        )

    def url_name(self) -> str:
        return "careplans:plan_tab"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        # The plan tab opens the version in force, where the goal is reviewed.
        return [client_id]


rules.register(PlanReviewRule())
rules.register(GoalTargetRule())
