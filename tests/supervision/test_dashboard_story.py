"""The story behind the dashboard tests: a supervised team (North) with two case managers
and a small, varied caseload built through the real services over several months of 2026,
another team of the same supervisor (East), and another supervisor's team (South).

The dashboard tests assert figures computed by hand from this story; the tests in this
module check the facts of the story those computations rest on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from careplans.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Domain,
    DomainNeed,
    Goal,
    NeedLevel,
    ServicePlan,
)
from careplans.services import plans as plan_services
from casemgmt.accounts.models import Agency, Team, User
from clients import crisis_services
from clients import services as client_services
from clients.models import Client, CrisisEvent, SafetyFlag
from notes.models import CaseNote, ContactType
from notes.services import note_sign
from referrals.models import Referral, ReferralStatus, Service
from referrals.services import referrals as referral_services

from ..careplans.plan_fixtures import goal_data, intervention_data
from ..clients.test_crisis_events import make_crisis
from ..factories import TeamFactory, UserFactory, make_client
from ..notes.note_fixtures import draft_note
from ..referrals.referral_fixtures import make_service, release_for
from ..reminders.reminder_fixtures import act, at, on

#: The day the dashboard is read (a Monday).
TODAY = dt.date(2026, 6, 15)
#: The default date range: the 90 days before today, and today.
RANGE_START = dt.date(2026, 3, 17)
#: Most clients were enrolled on this day (a Monday).
ENROLLED = dt.date(2026, 2, 2)

#: Non-default acuity weights, so the weighted load shows that the settings are used.
WEIGHT_CRISIS = 5
WEIGHT_FLAG = 4
WEIGHT_HIGH_NEED = 2


@dataclass
class Story:
    agency: Agency
    north: Team
    east: Team
    casey: User
    terry: User
    eve: User
    supervisor: User
    service: Service
    clients: dict[str, Client] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    plans: dict[str, ServicePlan] = field(default_factory=dict)
    notes: dict[str, CaseNote] = field(default_factory=dict)


def assessment(
    client: Client,
    actor: User,
    *,
    on_day: dt.date,
    highs: int,
    completed: bool = True,
    kind: str = AssessmentKind.INTAKE,
) -> Assessment:
    """An assessment with its first `highs` domains rated high and the rest low (written
    directly: the dashboard only reads assessments)."""
    done = AssessmentStatus.COMPLETED if completed else AssessmentStatus.DRAFT
    row = Assessment.objects.create(
        client=client,
        kind=kind,
        status=done,
        assessed_on=on_day,
        created_by=actor,
        completed_by=actor if completed else None,
        completed_at=at(on_day) if completed else None,
    )
    DomainNeed.objects.bulk_create(
        DomainNeed(
            assessment=row,
            domain=domain,
            level=NeedLevel.HIGH if i < highs else NeedLevel.LOW,
        )
        for i, domain in enumerate(Domain.values)
    )
    return row


def active_plan(client: Client, actor: User, base: Assessment, *, goals: int = 1) -> ServicePlan:
    """A plan starting today (the travelled day), walked to active through the services
    (this agency needs no approval)."""
    plan = plan_services.plan_create(
        actor=actor, assessment=base, service_start=timezone.localdate()
    )
    for n in range(goals):
        goal = plan_services.goal_save(
            actor=actor, plan=plan, data=goal_data(plan, client_words=f"Goal number {n + 1}")
        )
        plan_services.intervention_save(actor=actor, goal=goal, data=intervention_data(plan, actor))
    plan_services.plan_record_meeting(
        actor=actor,
        plan=plan,
        meeting_date=timezone.localdate(),
        participants="The client and the case manager",
        client_participated=True,
        notes="",
    )
    plan_services.plan_finalize(actor=actor, plan=plan, agreement="signed")
    return ServicePlan.objects.get(pk=plan.pk)


def first_goal(plan: ServicePlan) -> Goal:
    return plan.goals.order_by("position", "pk")[0]


def send(client: Client, actor: User, plan: ServicePlan, service: Service) -> Referral:
    """A referral for the plan's first goal, sent today (the travelled day)."""
    today = timezone.localdate()
    referral = referral_services.referral_create(
        actor=actor,
        goal=first_goal(plan),
        service=service,
        offered=[service],
        data={
            "reason": "Needs housing",
            "presenting_issue_summary": "Facing eviction.",
            "desired_services": "Rapid re-housing",
            "urgency": "urgent",
            "target_date": today + dt.timedelta(days=30),
            "review_date": today + dt.timedelta(days=14),
        },
    )
    referral_services.referral_send(
        actor=actor, referral=referral, provider_email="intake@provider.example"
    )
    return Referral.objects.get(pk=referral.pk)


