"""`manage.py seed_demo` gives the demo clients assessments, measures and service plans
(through `seed_demo_careplans`): in the ranges described, by the rules, and only once."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from careplans.demo import cast_clients
from careplans.models import (
    Agreement,
    Assessment,
    AssessmentKind,
    DomainNeed,
    Goal,
    GoalReview,
    Intervention,
    MeasureAdministration,
    PlanEvent,
    PlanReview,
    PlanStatus,
    ReviewDecision,
    ServicePlan,
)
from careplans.plan_selectors import plans_due_for_review
from casemgmt.accounts.models import Agency, User
from clients.models import Client, SafetyFlag

HISTORIES: dict[str, Any] = {
    "assessments": Assessment,
    "needs": DomainNeed,
    "measures": MeasureAdministration,
    "plans": ServicePlan,
    "goals": Goal,
    "interventions": Intervention,
    "reviews": PlanReview,
    "goal_reviews": GoalReview,
    "safety_flags": SafetyFlag,
    "clients": Client,
}


@dataclass(frozen=True)
class Seeded:
    output: str
    seconds: float


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Seeded]:
    """Seed once for the module, inside a transaction rolled back at the end: each test runs
    in a savepoint of it. (Completed assessments cannot be deleted, so rolling back is the
    way to leave the test database clean.)"""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        started = time.perf_counter()
        call_command("seed_demo", stdout=out)
        yield Seeded(out.getvalue(), time.perf_counter() - started)
        transaction.set_rollback(True)


def snapshot() -> dict[str, Any]:
    """Row counts and history row counts a repeated run must leave alone."""
    counts: dict[str, Any] = {name: model.objects.count() for name, model in HISTORIES.items()}
    counts.update({f"{name}_history": m.history.count() for name, m in HISTORIES.items()})
    counts["plan_events"] = PlanEvent.objects.count()
    counts["plans_by_status"] = sorted(
        Counter(ServicePlan.objects.values_list("status", flat=True)).items()
    )
    counts["open_flags"] = SafetyFlag.objects.filter(resolved_at__isnull=True).count()
    return counts


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def test_counts_are_in_the_described_ranges(seeded: Seeded) -> None:
    kinds = Counter(Assessment.objects.values_list("kind", flat=True))
    assert 36 <= kinds[AssessmentKind.INTAKE] <= 44
    assert 6 <= kinds[AssessmentKind.REASSESSMENT] <= 10
    assert not Assessment.objects.filter(status="draft").exists()
    # Every domain rated (or a note saying why not), and the client's own words kept.
    for assessment in Assessment.objects.prefetch_related("needs"):
        assert len(assessment.needs.all()) == 12
        assert assessment.client_words and assessment.strengths
    intake_days = dict(
        Assessment.objects.filter(kind=AssessmentKind.INTAKE).values_list(
            "client_id", "assessed_on"
        )
    )
    for client in Client.objects.filter(pk__in=intake_days):
        enrolled = client.episodes.order_by("-enrolled_on").values_list("enrolled_on", flat=True)
        assert intake_days[client.pk] == enrolled[0], "the intake is dated at enrolment"

    per_client = Counter(MeasureAdministration.objects.values_list("client_id", "instrument__code"))
    assert all(2 <= n <= 5 for n in per_client.values()), per_client
    instruments = Counter(code for _, code in per_client)
    assert instruments["phq-9"] >= 12
    assert instruments["audit-c"] >= 3
    assert instruments["gad-7"] >= 3

    plans = ServicePlan.objects.all()
    assert 27 <= plans.values("client").distinct().count() <= 34
    statuses = Counter(plans.values_list("status", flat=True))
    assert statuses[PlanStatus.UNDER_REVIEW] == 1
    assert statuses[PlanStatus.SUPERSEDED] == 1
    assert statuses[PlanStatus.DRAFT] == statuses[PlanStatus.MEETING_RECORDED] == 0
    awaiting = plans.filter(status=PlanStatus.FINALIZED)
    assert sorted(awaiting.values_list("client__team__name", flat=True)) == ["North", "South"]
    assert statuses[PlanStatus.ACTIVE] >= 22

    for plan in plans.prefetch_related("goals__interventions"):
        goals = list(plan.goals.all())
        assert 2 <= len(goals) <= (4 if plan.version > 1 else 3), plan
        assert sum(g.instrument_id is not None for g in goals) <= 1
        for goal in goals:
            assert goal.client_words and goal.indicator
            assert 1 <= len(goal.interventions.all()) <= (3 if plan.version > 1 else 2)
        assert plan.meeting_date is not None and plan.client_participated
        assert plan.agreement in Agreement.values
    assert Goal.objects.filter(instrument__code="phq-9").exists()
    assert Goal.objects.filter(instrument__code="audit-c").exists()
    assert Intervention.objects.exclude(provider="").values("provider").distinct().count() >= 8

    declined = plans.filter(agreement=Agreement.DECLINED)
    assert declined.count() == 1 and declined.get().agreement_note

    revised = plans.get(status=PlanStatus.SUPERSEDED).next_version
    assert revised.status == PlanStatus.ACTIVE and revised.version == 2
    assert revised.revision_reason

    continued = PlanReview.objects.filter(decision=ReviewDecision.CONTINUE)
    assert continued.exists()
    assert GoalReview.objects.filter(review__in=continued, current_number__isnull=False).exists(), (
        "goal progress numbers, so the goal chart draws"
    )

    assert "Care plans: " in seeded.output
    assert "Open safety flag: CW-" in seeded.output


def test_review_dates_follow_the_agency_rules() -> None:
    """No later than the interval (90 days) and, without a reason, no sooner than 30 days
    after the start or, once reviewed, after the last review."""
    agency = Agency.objects.get()
    interval = dt.timedelta(days=agency.review_interval_days)
    early = dt.timedelta(days=agency.early_review_days)
    for plan in ServicePlan.objects.exclude(status=PlanStatus.SUPERSEDED):
        last = plan.reviews.order_by("-reviewed_on").first()
        anchor = plan.service_start if last is None else max(plan.service_start, last.reviewed_on)
        assert anchor + early <= plan.review_due <= anchor + interval, plan.client
        if last is None:
            assert plan.review_due <= plan.service_start + interval
        for goal in plan.goals.all():
            assert plan.service_start <= goal.review_date <= plan.review_due
            assert goal.target_date >= plan.service_start
    for review in PlanReview.objects.filter(decision=ReviewDecision.CONTINUE):
        assert review.next_review_date is not None
        assert review.reviewed_on + early <= review.next_review_date
        assert review.next_review_date <= review.reviewed_on + interval


def test_each_plan_approved_by_a_team_supervisor_who_did_not_write_it() -> None:
    approved = ServicePlan.objects.exclude(status=PlanStatus.FINALIZED).select_related(
        "client__team", "approved_by"
    )
    assert approved.exists()
    for plan in approved:
        assert plan.approved_by is not None, plan
        assert plan.approved_by.is_supervisor
        assert plan.client.team.supervisors.filter(pk=plan.approved_by_id).exists()
        assert plan.approved_by_id not in {plan.created_by_id, plan.finalized_by_id}
        assert plan.created_by_id == plan.client.primary_case_manager_id
    assert not ServicePlan.objects.filter(
        status=PlanStatus.FINALIZED, approved_by__isnull=False
    ).exists()


def test_some_plans_overdue_and_several_due_soon() -> None:
    today = timezone.localdate()
    case_manager = User.objects.get(email="cm.north1@example.org")
    due = list(plans_due_for_review(case_manager))
    assert sum(p.review_due < today for p in due) >= 1
    assert sum(p.review_due >= today for p in due) >= 2
    in_force = ServicePlan.objects.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW])
    overdue = in_force.filter(review_due__lt=today).count()
    soon = in_force.filter(review_due__gte=today, review_due__lte=today + dt.timedelta(days=14))
    later = in_force.filter(review_due__gt=today + dt.timedelta(days=14)).count()
    assert 2 <= overdue <= 5
    assert 4 <= soon.count() <= 12
    assert later > overdue + soon.count(), "most plans are due later"


def test_exactly_one_open_safety_flag_from_a_recent_phq9(seeded: Seeded) -> None:
    flag = SafetyFlag.objects.select_related("client").get(resolved_at__isnull=True)
    measure = MeasureAdministration.objects.get(pk=int(flag.source.removeprefix("measure:")))
    assert measure.instrument.code == "phq-9"
    assert measure.answers["9"] == 1
    assert (timezone.localdate() - measure.administered_on).days <= 7
    assert MeasureAdministration.objects.filter(safety_flagged=True).count() == (
        SafetyFlag.objects.count()
    )
    assert f"Open safety flag: {flag.client.record_number}" in seeded.output


def test_history_names_the_people_who_did_the_work() -> None:
    """Written through the services: every history row has the acting user."""
    for model in (Assessment, DomainNeed, MeasureAdministration, ServicePlan, Goal, PlanReview):
        assert model.history.exists()
        assert not model.history.filter(history_user__isnull=True).exists(), model
    supervisors = set(User.objects.filter(is_supervisor=True).values_list("pk", flat=True))
    approvals = PlanEvent.objects.filter(note="Approved")
    assert approvals.exists()
    assert set(approvals.values_list("actor_id", flat=True)) <= supervisors


def test_second_run_creates_and_changes_nothing() -> None:
    before = snapshot()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert snapshot() == before
    assert "Care plans: 0 clients seeded, " in out.getvalue()

    # Nor a month later, when every date counted back from today has moved.
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        call_command("seed_demo", stdout=StringIO())
    assert snapshot() == before


def test_the_casting_is_the_same_every_time() -> None:
    """Who gets what does not depend on the day the command runs, so running it again a
    month later still creates nothing."""
    today = timezone.localdate()
    agency = Agency.objects.get()

    def decisions(day: dt.date) -> list[tuple[Any, ...]]:
        return [
            (c.client.pk, c.role, c.assess, c.plan, c.reassess) for c in cast_clients(day, agency)
        ]

    assert decisions(today) == decisions(today) == decisions(today + dt.timedelta(days=40))
    assert (
        sum(c.assess for c in cast_clients(today, agency))
        == Assessment.objects.filter(kind=AssessmentKind.INTAKE).count()
    )
