"""The staffing-meeting part of the demo data, written after the clients, plans, referrals
and notes of `manage.py seed_demo`:

- last week's meeting of the first supervised team, held and recorded: its agenda built
  from the clients flagged that day, three clients discussed with minutes, one plan update
  (on a client with a plan in force) and one task, for the clients' case managers; so the
  clients' files hold signed case conference notes, the plan an event, and the case
  managers' lists the two tasks;
- next week's meeting of the same team, planned, its agenda built from today's flags.

Everything goes through the meeting services as the team's supervisor, so the rules hold
as in the application. Where `time_machine` is installed (the dev dependency group, so
`make demo`), last week's meeting is planned and recorded at its own moment, so the notes'
contact and signing times, and the plan event, agree with the story.

Idempotent: a team that already has a held meeting gets no other held one, and one that
has a planned meeting gets no other planned one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Exists, OuterRef
from django.utils import timezone

from careplans.models import PlanEvent, PlanReview, PlanStatus, ServicePlan
from careplans.services.staffing import IN_FORCE
from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client, ClientStatus

from . import meeting_selectors as selectors
from .meeting_services import (
    agenda_item_add,
    agenda_item_minutes_save,
    decision_add,
    meeting_create,
    meeting_record,
)
from .models import AgendaItem, AgendaReason, DecisionKind, MeetingStatus, StaffingMeeting

try:
    import time_machine
except ImportError:  # pragma: no cover - installed with the dev dependency group
    time_machine = None  # type: ignore[assignment]

#: How many clients last week's meeting discussed.
DISCUSSED = 3
MEETING_HOUR = 10

#: What the team said, by the client's most urgent flag ({name}: the client's first name,
#: {cm}: the case manager's).
MINUTES = {
    AgendaReason.CRISIS: (
        "{cm} presented the crisis event: {name} called the office in acute distress; the "
        "safety plan was reviewed on the phone and the crisis line number given. Since then "
        "{name} has kept two appointments. The team agreed the crisis follow-up stays open "
        "until the psychiatry appointment has happened."
    ),
    AgendaReason.SAFETY_FLAG: (
        "{cm} presented the PHQ-9 answer that raised the safety flag. {name} said at the "
        "last visit that the thoughts come at night and that there is no plan. The team "
        "went through the safety plan and the follow-up still to be recorded."
    ),
    AgendaReason.PLAN_OVERDUE: (
        "The service plan review is overdue. {cm} reported progress on the housing goal "
        "(two applications in) and no progress on the employment goal, which {name} says "
        "is not a priority now."
    ),
    AgendaReason.REFERRAL_STALLED: (
        "The referral has stalled: the provider has not confirmed the intake. {cm} called "
        "twice and left messages. The team discussed offering {name} the second provider "
        "on the list if there is no answer this week."
    ),
    AgendaReason.NO_CONTACT: (
        "No direct contact with {name} for over a month; two calls went unanswered. {cm} "
        "will try a home visit. The team reminded everyone to check the release before "
        "calling the emergency contact."
    ),
}
ADDED_MINUTES = (
    "{cm} asked to discuss {name}'s plan: the goals were written before the eviction "
    "notice and no longer fit. The team agreed the plan should change."
)
PLAN_UPDATE = (
    "Add a goal on keeping the apartment (eviction notice) and review the interventions "
    "with {name}."
)
#: The task the team gives, by the client's most urgent flag.
TASKS = {
    AgendaReason.CRISIS: "Check that {name} saw the psychiatrist, then close the crisis follow-up.",
    AgendaReason.SAFETY_FLAG: "Record the safety follow-up with {name} this week.",
    AgendaReason.PLAN_OVERDUE: "Book the plan review with {name}.",
    AgendaReason.REFERRAL_STALLED: (
        "Call the provider about the intake date and let {name} know the answer."
    ),
    AgendaReason.NO_CONTACT: "Try a home visit; if {name} is not in, leave a card.",
}
ADDED_TASK = "Talk the new plan through with {name} before the review."


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Run the enclosed services as if at `moment`, where time_machine is installed."""
    if time_machine is None or moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _team(agency: Agency) -> tuple[Team, User] | None:
    """The first team (by name) with an active supervisor and active clients."""
    for team in Team.objects.filter(agency=agency).order_by("name", "pk"):
        supervisors = selectors.team_supervisors(team)
        if supervisors and Client.objects.filter(team=team, status=ClientStatus.ACTIVE).exists():
            return team, supervisors[0]
    return None


def _case_managers(team: Team) -> list[User]:
    return [u for u in selectors.team_people(team) if u.is_case_manager]


def _first_name(client: Client) -> str:
    return client.preferred_name or client.legal_first_name


def _plan_client(team: Team, since: dt.datetime) -> Client | None:
    """An active client with a plan in force that nothing has reviewed or replaced since
    `since` (so the plan update stays open on the demo)."""
    reviewed = PlanReview.objects.filter(
        plan__client_id=OuterRef("client_id"), created_at__gte=since
    )
    replaced = PlanEvent.objects.filter(
        plan__client_id=OuterRef("client_id"),
        plan__version__gt=OuterRef("version"),
        to_status=PlanStatus.ACTIVE,
        at__gte=since,
    )
    plan = (
        ServicePlan.objects.filter(
            client__team=team, client__status=ClientStatus.ACTIVE, status__in=IN_FORCE
        )
        .exclude(Exists(reviewed))
        .exclude(Exists(replaced))
        .select_related("client")
        .order_by("client__record_number", "-version")
        .first()
    )
    return plan.client if plan is not None else None