def signed(
    client: Client, author: User, contact: dt.datetime, signed_on: dt.date, **kw: Any
) -> CaseNote:
    """A note of a contact at `contact`, drafted and signed at noon on `signed_on`."""
    with on(signed_on):
        note = draft_note(client, author, contact_at=contact, **kw)
        return note_sign(actor=author, note=note)


def crisis(client: Client, actor: User) -> CrisisEvent:
    """A crisis event recorded today (the travelled day), two hours ago."""
    now = at(timezone.localdate())
    return make_crisis(
        actor,
        client,
        occurred_at=now - dt.timedelta(hours=2),
        follow_up_on=timezone.localdate() + dt.timedelta(days=1),
    )


def build_story(
    *,
    team_north: Team,
    team_south: Team,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
) -> Story:
    """The whole story; see the module docstring of test_dashboard.py for what it holds."""
    agency = team_north.agency
    assert team_south.agency_id == agency.pk  # one agency, as in an installation
    agency.acuity_weight_crisis = WEIGHT_CRISIS
    agency.acuity_weight_safety_flag = WEIGHT_FLAG
    agency.acuity_weight_high_need = WEIGHT_HIGH_NEED
    agency.plan_approval_required = False
    agency.save()

    east = TeamFactory.create(agency=agency, name="East")
    east.supervisors.add(supervisor)
    eve = UserFactory.create(full_name="Eve East", is_case_manager=True, teams=[east])
    # Neither counts: not active, or not a case manager.
    UserFactory.create(
        full_name="Ina Active", is_case_manager=True, is_active=False, teams=[team_north]
    )
    UserFactory.create(full_name="Sue Pervisor", is_supervisor=True, teams=[team_north])

    with on(ENROLLED):
        service = make_service()
        casey, terry = case_manager, teammate
        c: dict[str, Client] = {
            "a1": make_client(case_manager=casey, team=team_north, legal_first_name="Ana"),
            "a2": make_client(case_manager=casey, team=team_north, legal_first_name="Ben"),
            "a3": make_client(case_manager=casey, team=team_north, legal_first_name="Cal"),
            "b1": make_client(case_manager=terry, team=team_north, legal_first_name="Dee"),
            "e1": make_client(case_manager=eve, team=east, legal_first_name="Eli"),
            "s1": make_client(
                case_manager=other_team_case_manager, team=team_south, legal_first_name="Sol"
            ),
        }
        # Ana's first assessment: three domains high; a later one replaces it.
        assessment(c["a1"], casey, on_day=ENROLLED, highs=3)
    story = Story(
        agency=agency,
        north=team_north,
        east=east,
        casey=casey,
        terry=terry,
        eve=eve,
        supervisor=supervisor,
        service=service,
        clients=c,
    )

    # Ana (Casey): reassessed with one high domain; the plan's review falls due on May 10.
    with on(dt.date(2026, 2, 9)):
        base = assessment(
            c["a1"], casey, on_day=dt.date(2026, 2, 9), highs=1, kind=AssessmentKind.REASSESSMENT
        )
        story.plans["a1"] = active_plan(c["a1"], casey, base)
    # Terry's Dee: two high domains, a plan with four goals, reviewed in May.
    with on(dt.date(2026, 2, 20)):
        base = assessment(c["b1"], terry, on_day=dt.date(2026, 2, 20), highs=2)
        story.plans["b1"] = active_plan(c["b1"], terry, base, goals=4)
    # Cal is discharged: none of his figures count.
    with on(dt.date(2026, 3, 1)):
        client_services.episode_discharge(
            actor=casey,
            client=c["a3"],
            discharged_on=dt.date(2026, 3, 1),
            reason="goals_met",
            plan="Knows how to come back.",
        )
    # Ana's plan reviewed early in March (before the range): continue, next review May 10;
    # the goal was not met.
    with on(dt.date(2026, 3, 2)):
        plan = story.plans["a1"]
        plan_services.plan_review_record(
            actor=casey,
            plan=plan,
            reviewed_on=dt.date(2026, 3, 2),
            decision="continue",
            justification="",
            goal_progress=[plan_services.GoalProgress(goal=first_goal(plan), progress="not_met")],
            next_review_date=dt.date(2026, 5, 10),
        )
        # Dee's first referral (Terry), sent before the range.
        release_for(c["b1"], terry, service)
        story.referrals["R4"] = send(c["b1"], terry, story.plans["b1"], service)
    with on(dt.date(2026, 3, 3)):
        act(story.referrals["R4"], terry, "accept")
    with on(dt.date(2026, 3, 20)):
        act(story.referrals["R4"], terry, "start", on=dt.date(2026, 3, 20))
    # Ben (Casey): a crisis, closed two days later.
    with on(dt.date(2026, 3, 10)):
        ben_crisis = crisis(c["a2"], casey)
    with on(dt.date(2026, 3, 12)):
        crisis_services.crisis_event_close(
            actor=casey, event=ben_crisis, closing_note="Spoke with her; she is safe."
        )
    # Ana's referrals (Casey): R2 goes all the way; R3 starts with an intake nobody
    # recorded attendance at.
    with on(dt.date(2026, 4, 1)):
        release_for(c["a1"], casey, service)
        story.referrals["R2"] = send(c["a1"], casey, story.plans["a1"], service)
        flag = client_services.safety_flag_raise(
            actor=casey, client=c["a2"], reason="PHQ-9 item 9 above 0"
        )
    with on(dt.date(2026, 4, 2)):
        act(story.referrals["R2"], casey, "accept")
        client_services.safety_flag_resolve(
            actor=casey, flag=flag, follow_up="Safety plan reviewed."
        )
    with on(dt.date(2026, 4, 6)):
        story.referrals["R3"] = send(c["a1"], casey, story.plans["a1"], service)
    with on(dt.date(2026, 4, 7)):
        act(story.referrals["R3"], casey, "accept")
        act(story.referrals["R3"], casey, "schedule_intake", on=dt.date(2026, 4, 9))
    with on(dt.date(2026, 4, 10)):
        act(story.referrals["R3"], casey, "start", on=dt.date(2026, 4, 10))
    with on(dt.date(2026, 4, 11)):
        act(story.referrals["R2"], casey, "start", on=dt.date(2026, 4, 11))
    # Ben's plan (no high domain) and referrals: R5 declined, R6 waiting.
    with on(dt.date(2026, 4, 20)):
        base = assessment(c["a2"], casey, on_day=dt.date(2026, 4, 20), highs=0)
        story.plans["a2"] = active_plan(c["a2"], casey, base)
    with on(dt.date(2026, 5, 1)):
        client_services.safety_flag_raise(
            actor=casey, client=c["a2"], reason="Said she feels unsafe at home"
        )
    with on(dt.date(2026, 5, 4)):
        release_for(c["a2"], casey, service)
        story.referrals["R5"] = send(c["a2"], casey, story.plans["a2"], service)
        # Another supervisor's team: never counted for North.
        base = assessment(c["s1"], other_team_case_manager, on_day=dt.date(2026, 5, 4), highs=0)
        south_plan = active_plan(c["s1"], other_team_case_manager, base)
        release_for(c["s1"], other_team_case_manager, service)
        story.referrals["R7"] = send(c["s1"], other_team_case_manager, south_plan, service)
    with on(dt.date(2026, 5, 5)):
        act(story.referrals["R5"], casey, "decline", note="No capacity this month.")
    # Dee's plan review in May: goals met, met, partially met, not met; continue.
    with on(dt.date(2026, 5, 15)):
        plan = story.plans["b1"]
        goals = list(plan.goals.order_by("position", "pk"))
        progress = ["met", "met", "partially_met", "not_met"]
        plan_services.plan_review_record(
            actor=terry,
            plan=plan,
            reviewed_on=dt.date(2026, 5, 15),
            decision="continue",
            justification="",
            goal_progress=[
                plan_services.GoalProgress(goal=goal, progress=p)
                for goal, p in zip(goals, progress, strict=True)
            ],
            next_review_date=dt.date(2026, 8, 10),
        )
    with on(dt.date(2026, 5, 19)):
        referral_services.referral_fit_review(
            actor=terry, referral=story.referrals["R4"], decision="continue", note=""
        )
    with on(dt.date(2026, 5, 20)):
        c["b2"] = make_client(case_manager=terry, team=team_north, legal_first_name="Eva")
        act(story.referrals["R2"], casey, "complete", outcome="connected")
    with on(dt.date(2026, 6, 1)):
        story.referrals["R1"] = send(c["b1"], terry, story.plans["b1"], service)
        crisis(c["a1"], casey)
        assessment(c["a1"], casey, on_day=dt.date(2026, 6, 1), highs=4, completed=False)
    with on(dt.date(2026, 6, 12)):
        story.referrals["R6"] = send(c["a2"], casey, story.plans["a2"], service)

    # Notes. Late entries: signed more than 72 hours after the contact.
    story.notes["a1_visit"] = signed(
        c["a1"], casey, at(dt.date(2026, 6, 5), 10), dt.date(2026, 6, 5)
    )
    story.notes["a1_late"] = signed(
        c["a1"],
        casey,
        at(dt.date(2026, 5, 1), 10),
        dt.date(2026, 5, 6),
        contact_type=ContactType.PHONE,
    )
    story.notes["a1_late_before_range"] = signed(
        c["a1"], casey, at(dt.date(2026, 3, 1), 10), dt.date(2026, 3, 10)
    )
    story.notes["a2_attempt"] = signed(
        c["a2"],
        casey,
        at(dt.date(2026, 6, 10), 10),
        dt.date(2026, 6, 10),
        contact_type=ContactType.ATTEMPTED,
    )
    story.notes["b1_office"] = signed(
        c["b1"],
        terry,
        at(dt.date(2026, 5, 16), 10),
        dt.date(2026, 5, 16),
        contact_type=ContactType.OFFICE,
    )
    with on(TODAY, 9):
        story.notes["a1_draft"] = draft_note(
            c["a1"], casey, contact_at=at(dt.date(2026, 6, 10), 10)
        )
        story.notes["a2_draft"] = draft_note(c["a2"], casey, contact_at=at(dt.date(2026, 6, 14), 9))
        story.notes["b1_draft"] = draft_note(c["b1"], terry, contact_at=at(dt.date(2026, 6, 1), 10))
    return story


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    """Every test reads the dashboard at noon on TODAY, agency time."""
    with on(TODAY):
        yield


