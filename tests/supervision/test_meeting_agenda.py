"""The agenda of a staffing meeting: built from the team's flagged clients (the reminder
rules' overdue items, open crises and safety flags), then changed by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats

from casemgmt.accounts.models import Team, User
from casemgmt.supervision import meeting_selectors as selectors
from casemgmt.supervision import meeting_services as services
from casemgmt.supervision.models import AgendaItem, StaffingMeeting
from clients.models import Client, ClientStatus
from notes.models import ContactType

from ..factories import make_client
from ..reminders.reminder_fixtures import START, at, on
from .test_meeting_fixtures import DAY, Flagged, contact, crisis, days, flagged, plan_meeting

pytestmark = pytest.mark.django_db
__all__ = ["flagged"]


def _agenda(meeting: StaffingMeeting) -> list[tuple[int, str, list[str], bool]]:
    return [
        (item.position, item.client.legal_last_name, item.reasons, item.added_by_hand)
        for item in meeting.items.select_related("client").order_by("position")
    ]


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def test_the_agenda_holds_exactly_the_flagged_clients_of_the_team(
    flagged: Flagged, supervisor: User, team_north: Team, case_manager: User
) -> None:
    meeting = plan_meeting(supervisor, team_north, attendees=[case_manager])
    assert _agenda(meeting) == [
        (1, "Crisis", ["crisis"], False),
        (2, "Safe", ["safety_flag"], False),
        (3, "Planner", ["plan_overdue"], False),
        (4, "Referred", ["referral_stalled"], False),
        (5, "Unseen", ["no_contact"], False),
    ]
    items = {item.client_id: item for item in meeting.items.all()}
    assert items[flagged.plan.pk].reason_text == (
        f"Service plan review: due {_date(DAY - days(10))}, 10 days overdue"
    )
    # Three business days after it was sent on Monday START: Thursday.
    assert items[flagged.referral.pk].reason_text == (
        f"No answer from the provider: due {_date(START + days(3))}, 37 days overdue"
    )
    assert items[flagged.no_contact.pk].reason_text == (
        f"Monthly contact: due {_date(START + days(30))}, 10 days overdue"
    )
    assert items[flagged.safety.pk].reason_text == (
        f"Safety follow-up not done: PHQ-9 item 9 answered 1 (raised {_date(DAY - days(3))})"
    )
    assert items[flagged.crisis.pk].reason_text.startswith(
        f"Open crisis event since {_date(DAY - days(3))} (acute distress"
    )
    assert meeting.agenda_built_at == at(DAY, 9)
    assert list(meeting.attendees.all()) == [case_manager]
    assert meeting.facilitator == supervisor and meeting.is_planned


def test_a_client_with_several_flags_is_listed_once_under_the_most_urgent(
    flagged: Flagged, supervisor: User, team_north: Team, case_manager: User
) -> None:
    with on(DAY - days(2)):
        crisis(flagged.no_contact, case_manager)
    meeting = plan_meeting(supervisor, team_north)
    agenda = _agenda(meeting)
    assert agenda[:2] == [
        (1, "Unseen", ["crisis", "no_contact"], False),
        (2, "Crisis", ["crisis"], False),
    ]
    assert len(agenda) == 5


def test_the_agenda_agrees_with_the_reminders_a_contact_takes_the_client_off(
    flagged: Flagged, supervisor: User, team_north: Team, case_manager: User
) -> None:
    # Talking about a client at a case conference is not a contact with them.
    with on(DAY - days(1)):
        contact(flagged.no_contact, case_manager, contact_type=ContactType.CASE_CONFERENCE)
    assert flagged.no_contact.pk in selectors.team_flags(team_north, today=DAY)
    with on(DAY - days(1)):
        contact(flagged.no_contact, case_manager)
    meeting = plan_meeting(supervisor, team_north)
    assert [client for _p, client, _r, _h in _agenda(meeting)] == [
        "Crisis",
        "Safe",
        "Planner",
        "Referred",
    ]


def test_an_unflagged_team_gets_an_empty_agenda(
    flagged: Flagged, other_team_supervisor: User, team_south: Team
) -> None:
    Client.objects.filter(pk=flagged.south.pk).update(status=ClientStatus.DISCHARGED)
    meeting = plan_meeting(other_team_supervisor, team_south)
    assert _agenda(meeting) == []


def test_only_a_supervisor_of_the_team_plans_its_meeting(
    flagged: Flagged, other_team_supervisor: User, case_manager: User, team_north: Team
) -> None:
    for actor in (other_team_supervisor, case_manager):
        with pytest.raises(PermissionDenied):
            plan_meeting(actor, team_north)
    assert not StaffingMeeting.objects.exists()


def test_the_facilitator_and_attendees_belong_to_the_team(
    flagged: Flagged,
    supervisor: User,
    other_team_supervisor: User,
    other_team_case_manager: User,
    team_north: Team,
) -> None:
    with on(DAY), pytest.raises(ValidationError) as error:
        services.meeting_create(
            actor=supervisor,
            team=team_north,
            scheduled_at=at(DAY, 10),
            facilitator=other_team_supervisor,
            attendees=[other_team_case_manager],
        )
    assert error.value.message_dict == {
        "facilitator": ["Otto Supervisor is not an active supervisor of team North."],
        "attendees": ["Not on team North: Olive South."],
    }


# --- Changing the agenda by hand ----------------------------------------------------------------


def test_add_a_client_by_record_number_or_name(
    flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    with on(DAY):
        item = services.agenda_item_add(
            actor=supervisor,
            meeting=meeting,
            client_term=flagged.quiet.record_number.lower(),
            because="Asked for a second opinion.",
        )
    assert (item.position, item.added_by_hand, item.reasons, item.reason_text) == (
        6,
        True,
        [],
        "",
    )
    assert item.added_because == "Asked for a second opinion." and item.added_by == supervisor
    # A discharged client of the team can be discussed too; they bring their flags along.
    with on(DAY):
        gone = services.agenda_item_add(actor=supervisor, meeting=meeting, client_term="gus gone")
    assert (gone.client, gone.position, gone.reasons) == (flagged.discharged, 7, ["crisis"])


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("", "Type the client's record number or name."),
        ("Hal South", "No client of team North matches “Hal South”."),
        ("Ana Crisis", "Ana Crisis is already on the agenda."),
    ],
)
def test_adding_a_client_who_cannot_be_added_says_why(
    flagged: Flagged, supervisor: User, team_north: Team, term: str, message: str
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    with on(DAY), pytest.raises(ValidationError) as error:
        services.agenda_item_add(actor=supervisor, meeting=meeting, client_term=term)
    assert error.value.message_dict == {"client": [message]}
    assert meeting.items.count() == 5


def test_a_name_that_matches_several_clients_asks_for_the_record_number(
    flagged: Flagged, supervisor: User, team_north: Team, case_manager: User
) -> None:
    with on(DAY):
        twin = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Fay",
            legal_last_name="Quietly",
        )
    meeting = plan_meeting(supervisor, team_north)
    with on(DAY), pytest.raises(ValidationError) as error:
        services.agenda_item_add(actor=supervisor, meeting=meeting, client_term="Quiet")
    assert error.value.message_dict == {
        "client": [
            f"Several clients match “Quiet”: {flagged.quiet}, {twin}. Type the record number."
        ]
    }


def test_remove_and_reorder(flagged: Flagged, supervisor: User, team_north: Team) -> None:
    meeting = plan_meeting(supervisor, team_north)
    items = {item.client_id: item for item in meeting.items.all()}
    services.agenda_item_remove(actor=supervisor, item=items[flagged.safety.pk])
    services.agenda_item_move(actor=supervisor, item=items[flagged.no_contact.pk], up=True)
    services.agenda_item_move(actor=supervisor, item=items[flagged.crisis.pk], up=True)  # first
    services.agenda_item_move(actor=supervisor, item=items[flagged.plan.pk], up=False)
    assert [(p, name) for p, name, _r, _h in _agenda(meeting)] == [
        (1, "Crisis"),
        (2, "Unseen"),
        (3, "Planner"),
        (4, "Referred"),
    ]
    assert not AgendaItem.objects.filter(client=flagged.safety).exists()
    # History says who took the client off.
    removed = AgendaItem.history.filter(client_id=flagged.safety.pk, history_type="-").get()
    assert removed.history_user == supervisor


def test_another_teams_supervisor_cannot_change_the_agenda(
    flagged: Flagged, supervisor: User, other_team_supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    item = meeting.items.first()
    assert item is not None
    with pytest.raises(PermissionDenied):
        services.agenda_item_remove(actor=other_team_supervisor, item=item)
    with pytest.raises(PermissionDenied):
        services.agenda_item_add(
            actor=other_team_supervisor, meeting=meeting, client_term=flagged.quiet.record_number
        )
    assert meeting.items.count() == 5


def test_flags_are_read_with_a_fixed_number_of_queries(
    flagged: Flagged, team_north: Team, case_manager: User
) -> None:
    team = Team.objects.select_related("agency").get(pk=team_north.pk)
    with on(DAY), CaptureQueriesContext(connection) as few:
        assert len(selectors.team_flags(team)) == 5
    with on(START):
        for n in range(4):
            client = make_client(
                case_manager=case_manager, team=team_north, legal_last_name=f"N{n}"
            )
            crisis(client, case_manager)
    with on(DAY), CaptureQueriesContext(connection) as many:
        assert len(selectors.team_flags(team)) == 9
    assert len(many) == len(few)
