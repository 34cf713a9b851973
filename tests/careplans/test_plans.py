"""Service plan rules: every lifecycle transition, illegal ones refused with a clear message,
review-date rules, separation of duties, revisions and their differences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careplans.models import (
    Assessment,
    AssessmentStatus,
    Instrument,
    PlanEvent,
    PlanStatus,
    Progress,
    ServicePlan,
)
from careplans.plan_selectors import (
    approval_queue,
    goal_progress_points,
    plan_diff,
    plans_due_for_review,
)
from careplans.services import plans as services
from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client

from ..factories import UserFactory, make_client
from .plan_fixtures import (
    completed_assessment,
    goal_data,
    intervention_data,
    plan_in_status,
    plan_with_goal,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _agency(team: Team) -> Agency:
    return team.agency


# --- Review timing --------------------------------------------------------------------------


def test_review_date_defaults_to_start_plus_interval(
    case_manager: User, north_client: Client
) -> None:
    start = dt.date(2026, 1, 10)
    plan = services.plan_create(
        actor=case_manager,
        assessment=completed_assessment(north_client, case_manager),
        service_start=start,
    )
    assert plan.review_due == start + dt.timedelta(days=90)
    assert plan.status == PlanStatus.DRAFT and plan.version == 1


def test_review_interval_is_an_agency_setting(
    case_manager: User, north_client: Client, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(review_interval_days=60)
    start = dt.date(2026, 1, 10)
    plan = services.plan_create(
        actor=case_manager,
        assessment=completed_assessment(north_client, case_manager),
        service_start=start,
    )
    assert plan.review_due == start + dt.timedelta(days=60)


@pytest.mark.parametrize(
    ("days", "reason", "error_field"),
    [
        (90, "", None),  # the latest allowed
        (91, "", "review_due"),  # later than the interval
        (30, "", None),  # the earliest routine review
        (29, "", "early_review_reason"),  # earlier needs a reason
        (29, "Hospital discharge next week changes the housing plan.", None),
        (-1, "x", "review_due"),  # before the start
    ],
)
def test_review_date_rules(
    case_manager: User, north_client: Client, days: int, reason: str, error_field: str | None
) -> None:
    start = dt.date(2026, 2, 1)
    assessment = completed_assessment(north_client, case_manager)
    create = lambda: services.plan_create(  # noqa: E731
        actor=case_manager,
        assessment=assessment,
        service_start=start,
        review_due=start + dt.timedelta(days=days),
        early_review_reason=reason,
    )
    if error_field is None:
        assert create().review_due == start + dt.timedelta(days=days)
    else:
        with pytest.raises(ValidationError) as caught:
            create()
        assert error_field in caught.value.message_dict
        assert not ServicePlan.objects.exists()


def test_changing_dates_follows_the_same_rules(case_manager: User, north_client: Client) -> None:
    plan = plan_with_goal(north_client, case_manager, start=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as caught:
        services.plan_set_dates(
            actor=case_manager,
            plan=plan,
            service_start=dt.date(2026, 3, 1),
            review_due=dt.date(2026, 7, 1),
        )
    assert "no later than 2026-05-30" in str(caught.value)


# --- Building the plan ------------------------------------------------------------------------


def test_plan_needs_a_completed_assessment(case_manager: User, north_client: Client) -> None:
    assessment = Assessment.objects.create(
        client=north_client,
        kind="intake",
        status=AssessmentStatus.DRAFT,
        created_by=case_manager,
    )
    with pytest.raises(ValidationError, match="Complete the assessment"):
        services.plan_create(actor=case_manager, assessment=assessment, service_start=TODAY())


def test_one_plan_per_client_at_a_time(case_manager: User, north_client: Client) -> None:
    plan = plan_with_goal(north_client, case_manager)
    with pytest.raises(ValidationError, match="already has a service plan"):
        services.plan_create(actor=case_manager, assessment=plan.assessment, service_start=TODAY())


def test_teammate_cannot_build_or_change_a_plan(
    case_manager: User, teammate: User, north_client: Client
) -> None:
    with pytest.raises(PermissionDenied):
        services.plan_create(
            actor=teammate,
            assessment=completed_assessment(north_client, case_manager),
            service_start=TODAY(),
        )
    plan = plan_with_goal(north_client, case_manager)
    with pytest.raises(PermissionDenied):
        services.goal_save(actor=teammate, plan=plan, data=goal_data(plan))


def test_goal_dates_and_measure_target(case_manager: User, north_client: Client) -> None:
    plan = plan_with_goal(north_client, case_manager)
    with pytest.raises(ValidationError) as caught:
        services.goal_save(
            actor=case_manager,
            plan=plan,
            data=goal_data(
                plan,
                target_date=plan.service_start - dt.timedelta(days=1),
                review_date=plan.review_due + dt.timedelta(days=1),
            ),
        )
    assert {"target_date", "review_date"} <= set(caught.value.message_dict)
    phq = Instrument.objects.create(code="test-phq", name="Test PHQ")
    with pytest.raises(ValidationError) as missing:
        services.goal_save(actor=case_manager, plan=plan, data=goal_data(plan, instrument=phq))
    assert "instrument_threshold" in missing.value.message_dict
    goal = services.goal_save(
        actor=case_manager,
        plan=plan,
        data=goal_data(
            plan,
            domain="mental_health",
            instrument=phq,
            instrument_comparison="below",
            instrument_threshold=10,
        ),
    )
    assert goal.measure_target_text == "Test PHQ below 10"


def test_intervention_needs_someone_to_deliver_it(case_manager: User, north_client: Client) -> None:
    plan = plan_with_goal(north_client, case_manager)
    goal = plan.goals.get()
    with pytest.raises(ValidationError) as caught:
        services.intervention_save(
            actor=case_manager, goal=goal, data=intervention_data(plan, case_manager, staff=None)
        )
    assert "provider" in caught.value.message_dict
    external = services.intervention_save(
        actor=case_manager,
        goal=goal,
        data=intervention_data(plan, case_manager, staff=None, provider="Camillus House"),
    )
    assert external.delivered_by == "Camillus House"


# --- The lifecycle -----------------------------------------------------------------------------


def test_full_lifecycle_with_approval_records_every_step(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_with_goal(north_client, case_manager)
    services.plan_record_meeting(
        actor=case_manager,
        plan=plan,
        meeting_date=TODAY(),
        participants="Maria (client), Casey",
        client_participated=True,
        notes="Maria chose housing first.",
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.MEETING_RECORDED
    services.plan_finalize(actor=case_manager, plan=plan, agreement="verbal")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FINALIZED and plan.approval_required
    services.plan_approve(actor=supervisor, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.approved_by == supervisor
    services.plan_start_review(actor=case_manager, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.UNDER_REVIEW
    goal = plan.goals.get()
    services.plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=TODAY(),
        decision="close",
        justification="Housed and stable; Maria asked to end case management.",
        goal_progress=[
            services.GoalProgress(
                goal=goal,
                progress=Progress.MET,
                current_value="30 nights",
                current_number=Decimal(30),
            )
        ],
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    steps = list(PlanEvent.objects.filter(plan=plan).values_list("from_status", "to_status"))
    assert steps == [
        ("", "draft"),
        ("draft", "meeting_recorded"),
        ("meeting_recorded", "finalized"),
        ("finalized", "active"),
        ("active", "under_review"),
        ("under_review", "closed"),
    ]
    assert plan.history.first().history_user == case_manager


def test_without_required_approval_finalizing_activates(
    case_manager: User, north_client: Client, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(plan_approval_required=False)
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    assert plan.status == PlanStatus.ACTIVE and not plan.approval_required


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (PlanStatus.DRAFT, "finalize", "Record the planning meeting before finalizing"),
        (PlanStatus.DRAFT, "approve", "Only a finalized plan"),
        (PlanStatus.DRAFT, "start_review", "cannot become under review"),
        (PlanStatus.MEETING_RECORDED, "meeting", "cannot become planning meeting recorded"),
        (PlanStatus.ACTIVE, "finalize", "cannot be finalized"),
        (PlanStatus.ACTIVE, "goal", "can no longer change"),
        (PlanStatus.FINALIZED, "goal", "can no longer change"),
        (PlanStatus.FINALIZED, "revise", "Only an active plan"),
        (PlanStatus.DRAFT, "review", "Only an active plan can be reviewed"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    case_manager: User,
    supervisor: User,
    north_client: Client,
    status: PlanStatus,
    action: str,
    message: str,
) -> None:
    plan = plan_in_status(north_client, case_manager, status, approver=supervisor)
    before = plan.status
    actions = {
        "finalize": lambda: services.plan_finalize(
            actor=case_manager, plan=plan, agreement="signed"
        ),
        "approve": lambda: services.plan_approve(actor=supervisor, plan=plan),
        "start_review": lambda: services.plan_start_review(actor=case_manager, plan=plan),
        "meeting": lambda: services.plan_record_meeting(
            actor=case_manager,
            plan=plan,
            meeting_date=TODAY(),
            participants="x",
            client_participated=True,
            notes="",
        ),
        "goal": lambda: services.goal_save(actor=case_manager, plan=plan, data=goal_data(plan)),
        "revise": lambda: services.plan_revise(actor=case_manager, plan=plan, reason="x"),
        "review": lambda: services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=TODAY(),
            decision="continue",
            justification="",
            goal_progress=[],
            next_review_date=TODAY(),
        ),
    }
    with pytest.raises(services.InvalidTransition) as caught:
        actions[action]()
    assert message in " ".join(caught.value.messages)
    plan.refresh_from_db()
    assert plan.status == before


def test_meeting_needs_goals_participants_and_the_client_or_a_reason(
    case_manager: User, north_client: Client
) -> None:
    plan = services.plan_create(
        actor=case_manager,
        assessment=completed_assessment(north_client, case_manager),
        service_start=TODAY(),
    )
    with pytest.raises(ValidationError, match="at least one goal"):
        services.plan_record_meeting(
            actor=case_manager,
            plan=plan,
            meeting_date=TODAY(),
            participants="Maria",
            client_participated=True,
            notes="",
        )
    services.goal_save(actor=case_manager, plan=plan, data=goal_data(plan))
    with pytest.raises(ValidationError) as caught:
        services.plan_record_meeting(
            actor=case_manager,
            plan=plan,
            meeting_date=TODAY() + dt.timedelta(days=1),
            participants="",
            client_participated=False,
            notes="",
        )
    assert {"meeting_date", "meeting_participants", "meeting_notes"} <= set(
        caught.value.message_dict
    )


def test_finalize_needs_an_intervention_per_goal_and_a_reason_to_decline(
    case_manager: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.MEETING_RECORDED)
    services.goal_save(
        actor=case_manager,
        plan=plan,
        data=goal_data(plan, domain="mental_health", client_words="Feel less down"),
    )
    with pytest.raises(ValidationError, match="at least one intervention"):
        services.plan_finalize(actor=case_manager, plan=plan, agreement="signed")
    plan.goals.get(client_words="Feel less down").delete()
    with pytest.raises(ValidationError) as caught:
        services.plan_finalize(actor=case_manager, plan=plan, agreement="declined")
    assert "agreement_note" in caught.value.message_dict
    services.plan_finalize(
        actor=case_manager,
        plan=plan,
        agreement="declined",
        agreement_note="Wants to think it over with her sister.",
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FINALIZED


# --- Separation of duties -------------------------------------------------------------------


def test_nobody_approves_their_own_plan(
    team_north: Team, supervisor: User, north_client: Client
) -> None:
    supervisor.is_case_manager = True
    supervisor.save()
    team_north.members.add(supervisor)
    client = make_client(case_manager=supervisor, team=team_north)
    plan = plan_in_status(client, supervisor, PlanStatus.FINALIZED)
    with pytest.raises(PermissionDenied, match="did not write or finalize"):
        services.plan_approve(actor=supervisor, plan=plan)
    assert [e.can_approve for e in approval_queue(supervisor)] == [False]
    second = UserFactory.create(is_supervisor=True, supervises=[team_north])
    services.plan_approve(actor=second, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_only_a_supervisor_of_the_team_approves(
    case_manager: User, other_team_supervisor: User, teammate: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    for outsider in (case_manager, teammate, other_team_supervisor):
        with pytest.raises(PermissionDenied):
            services.plan_approve(actor=outsider, plan=plan)
    assert approval_queue(other_team_supervisor) == []


def test_return_sends_the_plan_back_with_a_comment(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    with pytest.raises(ValidationError):
        services.plan_return(actor=supervisor, plan=plan, note=" ")
    services.plan_return(actor=supervisor, plan=plan, note="Add a goal for her benefits.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.MEETING_RECORDED
    assert plan.returned_note == "Add a goal for her benefits."
    services.goal_save(
        actor=case_manager, plan=plan, data=goal_data(plan, domain="finances_benefits")
    )


# --- Reviews and revisions -------------------------------------------------------------------


def _progress(
    plan: ServicePlan, progress: str = Progress.IN_PROGRESS, number: int | None = 12
) -> list[services.GoalProgress]:
    return [
        services.GoalProgress(
            goal=g,
            progress=progress,
            current_value=f"{number} nights",
            current_number=None if number is None else Decimal(number),
        )
        for g in plan.goals.all()
    ]


def test_review_continue_sets_the_next_review_within_the_rules(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    with pytest.raises(ValidationError) as late:
        services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=TODAY(),
            decision="continue",
            justification="",
            goal_progress=_progress(plan),
            next_review_date=TODAY() + dt.timedelta(days=91),
        )
    assert "next_review_date" in late.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=TODAY(),
            decision="continue",
            justification="",
            goal_progress=_progress(plan),
            next_review_date=TODAY() + dt.timedelta(days=10),
        )
    assert "early_review_reason" in early.value.message_dict
    review, revision = services.plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=TODAY(),
        decision="continue",
        justification="",
        goal_progress=_progress(plan),
        next_review_date=TODAY() + dt.timedelta(days=60),
    )
    plan.refresh_from_db()
    assert revision is None and plan.status == PlanStatus.ACTIVE
    assert plan.review_due == TODAY() + dt.timedelta(days=60)
    assert review.goal_reviews.get().progress == Progress.IN_PROGRESS


def test_review_needs_every_goal_and_a_justification_for_change(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.UNDER_REVIEW, approver=supervisor)
    with pytest.raises(ValidationError, match="every goal"):
        services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=TODAY(),
            decision="close",
            justification="Done",
            goal_progress=[],
        )
    for decision in ("revise", "switch_provider", "close"):
        with pytest.raises(ValidationError) as caught:
            services.plan_review_record(
                actor=case_manager,
                plan=plan,
                reviewed_on=TODAY(),
                decision=decision,
                justification="  ",
                goal_progress=_progress(plan),
            )
        assert "justification" in caught.value.message_dict


def test_revise_creates_a_new_version_and_supersedes_on_activation(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    _review, revision = services.plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=TODAY(),
        decision="switch_provider",
        justification="The shelter program closed; move to Camillus House.",
        goal_progress=_progress(plan, Progress.PARTIALLY_MET),
    )
    assert revision is not None and revision.version == 2 and revision.previous == plan
    assert revision.status == PlanStatus.DRAFT
    assert revision.revision_reason.startswith("The shelter program closed")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.UNDER_REVIEW  # still in force until v2 is approved
    with pytest.raises(services.InvalidTransition, match="already in progress"):
        services.plan_revise(actor=case_manager, plan=plan, reason="again")
    goal = revision.goals.get()
    intervention = goal.interventions.get()
    services.intervention_save(
        actor=case_manager,
        goal=goal,
        intervention=intervention,
        data={"staff": None, "provider": "Camillus House"},
    )
    services.goal_save(
        actor=case_manager,
        plan=revision,
        data=goal_data(revision, domain="mental_health", client_words="Sleep through the night"),
    )
    services.plan_record_meeting(
        actor=case_manager,
        plan=revision,
        meeting_date=TODAY(),
        participants="Maria, Casey",
        client_participated=True,
        notes="",
    )
    new_goal = revision.goals.get(client_words="Sleep through the night")
    services.intervention_save(
        actor=case_manager, goal=new_goal, data=intervention_data(revision, case_manager)
    )
    services.plan_finalize(actor=case_manager, plan=revision, agreement="signed")
    services.plan_approve(actor=supervisor, plan=revision)
    plan.refresh_from_db()
    revision.refresh_from_db()
    assert revision.status == PlanStatus.ACTIVE
    assert plan.status == PlanStatus.SUPERSEDED
    # The earlier version is still readable, with its own goals.
    assert plan.goals.get().interventions.get().staff == case_manager
    diff = plan_diff(plan, revision)
    kinds = {(item.kind, item.title) for item in diff}
    assert ("added", "Sleep through the night") in kinds
    changed = next(item for item in diff if item.kind == "changed")
    assert [(c.kind, [(f.label, f.old, f.new) for f in c.changes]) for c in changed.children] == [
        (
            "changed",
            [
                ("delivered by (staff member)", str(case_manager), "—"),
                ("delivered by (provider or person)", "—", "Camillus House"),
            ],
        )
    ]


def test_goal_progress_points_follow_the_goal_across_versions(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    goal = plan.goals.get()
    _, revision = services.plan_review_record(
        actor=case_manager,
        plan=plan,
        reviewed_on=TODAY(),
        decision="revise",
        justification="Add a goal",
        goal_progress=_progress(plan, number=12),
    )
    assert revision is not None
    points = goal_progress_points(case_manager, north_client, revision.goals.get())
    assert points == [(plan.service_start, 0.0), (TODAY(), 12.0)]
    assert goal_progress_points(case_manager, north_client, goal) == points


def test_plans_due_for_review_for_my_caseload_and_supervised_teams(
    case_manager: User,
    teammate: User,
    supervisor: User,
    team_north: Team,
    north_client: Client,
) -> None:
    due = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    ServicePlan.objects.filter(pk=due.pk).update(review_due=TODAY() + dt.timedelta(days=3))
    later_client = make_client(case_manager=case_manager, team=team_north)
    later = plan_in_status(later_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    ServicePlan.objects.filter(pk=later.pk).update(review_due=TODAY() + dt.timedelta(days=40))
    theirs_client = make_client(case_manager=teammate, team=team_north)
    theirs = plan_in_status(theirs_client, teammate, PlanStatus.ACTIVE, approver=supervisor)
    ServicePlan.objects.filter(pk=theirs.pk).update(
        service_start=TODAY() - dt.timedelta(days=80), review_due=TODAY() - dt.timedelta(days=2)
    )
    assert [p.pk for p in plans_due_for_review(case_manager)] == [due.pk]
    assert [p.pk for p in plans_due_for_review(teammate)] == [theirs.pk]
    assert [p.pk for p in plans_due_for_review(supervisor)] == [theirs.pk, due.pk]


def test_a_completed_assessment_cannot_change_even_below_the_orm(
    case_manager: User, north_client: Client
) -> None:
    from django.db import IntegrityError, transaction

    from careplans.models import DomainNeed

    assessment = completed_assessment(north_client, case_manager)
    for write in (
        lambda: Assessment.objects.filter(pk=assessment.pk).update(strengths="rewritten"),
        lambda: DomainNeed.objects.filter(assessment=assessment).update(level="low"),
        lambda: Assessment.objects.filter(pk=assessment.pk).delete(),
    ):
        with (
            pytest.raises(IntegrityError, match="completed assessment cannot be changed"),
            transaction.atomic(),
        ):
            write()
    assessment.refresh_from_db()
    assert assessment.strengths.startswith("Close to her sister")
