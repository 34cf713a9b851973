"""Recording a staffing meeting: the minutes of each discussed client become a signed case
conference note in their file; decisions become plan events and tasks on the assignees'
lists, which clear when done (or, for a plan update, when the plan is reviewed or a new
version approved)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import formats

from careplans.models import PlanEvent, PlanReview, PlanStatus, ServicePlan
from careplans.services import plans as plan_services
from casemgmt.accounts.models import Team, User
from casemgmt.reminders import rules
from casemgmt.reminders import selectors as reminder_selectors
from casemgmt.supervision import meeting_selectors as selectors
from casemgmt.supervision import meeting_services as services
from casemgmt.supervision.models import AgendaItem, Decision, MeetingStatus, StaffingMeeting
from clients.models import Client
from notes.models import CaseNote, ContactType, NoteStatus
from notes.services import SignedNoteError, note_draft_update

from ..reminders.reminder_fixtures import at, on, open_reminders, sweep_on
from .test_meeting_fixtures import (
    DAY,
    Flagged,
    days,
    flagged,
    make_supervisor,
    plan_meeting,
)

pytestmark = pytest.mark.django_db
__all__ = ["flagged"]

MINUTES = {
    "crisis": "Casey presented the crisis call; the safety plan holds.",
    "plan": "Housing goal no longer fits after the eviction notice.",
    "referral": "Provider silent for five weeks; two voicemails left.",
    "no_contact": "Two calls unanswered; a home visit is the next try.",
}


@dataclass
class Held:
    meeting: StaffingMeeting
    items: dict[str, AgendaItem]
    plan_update: Decision
    task: Decision
    result: services.Recorded


def _day(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _items(meeting: StaffingMeeting, flagged: Flagged) -> dict[str, AgendaItem]:
    by_client = {item.client_id: item for item in meeting.items.select_related("client")}
    return {
        name: by_client[getattr(flagged, name).pk]
        for name in ("crisis", "safety", "plan", "referral", "no_contact")
    }


def run_meeting(
    flagged: Flagged,
    supervisor: User,
    team: Team,
    attendees: list[User],
    *,
    recorder: User | None = None,
) -> Held:
    """Plan the meeting for 10:00 on DAY; at 10:40 note the minutes of four clients (not the
    safety flag), a plan update and a task; record at 11:30."""
    meeting = plan_meeting(supervisor, team, attendees=attendees)
    items = _items(meeting, flagged)
    case_manager = flagged.plan.primary_case_manager
    with on(DAY, hour=10):
        for name, text in MINUTES.items():
            services.agenda_item_minutes_save(
                actor=supervisor,
                item=items[name],
                discussed=True,
                minutes=text,
                discussion_minutes=15,
            )
        plan_update = services.decision_add(
            actor=supervisor,
            item=items["plan"],
            kind="plan_update",
            text="Add a goal on keeping the apartment",
            assigned_to=case_manager,
            due_on=DAY + days(14),
        )
        task = services.decision_add(
            actor=supervisor,
            item=items["referral"],
            kind="task",
            text="Offer the second provider on the list",
            assigned_to=case_manager,
            due_on=DAY + days(3),
        )
    with on(DAY, hour=11):
        result = services.meeting_record(
            actor=recorder or supervisor,
            meeting=meeting,
            held_at=at(DAY, 10),
            facilitator=supervisor,
            attendees=attendees,
        )
    return Held(
        StaffingMeeting.objects.get(pk=meeting.pk),
        _items(meeting, flagged),
        Decision.objects.get(pk=plan_update.pk),
        Decision.objects.get(pk=task.pk),
        result,
    )


def _staffing_items(user: User, today: dt.date) -> list[tuple[int, int, dt.date, str]]:
    return [
        (item.object_id, item.client_id, item.due_on, item.url)
        for item in reminder_selectors.due_items(user, today=today)
        if item.kind == "staffing_task"
    ]


# --- The minutes in the client's file -----------------------------------------------------------


def test_minutes_become_a_signed_case_conference_note_in_each_discussed_clients_file(
    flagged: Flagged, supervisor: User, case_manager: User, teammate: User, team_north: Team
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager, teammate])
    meeting = held.meeting
    assert (meeting.status, meeting.held_at, meeting.recorded_by) == (
        MeetingStatus.HELD,
        at(DAY, 10),
        supervisor,
    )
    assert meeting.recorded_at == at(DAY, 11)
    notes = CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE)
    assert sorted(notes.values_list("client__legal_last_name", flat=True)) == [
        "Crisis",
        "Planner",
        "Referred",
        "Unseen",
    ]
    assert len(held.result.notes) == 4 and held.result.skipped == []
    assert (held.result.plan_updates, held.result.tasks) == (1, 1)
    assert held.items["safety"].case_note is None

    note = held.items["plan"].case_note
    assert note is not None
    assert (note.status, note.author, note.signed_by, note.signed_at) == (
        NoteStatus.SIGNED,
        supervisor,
        supervisor,
        at(DAY, 11),
    )
    assert (note.contact_at, note.duration_minutes, note.client_present) == (
        at(DAY, 10),
        15,
        False,
    )
    assert note.late_entry is False
    assert note.purpose == (
        f"Staffing meeting on {_day(DAY)} (team North).\n"
        f"On the agenda for: Service plan review: due {_day(DAY - days(10))}, 10 days overdue"
    )
    assert note.observations == MINUTES["plan"]
    assert note.next_steps == (
        "- Update the service plan: Add a goal on keeping the apartment — Casey North, "
        f"by {_day(DAY + days(14))}"
    )
    assert note.other_participants == "Sam Supervisor (facilitator), Casey North, Terry Mate"
    assert note.location == "Team North staffing meeting"
    crisis_note = held.items["crisis"].case_note
    assert crisis_note is not None
    assert crisis_note.next_steps == "No decision at the meeting: none needed."


def test_the_note_is_in_the_timeline_and_case_file_and_never_changes(
    client: HttpClient,
    flagged: Flagged,
    supervisor: User,
    case_manager: User,
    team_north: Team,
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    note = held.items["plan"].case_note
    assert note is not None
    client.force_login(case_manager)
    for name in ("notes:timeline", "notes:case_file"):
        body = client.get(reverse(name, args=[flagged.plan.pk])).content.decode()
        assert "Case conference / staffing" in body, name
    body = client.get(reverse("notes:case_file", args=[flagged.plan.pk])).content.decode()
    assert MINUTES["plan"] in body
    detail = client.get(reverse("notes:note_detail", args=[flagged.plan.pk, note.pk]))
    assert MINUTES["plan"] in detail.content.decode()

    with pytest.raises(SignedNoteError):
        note_draft_update(actor=supervisor, note=note, data={"observations": "rewritten"})
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).update(observations="rewritten")
    assert CaseNote.objects.get(pk=note.pk).observations == MINUTES["plan"]


def test_another_supervisor_may_record_the_notes_stay_the_facilitators(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    second = make_supervisor(team_north)
    held = run_meeting(flagged, supervisor, team_north, [case_manager], recorder=second)
    assert held.meeting.recorded_by == second
    assert {n.author for n in held.result.notes} == {supervisor}


def test_a_case_conference_is_not_a_contact_with_the_client(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    run_meeting(flagged, supervisor, team_north, [case_manager])
    rule = rules.rule_for("monthly_contact")
    assert rule is not None
    rows = rule.items(team_north.agency, DAY, DAY).filter(r_client=flagged.no_contact.pk)
    assert [row["r_due"] for row in rows] == [DAY - days(10)]


def test_a_client_who_left_the_team_is_recorded_without_a_note(
    flagged: Flagged,
    supervisor: User,
    case_manager: User,
    team_north: Team,
    team_south: Team,
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    items = _items(meeting, flagged)
    with on(DAY, hour=10):
        for name in ("crisis", "referral"):
            services.agenda_item_minutes_save(
                actor=supervisor,
                item=items[name],
                discussed=True,
                minutes=MINUTES[name],
                discussion_minutes=10,
            )
        services.decision_add(
            actor=supervisor,
            item=items["referral"],
            kind="task",
            text="Call the provider",
            assigned_to=case_manager,
            due_on=DAY,
        )
    Client.objects.filter(pk=flagged.referral.pk).update(team=team_south)
    with on(DAY, hour=11):
        result = services.meeting_record(
            actor=supervisor,
            meeting=meeting,
            held_at=at(DAY, 10),
            facilitator=supervisor,
            attendees=[],
        )
    assert [item.client for item in result.skipped] == [flagged.referral]
    assert [note.client for note in result.notes] == [flagged.crisis]
    assert AgendaItem.objects.get(pk=items["referral"].pk).case_note is None
    assert not selectors.open_tasks().exists()


# --- Refusals -------------------------------------------------------------------------------------


def test_a_discussed_client_needs_minutes_and_the_meeting_must_have_happened(
    flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    items = _items(meeting, flagged)
    services.agenda_item_minutes_save(
        actor=supervisor, item=items["crisis"], discussed=True, minutes="  ", discussion_minutes=5
    )
    with on(DAY, hour=9), pytest.raises(ValidationError) as error:
        services.meeting_record(
            actor=supervisor,
            meeting=meeting,
            held_at=at(DAY, 10),
            facilitator=supervisor,
            attendees=[],
        )
    assert error.value.message_dict == {
        "held_at": ["The meeting cannot be recorded before it has happened."],
        "__all__": ["Write the minutes for Ana Crisis, or mark the item not discussed."],
    }
    assert StaffingMeeting.objects.get(pk=meeting.pk).status == MeetingStatus.PLANNED
    assert not CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE).exists()


def test_decisions_are_checked_beside_their_fields(
    flagged: Flagged, supervisor: User, other_team_case_manager: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    items = _items(meeting, flagged)
    with on(DAY), pytest.raises(ValidationError) as error:
        services.decision_add(
            actor=supervisor,
            item=items["crisis"],
            kind="plan_update",
            text=" ",
            assigned_to=other_team_case_manager,
            due_on=DAY - days(1),
        )
    assert error.value.message_dict == {
        "text": ["Say what is to be done."],
        "assigned_to": ["Choose a case manager or supervisor of team North."],
        "due_on": [f"The due date cannot be before the meeting ({_day(DAY)})."],
        "kind": ["Ana Crisis has no service plan in force to update: record a task instead."],
    }
    assert not Decision.objects.exists()


def test_a_recorded_meeting_no_longer_changes(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    message = "The minutes of this meeting are recorded; its agenda can no longer change."
    with pytest.raises(ValidationError, match=message):
        services.agenda_item_add(
            actor=supervisor, meeting=held.meeting, client_term=flagged.quiet.record_number
        )
    with pytest.raises(ValidationError, match=message):
        services.decision_remove(actor=supervisor, decision=held.task)
    with on(DAY, hour=12), pytest.raises(ValidationError, match=message):
        services.meeting_record(
            actor=supervisor,
            meeting=held.meeting,
            held_at=at(DAY, 10),
            facilitator=supervisor,
            attendees=[],
        )
    assert CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE).count() == 4


# --- Decisions: plan events and tasks -------------------------------------------------------------


def test_a_plan_update_is_an_event_on_the_plan_in_force(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    event = PlanEvent.objects.filter(plan=flagged.plan_in_force).order_by("pk").last()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor, event.at) == (
        PlanStatus.ACTIVE,
        PlanStatus.ACTIVE,
        supervisor,
        at(DAY, 11),
    )
    assert event.note == (
        f"Staffing meeting on {DAY.isoformat()} decided: update the plan — "
        "Add a goal on keeping the apartment"
    )
    assert (held.plan_update.plan, held.plan_update.plan_event) == (flagged.plan_in_force, event)
    assert held.task.plan is None and held.task.plan_event is None
    assert ServicePlan.objects.get(pk=flagged.plan_in_force.pk).status == PlanStatus.ACTIVE


def test_tasks_are_on_the_assignees_list_and_in_the_sweep_until_done(
    flagged: Flagged, supervisor: User, case_manager: User, teammate: User, team_north: Team
) -> None:
    assert _staffing_items(case_manager, DAY) == []
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    task_url = reverse("supervision:task", args=[held.task.pk])
    plan_url = reverse("supervision:task", args=[held.plan_update.pk])
    assert _staffing_items(case_manager, DAY) == [
        (held.task.pk, flagged.referral.pk, DAY + days(3), task_url),
        (held.plan_update.pk, flagged.plan.pk, DAY + days(14), plan_url),
    ]
    assert _staffing_items(teammate, DAY) == []
    groups = {
        group.slug: [item.object_id for item in group.items if item.kind == "staffing_task"]
        for group in reminder_selectors.my_work(case_manager, today=DAY)
    }
    assert (groups["week"], groups["later"]) == ([held.task.pk], [held.plan_update.pk])
    calendar = [i.object_id for i in reminder_selectors.calendar_items(case_manager, today=DAY)]
    assert {held.task.pk, held.plan_update.pk} <= set(calendar)

    sweep_on(DAY, hour=12)
    stored = open_reminders("staffing_task")
    assert {(r.object_id, r.recipient, r.due_on) for r in stored} == {
        (held.plan_update.pk, case_manager, DAY + days(14)),
        (held.task.pk, case_manager, DAY + days(3)),
    }

    with pytest.raises(PermissionDenied):
        services.decision_mark_done(actor=teammate, decision=held.task)
    with on(DAY + days(1)):
        done = services.decision_mark_done(actor=case_manager, decision=held.task)
    assert (done.done_by, done.done_at) == (case_manager, at(DAY + days(1)))
    assert _staffing_items(case_manager, DAY + days(1)) == [
        (held.plan_update.pk, flagged.plan.pk, DAY + days(14), plan_url),
    ]
    sweep_on(DAY + days(1))
    assert [r.object_id for r in open_reminders("staffing_task")] == [held.plan_update.pk]
    # A supervisor of the team may tick one off too.
    services.decision_mark_done(actor=supervisor, decision=held.plan_update)
    assert _staffing_items(case_manager, DAY + days(1)) == []


def test_a_plan_update_clears_when_the_plan_is_reviewed(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    sweep_on(DAY, hour=12)
    plan = flagged.plan_in_force
    with on(DAY + days(2)):
        plan_services.plan_review_record(
            actor=case_manager,
            plan=plan,
            reviewed_on=DAY + days(2),
            decision="continue",
            justification="",
            goal_progress=[
                plan_services.GoalProgress(goal=goal, progress="in_progress")
                for goal in plan.goals.all()
            ],
            next_review_date=DAY + days(60),
        )
    assert PlanReview.objects.filter(plan=plan).count() == 1
    assert [i[0] for i in _staffing_items(case_manager, DAY + days(2))] == [held.task.pk]
    task = selectors.task_for(case_manager, held.plan_update.pk)
    assert task.plan_updated is True  # type: ignore[attr-defined]
    assert Decision.objects.get(pk=held.plan_update.pk).done_at is None
    sweep_on(DAY + days(2))
    assert [r.object_id for r in open_reminders("staffing_task")] == [held.task.pk]


def test_a_plan_update_clears_when_a_new_version_is_approved(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    with on(DAY + days(1)):
        revision = plan_services.plan_revise(
            actor=case_manager, plan=flagged.plan_in_force, reason="Staffing: add a housing goal"
        )
        plan_services.plan_record_meeting(
            actor=case_manager,
            plan=revision,
            meeting_date=DAY + days(1),
            participants="Cora Planner (client), Casey North",
            client_participated=True,
            notes="",
        )
        plan_services.plan_finalize(actor=case_manager, plan=revision, agreement="signed")
        # Finalized, not yet approved: the update is still to do.
        assert [i[0] for i in _staffing_items(case_manager, DAY + days(1))] == [
            held.task.pk,
            held.plan_update.pk,
        ]
        plan_services.plan_approve(actor=supervisor, plan=revision)
    assert ServicePlan.objects.get(pk=revision.pk).status == PlanStatus.ACTIVE
    assert [i[0] for i in _staffing_items(case_manager, DAY + days(1))] == [held.task.pk]
