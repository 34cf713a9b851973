"""Building blocks for the staffing-meeting tests (no tests of its own): a North team whose
clients each carry one kind of flag, hand-built through the real services on a fixed
calendar, plus clients who must stay off the agenda.

The story starts on START (a Monday). On DAY, forty days later:

- `crisis`       has an open crisis event;
- `safety`       has a safety flag nobody followed up;
- `plan`         has a plan in force whose review was due 10 days ago (contact kept up);
- `referral`     has a referral the provider has not answered since START (contact kept up);
- `no_contact`   has a plan in force and no contact note since START (due after 30 days);
- `quiet`        has a plan in force, a recent contact, a closed crisis, a followed-up safety
                 flag and an unsigned draft note: nothing that belongs on the agenda;
- `discharged`   (North, discharged) and `south` (team South, same agency) each have an open
                 crisis event, and stay off North's agenda.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from casemgmt.supervision import meeting_services as services
from casemgmt.supervision.models import StaffingMeeting
from clients import crisis_services
from clients.models import Client, CrisisEvent, SafetyFlag
from clients.services import episode_discharge, safety_flag_raise, safety_flag_resolve
from notes.models import ContactType

from ..careplans.plan_fixtures import plan_in_status
from ..clients.test_crisis_events import make_crisis
from ..factories import UserFactory, make_client
from ..notes.note_fixtures import draft_note, signed_note
from ..reminders.reminder_fixtures import START, at, on, sent_referral

#: The day the agenda is built.
DAY = START + dt.timedelta(days=40)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def crisis(client: Client, actor: User) -> CrisisEvent:
    occurred = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    return make_crisis(
        actor,
        client,
        occurred_at=occurred,
        follow_up_on=timezone.localdate() + dt.timedelta(days=60),
    )


def contact(client: Client, author: User, **overrides: Any) -> None:
    """A signed note, by default of a phone call with the client (a direct contact)."""
    overrides.setdefault("contact_type", ContactType.PHONE)
    signed_note(client, author, **overrides)


@dataclass
class Flagged:
    crisis: Client
    safety: Client
    plan: Client
    referral: Client
    no_contact: Client
    quiet: Client
    discharged: Client
    south: Client
    plan_in_force: ServicePlan

    @property
    def agenda(self) -> list[Client]:
        """North's flagged active clients, in the order the agenda takes them."""
        return [self.crisis, self.safety, self.plan, self.referral, self.no_contact]


@pytest.fixture
def flagged(
    case_manager: User,
    teammate: User,
    supervisor: User,
    team_north: Team,
    team_south: Team,
    other_team_case_manager: User,
    other_team_supervisor: User,
) -> Flagged:
    assert team_north.agency_id == team_south.agency_id
    with on(START):
        first = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Ana",
            legal_last_name="Crisis",
        )
        safety = make_client(
            case_manager=teammate, team=team_north, legal_first_name="Ben", legal_last_name="Safe"
        )
        plan_client = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Cora",
            legal_last_name="Planner",
        )
        plan = plan_in_status(plan_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
        ServicePlan.objects.filter(pk=plan.pk).update(review_due=DAY - days(10))
        referral_client = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Dev",
            legal_last_name="Referred",
        )
        sent_referral(referral_client, case_manager, supervisor)
        no_contact = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Eli",
            legal_last_name="Unseen",
        )
        plan_in_status(no_contact, case_manager, PlanStatus.ACTIVE, approver=supervisor)
        quiet = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Fay",
            legal_last_name="Quiet",
        )
        plan_in_status(quiet, case_manager, PlanStatus.ACTIVE, approver=supervisor)
        discharged = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Gus",
            legal_last_name="Gone",
        )
        south = make_client(
            case_manager=other_team_case_manager,
            team=team_south,
            legal_first_name="Hal",
            legal_last_name="South",
        )
    with on(DAY - days(3)):
        crisis(first, case_manager)
        safety_flag_raise(actor=teammate, client=safety, reason="PHQ-9 item 9 answered 1")
        closed = crisis(quiet, case_manager)
        crisis_services.crisis_event_close(
            actor=case_manager, event=closed, closing_note="Followed up by phone."
        )
        flag = safety_flag_raise(actor=case_manager, client=quiet, reason="PHQ-9 item 9")
        safety_flag_resolve(actor=case_manager, flag=flag, follow_up="Safety plan reviewed.")
        crisis(discharged, case_manager)
        episode_discharge(
            actor=case_manager,
            client=discharged,
            discharged_on=DAY - days(3),
            reason="moved",
            plan="Moved away.",
        )
        crisis(south, other_team_case_manager)
    with on(DAY - days(1)):
        for client in (plan_client, referral_client, quiet):
            contact(client, case_manager)
    with on(DAY - days(6)):
        draft_note(quiet, case_manager)
    return Flagged(
        crisis=first,
        safety=safety,
        plan=plan_client,
        referral=referral_client,
        no_contact=no_contact,
        quiet=quiet,
        discharged=discharged,
        south=south,
        plan_in_force=ServicePlan.objects.get(pk=plan.pk),
    )


def plan_meeting(
    supervisor: User,
    team: Team,
    *,
    attendees: list[User] | None = None,
    day: dt.date = DAY,
    hour: int = 10,
) -> StaffingMeeting:
    """A meeting of `team` at `hour` on `day`, planned (and its agenda built) at 9."""
    with on(day, hour=9):
        return services.meeting_create(
            actor=supervisor,
            team=team,
            scheduled_at=at(day, hour),
            facilitator=supervisor,
            attendees=attendees or [],
        )


def make_supervisor(team: Team, email: str = "sup2.north@example.org") -> User:
    return UserFactory.create(
        email=email, full_name="Second Supervisor", is_supervisor=True, supervises=[team]
    )


__all__ = [
    "DAY",
    "SafetyFlag",
    "contact",
    "crisis",
    "days",
    "flagged",
    "make_supervisor",
    "plan_meeting",
]