# --- The facts the hand computations rest on ---------------------------------------------------


def test_the_referrals_reached_the_statuses_the_story_says(story: Story) -> None:
    statuses = {name: Referral.objects.get(pk=r.pk).status for name, r in story.referrals.items()}
    assert statuses == {
        "R1": ReferralStatus.SENT,
        "R2": ReferralStatus.COMPLETED,
        "R3": ReferralStatus.IN_PROGRESS,
        "R4": ReferralStatus.IN_PROGRESS,
        "R5": ReferralStatus.REJECTED,
        "R6": ReferralStatus.SENT,
        "R7": ReferralStatus.SENT,
    }
    r3 = Referral.objects.get(pk=story.referrals["R3"].pk)
    assert (r3.intake_on, r3.attended_intake, r3.service_started_on) == (
        dt.date(2026, 4, 9),
        None,
        dt.date(2026, 4, 10),
    )
    assert Referral.objects.get(pk=story.referrals["R4"].pk).fit_review_on == dt.date(2026, 5, 19)


def test_the_notes_are_late_exactly_where_the_story_says(story: Story) -> None:
    late = {
        name for name, note in story.notes.items() if CaseNote.objects.get(pk=note.pk).late_entry
    }
    assert late == {"a1_late", "a1_late_before_range"}


def test_the_plans_and_flags_are_as_the_story_says(story: Story) -> None:
    plans = {name: ServicePlan.objects.get(pk=p.pk) for name, p in story.plans.items()}
    assert {name: (p.status, p.review_due) for name, p in plans.items()} == {
        "a1": ("active", dt.date(2026, 5, 10)),
        "a2": ("active", dt.date(2026, 7, 19)),
        "b1": ("active", dt.date(2026, 8, 10)),
    }
    c = story.clients
    assert Client.objects.get(pk=c["a3"].pk).status == "discharged"
    assert SafetyFlag.objects.filter(client=c["a2"], resolved_at__isnull=True).count() == 1
    assert SafetyFlag.objects.filter(client=c["a2"]).count() == 2
    assert CrisisEvent.objects.filter(client=c["a1"], closed_at__isnull=True).count() == 1
    assert CrisisEvent.objects.filter(client=c["a2"], closed_at__isnull=True).count() == 0
