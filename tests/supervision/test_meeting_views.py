"""The staffing meeting pages: who may see and run them, the agenda with inline (htmx) and
plain-POST editing that keeps what was typed, recording, tasks, and flat query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessLog
from casemgmt.supervision import meeting_services as services
from casemgmt.supervision.models import AgendaItem, Decision, MeetingStatus, StaffingMeeting
from clients.models import Client
from notes.models import CaseNote, ContactType

from ..factories import make_client
from ..reminders.reminder_fixtures import at, on
from .test_meeting_fixtures import DAY, Flagged, crisis, days, flagged, plan_meeting
from .test_meeting_record import run_meeting

pytestmark = pytest.mark.django_db
__all__ = ["flagged"]

HTMX = {"HX-Request": "true"}


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def _url(name: str, *args: int) -> str:
    return reverse(f"supervision:{name}", args=args)


def _item(meeting: StaffingMeeting, client: Client) -> AgendaItem:
    return meeting.items.get(client=client)


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["other_team_supervisor", "case_manager", "other_team_case_manager", "admin"]
)
def test_only_the_teams_supervisors_plan_and_record(
    client: HttpClient,
    flagged: Flagged,
    supervisor: User,
    team_north: Team,
    request: pytest.FixtureRequest,
    who: str,
) -> None:
    user: User = request.getfixturevalue(who)
    meeting = plan_meeting(supervisor, team_north, attendees=[])
    item = _item(meeting, flagged.crisis)
    http = _login(client, user)
    if who != "other_team_supervisor":
        # The other team's supervisor may plan their own team's meetings, nobody else any.
        assert http.get(_url("meeting_create")).status_code == 404
    posted = {
        _url("meeting_create"): {"team": team_north.pk, "scheduled_at": "2026-04-11T10:00"},
        _url("meeting_record", meeting.pk): {"held_at": "2026-04-11T10:00"},
        _url("meeting_item_add", meeting.pk): {"client": flagged.quiet.record_number},
        _url("meeting_item_remove", meeting.pk, item.pk): {},
        _url("meeting_item_minutes", meeting.pk, item.pk): {f"item-{item.pk}-minutes": "x"},
        _url("meeting_decision_add", meeting.pk, item.pk): {},
    }
    for url, data in posted.items():
        response = http.post(url, data)
        if url == _url("meeting_create") and who == "other_team_supervisor":
            assert response.status_code == 400  # North is not among the teams offered
        else:
            assert response.status_code == 404, url
    assert StaffingMeeting.objects.count() == 1
    assert meeting.items.count() == 5


def test_detail_is_for_the_teams_supervisors_and_attending_case_managers(
    client: HttpClient,
    flagged: Flagged,
    supervisor: User,
    case_manager: User,
    teammate: User,
    other_team_supervisor: User,
    other_team_case_manager: User,
    admin: User,
    team_north: Team,
) -> None:
    meeting = plan_meeting(supervisor, team_north, attendees=[case_manager])
    url = _url("meeting_detail", meeting.pk)
    expected = {
        supervisor: 200,
        case_manager: 200,
        teammate: 404,
        other_team_supervisor: 404,
        other_team_case_manager: 404,
        admin: 404,
    }
    for user, status in expected.items():
        assert _login(client, user).get(url).status_code == status, user
    listed = {
        user: [m.pk for m in _login(client, user).get(_url("meetings")).context["page"]]
        for user in (supervisor, case_manager, teammate, other_team_supervisor)
    }
    assert listed == {
        supervisor: [meeting.pk],
        case_manager: [meeting.pk],
        teammate: [],
        other_team_supervisor: [],
    }
    assert _login(client, admin).get(_url("meetings")).status_code == 404


def test_an_attending_case_manager_reads_only_clients_in_their_scope(
    client: HttpClient,
    flagged: Flagged,
    supervisor: User,
    case_manager: User,
    team_north: Team,
    team_south: Team,
) -> None:
    meeting = plan_meeting(supervisor, team_north, attendees=[case_manager])
    services.agenda_item_minutes_save(
        actor=supervisor,
        item=_item(meeting, flagged.safety),
        discussed=True,
        minutes="Thoughts at night, no plan.",
        discussion_minutes=10,
    )
    # Ben (a teammate's client) moves to South: Casey no longer sees his record.
    Client.objects.filter(pk=flagged.safety.pk).update(team=team_south)
    response = _login(client, case_manager).get(_url("meeting_detail", meeting.pk))
    body = response.content.decode()
    shown = [entry.item.client for entry in response.context["entries"]]
    assert shown == [flagged.crisis, flagged.plan, flagged.referral, flagged.no_contact]
    assert "Thoughts at night" not in body and "Ben Safe" not in body
    # A reader gets no form.
    assert response.context["editable"] is False
    assert 'name="item-' not in body and "Record the minutes" not in body
    logged = set(
        AccessLog.objects.filter(user=case_manager, action="view").values_list(
            "client_id", flat=True
        )
    )
    assert logged == {c.pk for c in shown}
    # Nor can they open the moved client's item to change it.
    item = _item(meeting, flagged.safety)
    assert (
        _login(client, supervisor)
        .post(_url("meeting_item_remove", meeting.pk, item.pk))
        .status_code
        == 404
    )


# --- Planning -----------------------------------------------------------------------------------


def test_plan_a_meeting_builds_the_agenda(
    client: HttpClient, flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    http = _login(client, supervisor)
    page = http.get(_url("meeting_create"))
    assert page.status_code == 200
    assert page.context["form"].initial["facilitator"] == str(supervisor.pk)
    with on(DAY, hour=9):
        response = http.post(
            _url("meeting_create"),
            {
                "team": team_north.pk,
                "scheduled_at": "2026-04-11T10:00",
                "facilitator": supervisor.pk,
                "attendees": [case_manager.pk],
            },
        )
    meeting = StaffingMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("meeting_detail", meeting.pk)
    assert meeting.scheduled_at == at(dt.date(2026, 4, 11), 10)
    assert meeting.items.count() == 5
    assert list(meeting.attendees.all()) == [case_manager]


def test_a_bad_plan_keeps_what_was_typed(
    client: HttpClient, flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    response = _login(client, supervisor).post(
        _url("meeting_create"),
        {"team": team_north.pk, "scheduled_at": "next tuesday", "facilitator": supervisor.pk},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid date/time." in body and 'value="next tuesday"' in body
    assert not StaffingMeeting.objects.exists()


# --- Working through the agenda ------------------------------------------------------------------


def test_minutes_saved_inline_with_htmx_and_errors_beside_the_field(
    client: HttpClient, flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    item = _item(meeting, flagged.crisis)
    url = _url("meeting_item_minutes", meeting.pk, item.pk)
    p = f"item-{item.pk}-"
    http = _login(client, supervisor)

    bad = http.post(url, {p + "discussed": "on", p + "discussion_minutes": "0"}, headers=HTMX)
    assert bad.status_code == 200  # htmx swaps only successful answers
    body = bad.content.decode()
    # Only the minutes are swapped: a decision being typed below stays as it is.
    assert body.lstrip().startswith(f'<div id="minutes-{item.pk}">')
    assert f'id="decisions-{item.pk}"' not in body
    assert "Write what was discussed, or untick “Discussed”." in body
    assert "Enter how many minutes the team spent on this client." in body
    assert AgendaItem.objects.get(pk=item.pk).discussed is False

    good = http.post(
        url,
        {
            p + "discussed": "on",
            p + "discussion_minutes": "12",
            p + "minutes": "Safety plan holds.",
        },
        headers=HTMX,
    )
    assert good.status_code == 200 and "Minutes saved." in good.content.decode()
    saved = AgendaItem.objects.get(pk=item.pk)
    assert (saved.discussed, saved.discussion_minutes, saved.minutes) == (
        True,
        12,
        "Safety plan holds.",
    )


def test_minutes_without_javascript_redirect_or_keep_the_typed_text(
    client: HttpClient, flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    item = _item(meeting, flagged.plan)
    url = _url("meeting_item_minutes", meeting.pk, item.pk)
    p = f"item-{item.pk}-"
    http = _login(client, supervisor)
    bad = http.post(
        url, {p + "discussed": "on", p + "discussion_minutes": "900", p + "minutes": "Kept text"}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Kept text" in body and "There is a problem" in body
    assert "Ensure this value is less than or equal to 240." in body
    good = http.post(
        url, {p + "discussed": "on", p + "discussion_minutes": "20", p + "minutes": "Kept text"}
    )
    assert good.status_code == 302
    assert good["Location"] == _url("meeting_detail", meeting.pk) + f"#item-{item.pk}"
    assert AgendaItem.objects.get(pk=item.pk).minutes == "Kept text"


def test_decisions_inline_and_a_plan_update_needs_a_plan(
    client: HttpClient, flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    http = _login(client, supervisor)
    crisis_item = _item(meeting, flagged.crisis)
    p = f"decision-{crisis_item.pk}-"
    data = {
        p + "kind": "plan_update",
        p + "text": "Add a crisis goal",
        p + "assigned_to": case_manager.pk,
        p + "due_on": (DAY + days(7)).isoformat(),
    }
    refused = http.post(
        _url("meeting_decision_add", meeting.pk, crisis_item.pk), data, headers=HTMX
    )
    body = refused.content.decode()
    assert refused.status_code == 200
    assert escape("Ana Crisis has no service plan in force to update") in body
    assert "Add a crisis goal" in body  # kept

    plan_item = _item(meeting, flagged.plan)
    q = f"decision-{plan_item.pk}-"
    form = http.get(_url("meeting_detail", meeting.pk)).context["entries"][2].decision_form
    assert form.initial["assigned_to"] == str(case_manager.pk)
    added = http.post(
        _url("meeting_decision_add", meeting.pk, plan_item.pk),
        {
            q + "kind": "plan_update",
            q + "text": "Add a housing goal",
            q + "assigned_to": case_manager.pk,
            q + "due_on": (DAY + days(7)).isoformat(),
        },
        headers=HTMX,
    )
    body = added.content.decode()
    assert added.status_code == 200 and "Decision noted." in body
    assert body.lstrip().startswith(f'<div id="decisions-{plan_item.pk}">')
    # The item is now discussed: the box in the minutes form is ticked out of band.
    assert f'id="id_item-{plan_item.pk}-discussed" checked hx-swap-oob="true"' in body
    decision = Decision.objects.get()
    assert (decision.kind, decision.plan, decision.assigned_to) == (
        "plan_update",
        flagged.plan_in_force,
        case_manager,
    )
    assert AgendaItem.objects.get(pk=plan_item.pk).discussed is True
    # With a decision noted, the client cannot be unticked as not discussed.
    p = f"item-{plan_item.pk}-"
    untick = http.post(
        _url("meeting_item_minutes", meeting.pk, plan_item.pk),
        {p + "discussion_minutes": "10", p + "minutes": "Typed"},
        headers=HTMX,
    )
    assert "Decisions are noted for this client, so it was discussed" in untick.content.decode()
    assert AgendaItem.objects.get(pk=plan_item.pk).discussed is True
    struck = http.post(_url("meeting_decision_remove", meeting.pk, decision.pk))
    assert struck.status_code == 302
    assert not Decision.objects.exists()


def test_add_remove_and_move_items(
    client: HttpClient, flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north)
    http = _login(client, supervisor)
    bad = http.post(_url("meeting_item_add", meeting.pk), {"client": "Nobody Here"})
    assert bad.status_code == 400
    assert escape("No client of team North matches “Nobody Here”.") in bad.content.decode()
    assert 'value="Nobody Here"' in bad.content.decode()
    good = http.post(
        _url("meeting_item_add", meeting.pk), {"client": "Fay Quiet", "because": "New job"}
    )
    added = meeting.items.get(client=flagged.quiet)
    assert good.status_code == 302 and added.position == 6
    http.post(_url("meeting_item_move", meeting.pk, added.pk), {"direction": "up"})
    http.post(_url("meeting_item_remove", meeting.pk, _item(meeting, flagged.crisis).pk))
    order = list(
        meeting.items.order_by("position").values_list("client__legal_last_name", flat=True)
    )
    assert order == ["Safe", "Planner", "Referred", "Quiet", "Unseen"]


def test_record_through_the_page(
    client: HttpClient, flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    meeting = plan_meeting(supervisor, team_north, attendees=[case_manager])
    services.agenda_item_minutes_save(
        actor=supervisor,
        item=_item(meeting, flagged.crisis),
        discussed=True,
        minutes="Safety plan holds.",
        discussion_minutes=10,
    )
    form = {"held_at": "2026-04-11T10:00", "facilitator": supervisor.pk}
    with on(DAY, hour=9):
        early = _login(client, supervisor).post(_url("meeting_record", meeting.pk), form)
    assert early.status_code == 400
    assert "The meeting cannot be recorded before it has happened." in early.content.decode()
    with on(DAY, hour=11):
        response = _login(client, supervisor).post(
            _url("meeting_record", meeting.pk), {**form, "attendees": [case_manager.pk]}
        )
    assert response.status_code == 302
    assert response["Location"] == _url("meeting_detail", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    note = CaseNote.objects.get(contact_type=ContactType.CASE_CONFERENCE)
    http = _login(client, supervisor)
    page = http.get(_url("meeting_detail", meeting.pk))
    body = page.content.decode()
    assert reverse("notes:note_detail", args=[flagged.crisis.pk, note.pk]) in body
    assert page.context["editable"] is False and "Save the minutes" not in body
    assert http.get(_url("meeting_record", meeting.pk)).status_code == 302
    again = http.post(_url("meeting_record", meeting.pk), form)
    assert again.status_code == 302
    assert CaseNote.objects.filter(contact_type=ContactType.CASE_CONFERENCE).count() == 1


# --- Tasks --------------------------------------------------------------------------------------


def test_the_task_page_and_marking_done(
    client: HttpClient,
    flagged: Flagged,
    supervisor: User,
    case_manager: User,
    teammate: User,
    other_team_supervisor: User,
    team_north: Team,
) -> None:
    held = run_meeting(flagged, supervisor, team_north, [case_manager])
    url = _url("task", held.task.pk)
    done_url = _url("task_done", held.task.pk)
    page = _login(client, case_manager).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Offer the second provider on the list" in body and done_url in body
    for user in (teammate, other_team_supervisor):
        assert _login(client, user).get(url).status_code == 404
        assert _login(client, user).post(done_url).status_code == 404
    http = _login(client, case_manager)
    assert http.get(done_url).status_code == 405
    response = http.post(done_url, headers=HTMX)
    assert response.status_code == 200 and "Done: Casey North" in response.content.decode()
    assert Decision.objects.get(pk=held.task.pk).done_by == case_manager
    # The supervisor marks the plan update done from the meeting page, and lands back there.
    back = _url("meeting_detail", held.meeting.pk)
    response = _login(client, supervisor).post(
        _url("task_done", held.plan_update.pk), {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert Decision.objects.get(pk=held.plan_update.pk).done_by == supervisor
    assert (
        _login(client, supervisor).post(
            _url("task_done", held.task.pk), {"next": "https://evil.example/"}
        )["Location"]
        == url
    )


# --- Query counts -------------------------------------------------------------------------------


def test_list_query_count_does_not_grow(
    client: HttpClient, flagged: Flagged, supervisor: User, team_north: Team
) -> None:
    plan_meeting(supervisor, team_north)
    http = _login(client, supervisor)
    with CaptureQueriesContext(connection) as few:
        assert http.get(_url("meetings")).status_code == 200
    for n in range(1, 6):
        plan_meeting(supervisor, team_north, day=DAY + days(7 * n))
    with CaptureQueriesContext(connection) as many:
        response = http.get(_url("meetings"))
    assert len(response.context["page"]) == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_detail_query_count_does_not_grow_with_the_agenda(
    client: HttpClient, flagged: Flagged, supervisor: User, case_manager: User, team_north: Team
) -> None:
    def detail() -> int:
        meeting = plan_meeting(supervisor, team_north, attendees=[case_manager])
        for item in meeting.items.all():
            services.agenda_item_minutes_save(
                actor=supervisor, item=item, discussed=True, minutes="x", discussion_minutes=5
            )
        with on(DAY):
            services.decision_add(
                actor=supervisor,
                item=_item(meeting, flagged.plan),
                kind="plan_update",
                text="Add a goal",
                assigned_to=case_manager,
                due_on=DAY,
            )
        http = _login(client, supervisor)
        with CaptureQueriesContext(connection) as queries:
            response = http.get(_url("meeting_detail", meeting.pk))
        assert response.status_code == 200
        return len(queries)

    few = detail()
    with on(DAY - days(1)):
        for n in range(6):
            extra = make_client(case_manager=case_manager, team=team_north, legal_last_name=f"X{n}")
            crisis(extra, case_manager)
    StaffingMeeting.objects.all().delete()
    many = detail()
    assert StaffingMeeting.objects.get().items.count() == 11
    assert many == few
