"""Reads behind the supervisor dashboard about assessments and service plans: the
acuity-weighted load, plans overdue for review and goal outcomes. Every read starts from the
user and the teams chosen (see `clients.supervision_selectors`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency
from clients.models import Client, CrisisEvent, SafetyFlag
from clients.supervision_selectors import (
    RuleRows,
    count_of,
    counts_by,
    overdue_rows,
    team_clients,
    with_open_flags,
)

from .models import (
    Assessment,
    AssessmentStatus,
    DomainNeed,
    GoalReview,
    NeedLevel,
    Progress,
    ServicePlan,
)
from .reminders import PlanReviewRule

#: The goal outcomes the dashboard charts, in the order shown.
OUTCOMES = (Progress.MET, Progress.PARTIALLY_MET, Progress.NOT_MET)


def with_acuity(rows: QuerySet[Client]) -> QuerySet[Any]:
    """Each client with `open_crises`, `open_safety_flags`, `high_needs` (domains rated high
    in the client's latest completed assessment) and `acuity`: 1, plus the agency's weight
    of each open crisis event, open safety flag and high-need domain."""
    latest = (
        Assessment.objects.filter(client=OuterRef("pk"), status=AssessmentStatus.COMPLETED)
        .order_by("-assessed_on", "-completed_at", "-pk")
        .values("pk")[:1]
    )
    high_needs = count_of(
        DomainNeed.objects.filter(
            assessment_id=OuterRef("latest_assessment_id"), level=NeedLevel.HIGH
        ),
        "assessment",
    )
    acuity = ExpressionWrapper(
        Value(1)
        + F("team__agency__acuity_weight_crisis") * F("open_crises")
        + F("team__agency__acuity_weight_safety_flag") * F("open_safety_flags")
        + F("team__agency__acuity_weight_high_need") * F("high_needs"),
        output_field=IntegerField(),
    )
    return (
        with_open_flags(rows)
        .annotate(latest_assessment_id=Subquery(latest))
        .annotate(high_needs=high_needs)
        .annotate(acuity=acuity)
    )


def weighted_loads(rows: QuerySet[Client]) -> dict[int, int]:
    """The acuity-weighted load of each primary case manager: the sum of `acuity` (see
    `with_acuity`) over their clients among `rows`.

    Counted from the rows that add weight — open crisis events, open safety flags and the
    high-need domains of each client's latest completed assessment, usually few — grouped
    by case manager and agency weight, rather than client by client: four grouped queries
    whatever the size of the caseloads."""
    clients = rows.order_by().values("pk")
    loads: Counter[int] = Counter(counts_by(rows, "primary_case_manager"))

    def add(weighted: QuerySet[Any], client: str, weight: str) -> None:
        case_manager = f"{client}__primary_case_manager"
        grouped = (
            weighted.order_by()
            .values(case_manager, f"{client}__team__agency__{weight}")
            .annotate(n=Count("pk"))
            .values_list(case_manager, f"{client}__team__agency__{weight}", "n")
        )
        for person, factor, n in grouped:
            loads[person] += factor * n

    add(
        CrisisEvent.objects.filter(closed_at__isnull=True, client__in=clients),
        "client",
        "acuity_weight_crisis",
    )
    add(
        SafetyFlag.objects.filter(resolved_at__isnull=True, client__in=clients),
        "client",
        "acuity_weight_safety_flag",
    )
    # A later completed assessment of the same client, in `with_acuity`'s order.
    later = Assessment.objects.filter(
        Q(assessed_on__gt=OuterRef("assessment__assessed_on"))
        | Q(
            assessed_on=OuterRef("assessment__assessed_on"),
            completed_at__gt=OuterRef("assessment__completed_at"),
        )
        | Q(
            assessed_on=OuterRef("assessment__assessed_on"),
            completed_at=OuterRef("assessment__completed_at"),
            pk__gt=OuterRef("assessment_id"),
        ),
        client_id=OuterRef("assessment__client_id"),
        status=AssessmentStatus.COMPLETED,
    )
    add(
        DomainNeed.objects.filter(
            level=NeedLevel.HIGH,
            assessment__status=AssessmentStatus.COMPLETED,
            assessment__client__in=clients,
        ).exclude(Exists(later)),
        "assessment__client",
        "acuity_weight_high_need",
    )
    return dict(loads)


def overdue_plan_reviews(
    user: policy.AnyUser,
    *,
    agencies: Iterable[Agency],
    team_ids: Iterable[int],
    case_manager_ids: Iterable[int],
    today: dt.date,
) -> RuleRows:
    """Plans in force whose review date has passed, as the plan-review reminder finds them
    (so the dashboard and "My work today" agree), for the clients' primary case managers."""
    return overdue_rows(
        user,
        [PlanReviewRule()],
        agencies=agencies,
        team_ids=team_ids,
        recipient_ids=case_manager_ids,
        today=today,
    )


def plans_by_id(ids: Iterable[int]) -> dict[int, ServicePlan]:
    """The plans named, with their clients (one query)."""
    rows = ServicePlan.objects.filter(pk__in=sorted(set(ids))).select_related("client")
    return {plan.pk: plan for plan in rows}


def goal_outcomes(
    user: policy.AnyUser, team_ids: Iterable[int], *, start: dt.date, end: dt.date
) -> dict[str, int]:
    """How many goal reviews recorded from `start` to `end` (review dates, inclusive) found
    the goal met, partially met or not met, over the teams' clients (one query)."""
    reviews: QuerySet[Any] = GoalReview.objects.filter(
        goal__plan__client__in=team_clients(user, team_ids).values("pk"),
        review__reviewed_on__range=(start, end),
    )
    totals = reviews.aggregate(
        **{outcome.value: Count("pk", filter=Q(progress=outcome)) for outcome in OUTCOMES}
    )
    return {outcome.value: int(totals[outcome.value]) for outcome in OUTCOMES}
