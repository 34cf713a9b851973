"""My work today: the home page of clinical staff, computed live from the reminder rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from casemgmt.reminders import rules, selectors
from casemgmt.reminders.models import Reminder
from clients.models import Client
from notes.models import CaseNote
from notes.services import note_sign

from ..careplans.plan_fixtures import plan_in_status
from ..clients.test_crisis_events import make_crisis
from ..factories import make_client
from ..notes.note_fixtures import draft_note
from ..referrals.referral_fixtures import make_service, release_for
from .reminder_fixtures import START, accepted_referral, act, on, sent_referral

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def today() -> dt.date:
    return rules.local_today()


def overdue_note(client: Client, author: User, days_ago: int = 5) -> CaseNote:
    """A draft whose contact was `days_ago` days back: past the 72-hour signing deadline."""
    return draft_note(client, author, contact_at=timezone.now() - dt.timedelta(days=days_ago))


def plan_due(client: Client, actor: User, approver: User, due: dt.date) -> ServicePlan:
    plan = plan_in_status(client, actor, PlanStatus.ACTIVE, approver=approver)
    ServicePlan.objects.filter(pk=plan.pk).update(review_due=due)
    return plan


def crisis(client: Client, actor: User, follow_up_on: dt.date) -> Any:
    occurred = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(days=2)
    return make_crisis(actor, client, occurred_at=occurred, follow_up_on=follow_up_on)


def signed_in(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def page_text(http: HttpClient) -> str:
    response = http.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def work_keys(user: User) -> list[tuple[str, str, int]]:
    """(group, kind, object) of each item on the user's My work today, in page order."""
    return [
        (group.slug, item.kind, item.object_id)
        for group in selectors.my_work(user)
        for item in group.items
    ]


# --- What shows, for whom ---------------------------------------------------------------------


