"""Reads of service plans, always through the access policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from clients.models import Client

from .models import (
    Goal,
    GoalReview,
    Intervention,
    PlanReview,
    PlanStatus,
    ServicePlan,
)
from .permissions import can_approve_plan

#: How far ahead "Plans due for review" looks (the first reminder lead time).
DUE_SOON_DAYS = 14


def _with_contents(plans: QuerySet[ServicePlan]) -> QuerySet[ServicePlan]:
    return plans.select_related(
        "client", "assessment", "created_by", "finalized_by", "approved_by", "previous"
    ).prefetch_related(
        Prefetch(
            "goals",
            queryset=Goal.objects.select_related("instrument").prefetch_related(
                Prefetch("interventions", queryset=Intervention.objects.select_related("staff"))
            ),
        ),
        "events__actor",
    )


def plan_for_user(user: policy.AnyUser, client: Client, pk: int) -> ServicePlan:
    """One version of a client's plan with its goals and interventions; 404 outside scope."""
    return get_object_or_404(
        _with_contents(ServicePlan.objects.visible_to(user).filter(client=client)), pk=pk
    )


def plan_versions(user: policy.AnyUser, client: Client) -> list[ServicePlan]:
    """All versions, newest first."""
    return list(ServicePlan.objects.visible_to(user).filter(client=client).order_by("-version"))


def current_plan(versions: list[ServicePlan]) -> ServicePlan | None:
    """The version in force (active or under review) or else the newest one."""
    for plan in versions:
        if plan.status in (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW):
            return plan
    return versions[0] if versions else None


def plan_reviews(user: policy.AnyUser, client: Client) -> list[PlanReview]:
    return list(
        PlanReview.objects.filter(
            plan__in=ServicePlan.objects.visible_to(user).filter(client=client)
        )
        .select_related("plan", "reviewed_by")
        .prefetch_related(
            Prefetch("goal_reviews", queryset=GoalReview.objects.select_related("goal"))
        )
        .order_by("-reviewed_on", "-pk")
    )


def goal_progress_series(
    user: policy.AnyUser, client: Client, goals: list[Goal]
) -> dict[Any, list[tuple[dt.date, float]]]:
    """Each goal's numeric indicator over time, keyed by the goal's key: the baseline at the
    start of the first version that carried it, then each review's value, across versions.
    Two queries, whatever the number of goals."""
    keys = [g.key for g in goals]
    versions = ServicePlan.objects.visible_to(user).filter(client=client)
    series: dict[Any, list[tuple[dt.date, float]]] = {key: [] for key in keys}
    first_seen: set[Any] = set()
    for goal in (
        Goal.objects.filter(key__in=keys, plan__in=versions)
        .select_related("plan")
        .order_by("plan__version")
    ):
        if goal.key not in first_seen:
            first_seen.add(goal.key)
            if goal.baseline_value is not None:
                series[goal.key].append((goal.plan.service_start, float(goal.baseline_value)))
    for row in (
        GoalReview.objects.filter(
            goal__key__in=keys, review__plan__in=versions, current_number__isnull=False
        )
        .select_related("review", "goal")
        .order_by("review__reviewed_on", "pk")
    ):
        if row.current_number is not None:
            series[row.goal.key].append((row.review.reviewed_on, float(row.current_number)))
    return series


def goal_progress_points(
    user: policy.AnyUser, client: Client, goal: Goal
) -> list[tuple[dt.date, float]]:
    return goal_progress_series(user, client, [goal])[goal.key]