class SupervisionSeeder:
    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.today = timezone.localdate()

    def run(self) -> list[str]:
        found = _team(self.agency)
        if found is None:
            return [
                "Staffing meetings: no team with a supervisor and clients; run seed_demo first."
            ]
        team, supervisor = found
        meetings = StaffingMeeting.objects.filter(team=team)
        lines = []
        if meetings.filter(status=MeetingStatus.HELD).exists():
            lines.append(f"Staffing meetings: team {team} already has a held meeting")
        else:
            lines.append(self._held(team, supervisor))
        if meetings.filter(status=MeetingStatus.PLANNED).exists():
            lines.append(f"Staffing meetings: team {team} already has a planned meeting")
        else:
            lines.append(self._planned(team, supervisor))
        return lines

    def _held(self, team: Team, supervisor: User) -> str:
        held_at = _local(self.today - dt.timedelta(days=7), MEETING_HOUR)
        attendees = _case_managers(team)
        with _at(held_at - dt.timedelta(days=1)):
            meeting = meeting_create(
                actor=supervisor,
                team=team,
                scheduled_at=held_at,
                facilitator=supervisor,
                attendees=attendees,
            )
        items = list(
            meeting.items.select_related("client__primary_case_manager").order_by("position")
        )
        plan_client = _plan_client(team, held_at)
        plan_item = next((i for i in items if plan_client and i.client_id == plan_client.pk), None)
        if plan_client is not None and plan_item is None:
            with _at(held_at - dt.timedelta(days=1)):
                plan_item = agenda_item_add(
                    actor=supervisor,
                    meeting=meeting,
                    client_term=plan_client.record_number,
                    because="Plan no longer fits after the eviction notice.",
                )
            plan_item = AgendaItem.objects.select_related("client__primary_case_manager").get(
                pk=plan_item.pk
            )
        # The most urgent client, a stalled referral if there is one, the plan to update,
        # then the next on the agenda, up to three.
        stalled = next((i for i in items if AgendaReason.REFERRAL_STALLED in i.reasons), None)
        discussed: list[AgendaItem] = []
        for item in [*items[:1], stalled, plan_item, *items[1:]]:
            if item is not None and item not in discussed and len(discussed) < DISCUSSED:
                discussed.append(item)
        plan_updates = tasks = 0
        with _at(held_at + dt.timedelta(minutes=50)):
            for item in discussed:
                self._minutes(item, supervisor)
            if plan_item is not None:
                self._decide(item=plan_item, actor=supervisor, kind=DecisionKind.PLAN_UPDATE)
                plan_updates += 1
            task_item = stalled if stalled in discussed and stalled != plan_item else None
            task_item = task_item or next((i for i in discussed if i != plan_item), None)
            if task_item is not None:
                self._decide(item=task_item, actor=supervisor, kind=DecisionKind.TASK)
                tasks += 1
        with _at(held_at + dt.timedelta(hours=1)):
            result = meeting_record(
                actor=supervisor,
                meeting=meeting,
                held_at=held_at,
                facilitator=supervisor,
                attendees=attendees,
            )
        return (
            f"Staffing meetings: last week's meeting of team {team} held, "
            f"{meeting.items.count()} on the agenda, {len(result.notes)} case conference notes, "
            f"{plan_updates} plan update, {tasks} task"
        )

    def _minutes(self, item: AgendaItem, actor: User) -> None:
        fill = {"name": _first_name(item.client), "cm": item.client.primary_case_manager}
        text = MINUTES[AgendaReason(item.reasons[0])] if item.reasons else ADDED_MINUTES
        agenda_item_minutes_save(
            actor=actor,
            item=item,
            discussed=True,
            minutes=text.format(**fill),
            discussion_minutes=15 if item.reasons else 10,
        )

    def _decide(self, *, item: AgendaItem, actor: User, kind: DecisionKind) -> None:
        name = _first_name(item.client)
        people = {u.pk for u in selectors.team_people(item.meeting.team)}
        primary = item.client.primary_case_manager
        if kind == DecisionKind.PLAN_UPDATE:
            text = PLAN_UPDATE
        else:
            text = TASKS[AgendaReason(item.reasons[0])] if item.reasons else ADDED_TASK
        days = 14 if kind == DecisionKind.PLAN_UPDATE else 3
        decision_add(
            actor=actor,
            item=item,
            kind=kind,
            text=text.format(name=name),
            assigned_to=primary if primary.pk in people else actor,
            due_on=self.today - dt.timedelta(days=7) + dt.timedelta(days=days),
        )

    def _planned(self, team: Team, supervisor: User) -> str:
        meeting = meeting_create(
            actor=supervisor,
            team=team,
            scheduled_at=_local(self.today + dt.timedelta(days=7), MEETING_HOUR),
            facilitator=supervisor,
            attendees=_case_managers(team),
        )
        return (
            f"Staffing meetings: next week's meeting of team {team} planned, "
            f"{meeting.items.count()} flagged clients on its agenda"
        )


def seed_demo_supervision(*, agency: Agency | None = None) -> list[str]:
    """Seed what is missing for the agency (the first agency when none is given); return
    the summary lines."""
    agency = agency or Agency.objects.order_by("pk").first()
    if agency is None:
        return ["Staffing meetings: no demo agency; run seed_demo first."]
    return SupervisionSeeder(agency).run()


__all__ = ["seed_demo_supervision"]