def test_each_kind_shows_for_its_case_manager_grouped_by_urgency(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    note = overdue_note(north_client, case_manager)
    second = make_client(
        case_manager=case_manager, team=team_north, legal_first_name="Kwame", preferred_name=""
    )
    plan = plan_due(second, case_manager, supervisor, today())
    event = crisis(north_client, case_manager, today() + dt.timedelta(days=2))
    # Crisis follow-ups have no lead time: not shown until their day.
    assert ("week", "crisis_follow_up", event.pk) not in work_keys(case_manager)
    crisis(second, case_manager, today() - dt.timedelta(days=1))
    release = release_for(
        north_client,
        case_manager,
        make_service(),
        expires_on=today() + dt.timedelta(days=5),
    )
    later_release = release_for(
        second, case_manager, make_service("Food bank"), expires_on=today() + dt.timedelta(days=20)
    )

    keys = work_keys(case_manager)
    groups = [group for group, _kind, _pk in keys]
    assert groups == sorted(groups, key=["overdue", "today", "week", "later"].index)
    assert ("overdue", "note_unsigned", note.pk) in keys
    assert ("today", "plan_review", plan.pk) in keys
    assert ("week", "release_expiring", release.pk) in keys
    assert ("later", "release_expiring", later_release.pk) in keys
    assert {kind for _g, kind, _pk in keys if _g == "overdue"} == {
        "note_unsigned",
        "crisis_follow_up",
    }

    html = page_text(signed_in(client, case_manager))
    assert "My work today" in html
    headings = re.findall(r'<h2 class="h5" id="work-(\w+)"', html)
    assert headings == ["overdue", "today", "week", "later"]
    assert "Case note to sign" in html
    assert "Service plan review" in html
    assert "Crisis follow-up" in html
    assert "Release of information expiring" in html
    assert "2 days overdue" in html  # the note: contact 5 days ago, 72 hours to sign
    assert "Maria Rivera" in html
    assert reverse("clients:detail", args=[north_client.pk]) in html
    assert reverse("notes:note_edit", args=[north_client.pk, note.pk]) in html
    assert reverse("careplans:plan_review", args=[second.pk, plan.pk]) in html


def test_every_kind_appears_for_its_case_manager_and_nobody_else(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    north_client: Client,
    team_north: Team,
) -> None:
    """The rules' own story (tests/reminders/test_rules.py), seen on the home page 200 days
    later: one item of each of the ten kinds, all for the client's case manager."""
    with on(START, hour=12):
        referral = accepted_referral(north_client, case_manager, supervisor)
        referral = act(referral, case_manager, "schedule_intake", on=START)
        referral = act(referral, case_manager, "start", on=START)
        crisis(north_client, case_manager, START + dt.timedelta(days=1))
        draft_note(north_client, case_manager)
        second = make_client(case_manager=case_manager, team=team_north, legal_last_name="Mensah")
        sent_referral(second, case_manager, supervisor)
        release_for(
            second,
            case_manager,
            make_service("Food bank"),
            expires_on=START + dt.timedelta(days=205),
        )
    assert referral.release is not None and referral.release_id is not None
    type(referral.release).objects.filter(pk=referral.release_id).update(
        expires_on=START + dt.timedelta(days=30)
    )

    with on(START + dt.timedelta(days=200)):
        assert {kind for _g, kind, _pk in work_keys(case_manager)} == {
            "plan_review",
            "goal_target",
            "referral_no_response",
            "referral_attendance",
            "referral_fit_review",
            "release_expired_in_use",
            "release_expiring",
            "crisis_follow_up",
            "note_unsigned",
            "monthly_contact",
        }
        for user in (teammate, supervisor, other_team_case_manager):
            assert work_keys(user) == []
        html = page_text(signed_in(client, case_manager))
    for label in (
        "Service plan review",
        "Goal target date",
        "No answer from the provider",
        "Did the client attend intake?",
        "Review how the service fits",
        "Expired release behind a referral",
        "Release of information expiring",
        "Crisis follow-up",
        "Case note to sign",
        "Monthly contact",
    ):
        assert label in html.replace("&#x27;", "'"), label


def test_only_the_users_own_items_never_another_teams(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    north_client: Client,
    team_north: Team,
    team_south: Team,
) -> None:
    mine = overdue_note(north_client, case_manager)
    teammates_client = make_client(
        case_manager=teammate, team=team_north, legal_first_name="Omar", legal_last_name="Haddad"
    )
    theirs = overdue_note(teammates_client, teammate)
    south_client = make_client(
        case_manager=other_team_case_manager,
        team=team_south,
        legal_first_name="Sol",
        legal_last_name="Southern",
    )
    south = overdue_note(south_client, other_team_case_manager)

    assert [pk for _g, _k, pk in work_keys(case_manager)] == [mine.pk]
    assert [pk for _g, _k, pk in work_keys(teammate)] == [theirs.pk]
    assert [pk for _g, _k, pk in work_keys(other_team_case_manager)] == [south.pk]

    html = page_text(signed_in(client, case_manager))
    assert "Maria Rivera" in html
    assert "Haddad" not in html
    assert "Southern" not in html


def test_empty_state(client: HttpClient, case_manager: User, north_client: Client) -> None:
    html = page_text(signed_in(client, case_manager))
    assert "Nothing due — you are up to date." in html


def test_admin_keeps_the_administration_home(client: HttpClient, admin: User) -> None:
    html = page_text(signed_in(client, admin))
    assert "My work today" not in html
    assert "Administration" in html
    assert "Notifications" not in html  # no bell for staff without a clinical role


def test_supervisor_sees_escalations_and_they_clear_with_the_work(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    note = overdue_note(north_client, case_manager, days_ago=10)
    due = work_keys(case_manager)
    assert due == [("overdue", "note_unsigned", note.pk)]
    item = selectors.due_items(case_manager)[0]
    Reminder.objects.create(
        kind="note_unsigned",
        object_id=note.pk,
        client=north_client,
        recipient=supervisor,
        due_on=item.due_on,
        is_escalation=True,
    )
    assert work_keys(supervisor) == [("overdue", "note_unsigned", note.pk)]
    html = page_text(signed_in(client, supervisor))
    assert "Escalated: overdue on your team" in html
    assert "Maria Rivera" in html

    note_sign(actor=case_manager, note=note)
    # The sweep has not run: the escalation row is still open, but the work is done.
    assert Reminder.objects.get(recipient=supervisor).resolved_at is None
    assert work_keys(supervisor) == []
    assert "Nothing due" in page_text(client)


# --- Clearing ---------------------------------------------------------------------------------


def test_signing_the_note_clears_the_item_on_the_next_request(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    note = overdue_note(north_client, case_manager)
    signed_in(client, case_manager)
    assert "Case note to sign" in page_text(client)
    note_sign(actor=case_manager, note=note)
    html = page_text(client)
    assert "Case note to sign" not in html
    assert "Nothing due" in html


def _stored(item: selectors.DueItem, user: User, **fields: Any) -> Reminder:
    return Reminder.objects.create(
        kind=item.kind,
        object_id=item.object_id,
        client_id=item.client_id,
        recipient=user,
        due_on=item.due_on,
        **fields,
    )


def test_done_and_snoozed_items_are_hidden(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    first = overdue_note(north_client, case_manager)
    other = make_client(case_manager=case_manager, team=team_north, legal_last_name="Mensah")
    second = overdue_note(other, case_manager)
    items = {item.object_id: item for item in selectors.due_items(case_manager)}
    done = _stored(items[first.pk], case_manager, done_at=timezone.now())
    snoozed = _stored(items[second.pk], case_manager, snoozed_until=today() + dt.timedelta(days=1))
    assert work_keys(case_manager) == []
    assert "Nothing due" in page_text(signed_in(client, case_manager))

    # A snooze ends on its day; "done" stays done.
    Reminder.objects.filter(pk=snoozed.pk).update(snoozed_until=today())
    assert work_keys(case_manager) == [("overdue", "note_unsigned", second.pk)]
    assert selectors.due_items(case_manager)[0].reminder_id == snoozed.pk
    assert Reminder.objects.get(pk=done.pk).done_at is not None


def test_done_from_the_home_page_with_and_without_htmx(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    note = overdue_note(north_client, case_manager)
    reminder = _stored(selectors.due_items(case_manager)[0], case_manager)
    signed_in(client, case_manager)
    html = page_text(client)
    assert reverse("reminders:done", args=[reminder.pk]) in html
    assert reverse("reminders:snooze", args=[reminder.pk]) in html

    response = client.post(
        reverse("reminders:snooze", args=[reminder.pk]),
        {"days": "1", "from": "home", "next": HOME},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="my-work"' in body
    assert "Nothing due" in body
    assert 'hx-swap-oob="true"' in body
    reminder.refresh_from_db()
    assert reminder.snoozed_until == today() + dt.timedelta(days=1)

    Reminder.objects.filter(pk=reminder.pk).update(snoozed_until=None)
    response = client.post(
        reverse("reminders:done", args=[reminder.pk]), {"from": "home", "next": HOME}
    )
    assert response.status_code == 302
    assert response["Location"] == HOME
    reminder.refresh_from_db()
    assert reminder.done_at is not None
    assert note.pk not in [pk for _g, _k, pk in work_keys(case_manager)]


# --- Cost -------------------------------------------------------------------------------------


def _home_queries(http: HttpClient) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(HOME).status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_items(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    overdue_note(north_client, case_manager)
    signed_in(client, case_manager)
    few = _home_queries(client)
    assert len(selectors.due_items(case_manager)) == 1

    for n in range(4):
        other = make_client(case_manager=case_manager, team=team_north, legal_last_name=f"M{n}")
        for days in (4, 6, 8):
            overdue_note(other, case_manager, days_ago=days)
        crisis(other, case_manager, today())
    plan_due(north_client, case_manager, supervisor, today() + dt.timedelta(days=3))
    for item in selectors.due_items(case_manager)[:5]:
        _stored(item, case_manager)
    assert len(selectors.due_items(case_manager)) == 18

    many = _home_queries(client)
    assert many == few
    assert many <= 14 + len(rules.all_rules())