def plans_due_for_review(
    user: User, *, within_days: int = DUE_SOON_DAYS, today: dt.date | None = None
) -> QuerySet[ServicePlan]:
    """Plans in force whose review is overdue or due soon, for the user's own caseload and,
    for a supervisor, their teams' caseloads; most urgent first."""
    today = today or timezone.localdate()
    mine = Q(client__primary_case_manager=user)
    supervised = policy.supervised_team_ids(user)
    if supervised:
        mine |= Q(client__team_id__in=sorted(supervised))
    return (
        ServicePlan.objects.visible_to(user)
        .filter(
            mine,
            status__in=[PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW],
            review_due__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("client", "client__primary_case_manager", "client__team")
        .order_by("review_due", "pk")
    )


@dataclass
class QueueEntry:
    plan: ServicePlan
    can_approve: bool
    reason: str = field(default="")


def approval_queue(user: User) -> list[QueueEntry]:
    """Finalized plans awaiting a supervisor of the client's team. Plans the supervisor
    wrote or finalized are listed but cannot be approved by them."""
    teams = policy.supervised_team_ids(user)
    plans = (
        ServicePlan.objects.visible_to(user)
        .filter(status=PlanStatus.FINALIZED, client__team_id__in=sorted(teams))
        .select_related("client", "client__team", "created_by", "finalized_by")
        .order_by("finalized_at", "pk")
    )
    return [
        QueueEntry(
            plan=plan,
            can_approve=can_approve_plan(user, plan),
            reason="" if can_approve_plan(user, plan) else "You wrote or finalized this plan.",
        )
        for plan in plans
    ]


@dataclass(frozen=True)
class FieldDiff:
    label: str
    old: str
    new: str


@dataclass
class ItemDiff:
    """One goal or intervention between two versions: added, removed or changed."""

    kind: str
    title: str
    changes: list[FieldDiff] = field(default_factory=list)
    children: list[ItemDiff] = field(default_factory=list)


def _text(obj: Any, name: str) -> str:
    display = getattr(obj, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(obj, name)
    return "—" if value in (None, "") else str(value)


GOAL_DIFF_FIELDS = (
    "domain",
    "client_words",
    "indicator",
    "baseline",
    "target",
    "target_date",
    "review_date",
    "instrument",
    "instrument_comparison",
    "instrument_threshold",
)
INTERVENTION_DIFF_FIELDS = ("description", "staff", "provider", "frequency", "starts_on")


def _field_diffs(model: Any, old: Any, new: Any, names: tuple[str, ...]) -> list[FieldDiff]:
    diffs = []
    for name in names:
        before, after = _text(old, name), _text(new, name)
        if before != after:
            label = str(model._meta.get_field(name).verbose_name)
            diffs.append(FieldDiff(label=label, old=before, new=after))
    return diffs


def plan_diff(old: ServicePlan, new: ServicePlan) -> list[ItemDiff]:
    """What changed from one version to the next, goal by goal (matched by their key)."""
    old_goals = {g.key: g for g in old.goals.all()}
    new_goals = {g.key: g for g in new.goals.all()}
    result: list[ItemDiff] = []
    for key, goal in new_goals.items():
        before = old_goals.get(key)
        if before is None:
            result.append(ItemDiff(kind="added", title=str(goal)))
            continue
        item = ItemDiff(
            kind="changed",
            title=str(goal),
            changes=_field_diffs(Goal, before, goal, GOAL_DIFF_FIELDS),
        )
        old_items = {i.key: i for i in before.interventions.all()}
        new_items = {i.key: i for i in goal.interventions.all()}
        for ikey, intervention in new_items.items():
            previous = old_items.get(ikey)
            if previous is None:
                item.children.append(ItemDiff(kind="added", title=str(intervention)))
            else:
                changes = _field_diffs(
                    Intervention, previous, intervention, INTERVENTION_DIFF_FIELDS
                )
                if changes:
                    item.children.append(
                        ItemDiff(kind="changed", title=str(intervention), changes=changes)
                    )
        item.children.extend(
            ItemDiff(kind="removed", title=str(i))
            for k, i in old_items.items()
            if k not in new_items
        )
        if item.changes or item.children:
            result.append(item)
    result.extend(
        ItemDiff(kind="removed", title=str(g)) for k, g in old_goals.items() if k not in new_goals
    )
    return result
