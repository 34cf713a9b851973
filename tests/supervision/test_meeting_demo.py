"""`manage.py seed_demo_supervision` on a small agency: one held meeting with its minutes in
the clients' files, a plan update and a task; one planned meeting; nothing more when run
again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from careplans.models import PlanEvent
from casemgmt.accounts.models import Team, User
from casemgmt.supervision.meeting_selectors import open_tasks
from casemgmt.supervision.models import Decision, DecisionKind, MeetingStatus, StaffingMeeting
from notes.models import CaseNote, ContactType, NoteStatus

from .test_meeting_fixtures import Flagged, flagged

pytestmark = pytest.mark.django_db
__all__ = ["flagged"]


def _state() -> dict[str, object]:
    return {
        "meetings": sorted(StaffingMeeting.objects.values_list("pk", "status")),
        "items": StaffingMeeting.objects.filter(items__isnull=False).count(),
        "decisions": sorted(Decision.objects.values_list("pk", flat=True)),
        "notes": sorted(
            CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE).values_list(
                "pk", flat=True
            )
        ),
        "events": PlanEvent.objects.count(),
    }


def test_the_demo_meetings_and_a_second_run_adds_nothing(
    flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    out = StringIO()
    call_command("seed_demo_supervision", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Staffing meetings: last week's meeting of team North held")
    assert lines[1].startswith("Staffing meetings: next week's meeting of team North planned")

    # North is the first team with a supervisor and clients; South gets nothing.
    held = StaffingMeeting.objects.get(status=MeetingStatus.HELD)
    planned = StaffingMeeting.objects.get(status=MeetingStatus.PLANNED)
    assert held.team == planned.team == team_north
    assert held.facilitator == supervisor and held.held_at is not None
    assert planned.scheduled_at > held.held_at
    assert planned.items.count() >= 5

    discussed = held.items.filter(discussed=True)
    assert discussed.count() == 3
    notes = CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE)
    assert notes.count() == 3
    assert set(notes.values_list("status", flat=True)) == {NoteStatus.SIGNED}
    assert set(notes.values_list("client_present", flat=True)) == {False}
    assert {n.client_id for n in notes} == set(discussed.values_list("client_id", flat=True))
    assert not held.items.filter(discussed=False, case_note__isnull=False).exists()

    decisions = Decision.objects.filter(item__meeting=held)
    assert sorted(decisions.values_list("kind", flat=True)) == [
        DecisionKind.PLAN_UPDATE,
        DecisionKind.TASK,
    ]
    plan_update = decisions.get(kind=DecisionKind.PLAN_UPDATE)
    assert plan_update.plan_event is not None
    assert plan_update.plan_event.plan == plan_update.plan
    assert set(open_tasks().values_list("pk", flat=True)) == set(
        decisions.values_list("pk", flat=True)
    )

    before = _state()
    again = StringIO()
    call_command("seed_demo_supervision", stdout=again)
    assert again.getvalue().splitlines() == [
        "Staffing meetings: team North already has a held meeting",
        "Staffing meetings: team North already has a planned meeting",
    ]
    assert _state() == before
